#pragma once
// The external images a Dockerfile names, and the same Dockerfile with them pinned to digests.
// Works on the text, so it covers imgspec's own Dockerfiles and a user's (`from: dockerfile`)
// alike: FROM lines, `COPY --from=IMAGE`, `RUN --mount=...,from=IMAGE` and a `# syntax=`
// directive. Stage names, `scratch`, references with a digest already and references made of
// build arguments (`FROM $BASE`) are not external images that a lock can pin.

#include <imgspec/lock/lock_file.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace imgspec::lock {

struct ImageUse {
    std::string reference;
    std::size_t offset = 0; // of the reference in the Dockerfile's text
    bool frontend = false;  // the `# syntax=` image: runs on the build host, for no platform
};

struct ImageScan {
    std::vector<ImageUse> uses;          // in text order
    std::vector<std::string> unlockable; // references with `$`, as written: a lock cannot pin them
};

// Never throws: an instruction it cannot read is skipped (BuildKit will report it).
// Understands line continuations (and `# escape=`), comments and heredocs, so that no RUN
// script or heredoc line is taken for an instruction.
ImageScan scan_images(std::string_view dockerfile);

// `dockerfile` with every use whose reference `lock` has rewritten to "reference@digest". Uses
// the lock does not have are left as they are (mismatches() reports them).
std::string pin_images(std::string dockerfile, const std::vector<ImageUse>& uses, const Lock& lock);

// "reference@digest" when `lock` has the reference, else the reference.
std::string pinned(const std::string& reference, const Lock& lock);

} // namespace imgspec::lock
