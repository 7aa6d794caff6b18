#pragma once
// write_tar into a string, for the tar writer's tests: the bytes the sink received, and the
// message of the imgspec::Error it threw, if any.

#include <imgspec/context/tar_writer.hpp>
#include <imgspec/core/error.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <string>

namespace imgspec::test {

struct TarResult {
    std::string bytes;
    std::string error; // empty when write_tar succeeded
};

// `on_write` runs before each chunk the sink receives.
inline TarResult capture_tar(const plan::Manifest& m, const std::function<void()>& on_write = {}) {
    TarResult r;
    try {
        context::write_tar(m, {}, [&](const void* d, std::size_t n) {
            if (on_write) {
                on_write();
            }
            r.bytes.append(static_cast<const char*>(d), n);
        });
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::other);
        r.error = e.what();
    }
    return r;
}

} // namespace imgspec::test
