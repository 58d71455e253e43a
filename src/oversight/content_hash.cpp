// content_hash.cpp: BLAKE2b-256 over bytes and files (control plane).
#include "oversight/content_hash.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <vector>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/unique_fd.hpp"
#include "oversight/ed25519.hpp"

namespace flowsieve {

namespace {

std::string hex(const std::array<unsigned char, crypto_generichash_BYTES>& h) {
    std::string out(content_hash_hex_size + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), h.data(), h.size());
    out.resize(content_hash_hex_size);
    return out;
}

}  // namespace

std::string content_hash_hex(std::string_view bytes) {
    crypto_ready();
    std::array<unsigned char, crypto_generichash_BYTES> h{};
    crypto_generichash(h.data(), h.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), nullptr, 0);
    return hex(h);
}

void ContentHasher::reset() {
    crypto_ready();
    crypto_generichash_init(&st_, nullptr, 0, crypto_generichash_BYTES);
}

void ContentHasher::update(const void* p, std::size_t n) {
    crypto_generichash_update(&st_, static_cast<const unsigned char*>(p), static_cast<unsigned long long>(n));
}

std::string ContentHasher::hex() {
    std::array<unsigned char, crypto_generichash_BYTES> h{};
    crypto_generichash_final(&st_, h.data(), h.size());
    return flowsieve::hex(h);
}

Result<std::optional<std::string>> file_content_hash_hex(const std::string& path, const FileHashOptions& o) {
    // Opened without blocking, and only a regular file is hashed: the audit log hashes the inputs
    // a generation was built from by opening them again, and a named pipe would then wait for a
    // writer for ever (freezing the control thread) or, already drained, hash as empty.
    const int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | (o.follow_links ? 0 : O_NOFOLLOW);
    const UniqueFd fd(::open(path.c_str(), flags));
    const auto fail = [&path](const char* what) { return error_at(path, 0, what + std::string(std::strerror(errno))); };
    if (!fd) return fail("cannot read (for its content hash): ");
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return fail("cannot read (for its content hash): ");
    if (!S_ISREG(st.st_mode)) return error_at(path, 0, "not a regular file: its content cannot be read again to hash it");
    ContentHasher hasher;
    std::vector<char> buf(std::size_t{1} << 20);
    for (;;) {
        if (o.cancel && o.cancel->load(std::memory_order_relaxed)) return std::optional<std::string>();
        const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail("read error (for its content hash): ");
        if (n == 0) break;
        hasher.update(buf.data(), static_cast<std::size_t>(n));
    }
    return std::optional<std::string>(hasher.hex());
}

Result<std::string> file_content_hash_hex(const std::string& path) {
    auto h = file_content_hash_hex(path, FileHashOptions{});
    if (!h) return h.error();
    return std::move(*h.value());  // never cancelled: no flag to cancel it
}

}  // namespace flowsieve
