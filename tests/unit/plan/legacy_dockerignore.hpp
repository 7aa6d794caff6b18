#pragma once
// TEMPORARY: the hand-written matcher that lib/src/plan/dockerignore.cpp had before RE2, kept
// verbatim (renamed) only so that dockerignore_differential_test.cpp can compare the two. It
// is deleted in the next commit.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace imgspec::plan::legacy {

class LegacyDockerignore {
  public:
    LegacyDockerignore();

    static LegacyDockerignore parse(std::string_view text);

    std::vector<std::string> errors() const;

    bool excluded(std::string_view rel_path) const;

    bool may_include_below(std::string_view rel_dir) const;

    const std::vector<std::string>& patterns() const;

    struct Impl;

  private:
    explicit LegacyDockerignore(std::shared_ptr<const Impl> impl) : m_impl(std::move(impl)) {}
    std::shared_ptr<const Impl> m_impl; // immutable once parsed, so copies share it
};

} // namespace imgspec::plan::legacy
