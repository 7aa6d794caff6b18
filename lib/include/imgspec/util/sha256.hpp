#pragma once
// SHA-256 over OpenSSL's EVP interface (uses the CPU's SHA extensions where present).

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

struct evp_md_ctx_st; // OpenSSL's EVP_MD_CTX

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
    // Starts a new digest in the same OpenSSL context: hashing many small files with one object
    // saves an allocation and an initialisation per file. Throws std::runtime_error.
    void reset();

  private:
    evp_md_ctx_st* m_ctx;
};

std::string to_hex(const unsigned char* data, std::size_t size);
template <std::size_t N> std::string to_hex(const std::array<unsigned char, N>& a) {
    return to_hex(a.data(), N);
}
std::array<unsigned char, 32> sha256(std::string_view data);

} // namespace imgspec::util
