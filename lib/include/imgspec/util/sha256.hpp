#pragma once
// SHA-256 over OpenSSL's low-level SHA256_* functions (the CPU's SHA extensions where present; see
// sha256.cpp for why not EVP).

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace imgspec::util {

class Sha256 {
  public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(const void* data, std::size_t size);
    void update(std::string_view s) { update(s.data(), s.size()); }
    // The digest of everything updated since construction or reset(). Call reset() before the
    // next update.
    std::array<unsigned char, 32> finish();
    // Starts a new digest: one object can hash many files in turn.
    void reset();

    static constexpr std::size_t state_size = 128; // room for OpenSSL's SHA256_CTX (112 bytes)

  private:
    alignas(std::max_align_t) unsigned char m_state[state_size];
};

std::string to_hex(const unsigned char* data, std::size_t size);
template <std::size_t N> std::string to_hex(const std::array<unsigned char, N>& a) {
    return to_hex(a.data(), N);
}
std::array<unsigned char, 32> sha256(std::string_view data);

} // namespace imgspec::util
