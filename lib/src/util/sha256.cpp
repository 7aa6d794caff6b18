#include <imgspec/util/sha256.hpp>

// OpenSSL's SHA256_Init/Update/Final, deprecated since 3.0 in favour of EVP but still shipped:
// they run the same assembly (SHA extensions where the CPU has them, chosen by libcrypto's own
// CPU detection at load time) without EVP's provider machinery. A profile of `imgspec uri` on a
// spec that copies nothing showed the first EVP_MD_fetch at a quarter of the whole run (loading
// openssl.cnf, activating the default provider, building the algorithm name map), and the EVP
// path costs an allocation and a context set-up per digest, which counts on 100,000 small files.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <new>
#include <type_traits>

namespace imgspec::util {

namespace {

static_assert(sizeof(SHA256_CTX) <= Sha256::state_size, "Sha256::state_size too small");
static_assert(alignof(SHA256_CTX) <= alignof(std::max_align_t));

SHA256_CTX* ctx_of(unsigned char* state) {
    return std::launder(reinterpret_cast<SHA256_CTX*>(state));
}

} // namespace

Sha256::Sha256() {
    static_assert(std::is_trivially_destructible_v<SHA256_CTX>);
    new (m_state) SHA256_CTX;
    SHA256_Init(ctx_of(m_state));
}

Sha256::~Sha256() = default;

void Sha256::reset() {
    SHA256_Init(ctx_of(m_state));
}

void Sha256::update(const void* data, std::size_t size) {
    SHA256_Update(ctx_of(m_state), data, size);
}

std::array<unsigned char, 32> Sha256::finish() {
    std::array<unsigned char, 32> out{};
    SHA256_Final(out.data(), ctx_of(m_state));
    return out;
}

std::string to_hex(const unsigned char* data, std::size_t size) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(size * 2, '0');
    for (std::size_t i = 0; i < size; ++i) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 0xf];
    }
    return out;
}

std::array<unsigned char, 32> sha256(std::string_view data) {
    Sha256 h;
    h.update(data);
    return h.finish();
}

} // namespace imgspec::util
