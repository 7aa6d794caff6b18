#pragma once
// A Progress that records what it is told, for tests of the library's call sites.

#include <imgspec/util/progress.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace imgspec::test {

class FakeProgress final : public util::Progress {
  public:
    struct Phase {
        std::string what;
        std::uint64_t total_files = 0;
        std::uint64_t total_bytes = 0;
        std::uint64_t files = 0; // sums of advance()
        std::uint64_t bytes = 0;
        int ends = 0;
        int advances = 0;
        bool advanced_after_end = false;
    };

    void begin(std::string_view what, std::uint64_t total_files,
               std::uint64_t total_bytes) override {
        std::lock_guard lock(m_mutex);
        m_phases.push_back(Phase{std::string(what), total_files, total_bytes});
    }
    void advance(std::uint64_t files, std::uint64_t bytes) override {
        std::lock_guard lock(m_mutex);
        if (m_phases.empty()) {
            ++m_stray;
            return;
        }
        Phase& p = m_phases.back();
        p.files += files;
        p.bytes += bytes;
        ++p.advances;
        p.advanced_after_end = p.advanced_after_end || p.ends > 0;
    }
    void end() noexcept override {
        std::lock_guard lock(m_mutex);
        if (m_phases.empty()) {
            ++m_stray;
            return;
        }
        ++m_phases.back().ends;
    }

    std::vector<Phase> phases() const {
        std::lock_guard lock(m_mutex);
        return m_phases;
    }
    // advance() or end() with no phase begun.
    int stray() const {
        std::lock_guard lock(m_mutex);
        return m_stray;
    }

  private:
    mutable std::mutex m_mutex;
    std::vector<Phase> m_phases;
    int m_stray = 0;
};

// Checks that `progress` was told of one phase, `what`, announced with `files` files and `bytes`
// bytes, advanced by exactly that, and ended once. Wrap it in ASSERT_NO_FATAL_FAILURE to stop the
// test when there was not exactly one phase.
inline void expect_one_whole_phase(const FakeProgress& progress, const std::string& what,
                                   std::uint64_t files, std::uint64_t bytes) {
    auto phases = progress.phases();
    ASSERT_EQ(phases.size(), 1u);
    EXPECT_EQ(phases[0].what, what);
    EXPECT_EQ(phases[0].total_files, files);
    EXPECT_EQ(phases[0].total_bytes, bytes);
    EXPECT_EQ(phases[0].files, files);
    EXPECT_EQ(phases[0].bytes, bytes);
    EXPECT_EQ(phases[0].ends, 1);
}

} // namespace imgspec::test
