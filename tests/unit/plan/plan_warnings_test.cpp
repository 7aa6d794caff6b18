// Plan warnings are diagnostics like errors, with severity warning: the spec's file, the line and
// column of the key, its key path, a message and a hint, printed compiler style.

#include <imgspec/core/error.hpp>
#include <imgspec/plan/plan.hpp>

#include "unit/test_util.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace fs = std::filesystem;
using imgspec::Diagnostic;
using imgspec::Severity;

namespace {

// The plan of a spec, files listed but not hashed (warnings come from the walk, not the digests).
imgspec::plan::Plan plan_of(const fs::path& spec) {
    imgspec::plan::PlanOptions options;
    options.hash = false;
    return imgspec::plan::plan_file(spec, imgspec::test::test_config(), options);
}

} // namespace

TEST(PlanWarnings, AnInstallAfterTheSourceCopy) {
    imgspec::test::TempDir dir;
    dir.write("src/app.py", "print(1)\n");
    dir.write("requirements.txt", "numpy\n");
    fs::path spec = dir.write("spec.yaml", "name: w\n"
                                           "from: {base: busybox}\n"
                                           "layers:\n"
                                           "  - source_folder: {src: src, dst: /app}\n"
                                           "  - requirements: requirements.txt\n");
    imgspec::plan::Plan plan = plan_of(spec);
    ASSERT_EQ(plan.warnings.size(), 1u);
    const Diagnostic& w = plan.warnings[0];
    EXPECT_EQ(w.severity, Severity::warning);
    EXPECT_NE(w.file.find("spec.yaml"), std::string::npos) << w.file;
    EXPECT_EQ(w.mark.line, 5);
    EXPECT_EQ(w.mark.column, 5);
    EXPECT_EQ(w.path, "layers[1].requirements");
    EXPECT_EQ(w.message, "comes after the source copy at layers[0]: editing the source will "
                         "re-run this install");
    EXPECT_EQ(w.hint, "move it before the copy");
    EXPECT_EQ(w.format(), w.file +
                              ":5:5: warning: layers[1].requirements: comes after the source copy "
                              "at layers[0]: editing the source will re-run this install\n"
                              "  hint: move it before the copy");
}

TEST(PlanWarnings, ASecretsFileInACopiedFolder) {
    imgspec::test::TempDir dir;
    dir.write("src/app.py", "print(1)\n");
    dir.write("src/token.txt", "s3cret\n");
    fs::path spec = dir.write("spec.yaml", "name: w\n"
                                           "from: {base: busybox}\n"
                                           "layers:\n"
                                           "  - source_folder: {src: src, dst: /app}\n"
                                           "secrets:\n"
                                           "  TOK: {file: src/token.txt, mount: /run/tok}\n");
    imgspec::plan::Plan plan = plan_of(spec);
    ASSERT_EQ(plan.warnings.size(), 1u);
    const Diagnostic& w = plan.warnings[0];
    EXPECT_EQ(w.severity, Severity::warning);
    EXPECT_EQ(w.mark.line, 4);
    EXPECT_EQ(w.path, "layers[0].source_folder.src");
    EXPECT_EQ(w.message, "'src/token.txt' is a secret's file (by its name, or a hard link to it): "
                         "left out of the build context");
    EXPECT_FALSE(w.hint.empty());
    for (const auto& e : plan.files.entries) {
        EXPECT_EQ(e.path.find("token.txt"), std::string::npos) << e.path;
    }
}

TEST(PlanWarnings, ErrorsStillSayError) {
    Diagnostic d{.file = "s.yaml", .mark = {2, 7}, .path = "name", .message = "bad"};
    EXPECT_EQ(d.severity, Severity::error);
    EXPECT_EQ(d.format(), "s.yaml:2:7: error: name: bad");
    d.severity = Severity::warning;
    EXPECT_EQ(d.format(), "s.yaml:2:7: warning: name: bad");
    EXPECT_STREQ(imgspec::severity_name(Severity::warning), "warning");
}
