#pragma once
// What StagedFolder (staging.cpp) and the staging of one context into its folder
// (stage_context.cpp) share. Private to context.

#include <imgspec/context/staging.hpp>
#include <imgspec/core/error.hpp>
#include <imgspec/plan/manifest.hpp>
#include <imgspec/util/fd.hpp>
#include <imgspec/util/progress.hpp>

#include <fmt/format.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>

namespace imgspec::context::detail {

inline constexpr std::int64_t ns_per_second = 1000000000;

[[noreturn]] inline void throw_io(const std::string& what, const std::filesystem::path& path,
                                  int err) {
    throw Error(ErrorKind::other, fmt::format("staging the build context: {} {}: {}", what,
                                              path.string(), util::errno_text(err)));
}

// Makes the folder `ctx` hold exactly the manifest's entries but `skip_path`: removes what is
// not wanted, keeps what the state file (`state_file`, rewritten at the end) shows as staged
// unchanged, writes the rest (source files checked against their digests as they are read), with
// modes normalized and mtimes fixed. See StagedFolder::stage.
StageStats stage_context(const std::filesystem::path& ctx, const std::filesystem::path& state_file,
                         const plan::Manifest& manifest, const std::string& skip_path,
                         const std::atomic<bool>* cancel, util::Progress* progress);

} // namespace imgspec::context::detail
