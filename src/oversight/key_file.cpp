// key_file.cpp: strict line reader and exclusive-create writer for key files (control plane).
#include "oversight/key_file.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <map>

#include "core/input_file.hpp"
#include "oversight/base64.hpp"

namespace flowsieve {

namespace {

struct Field {
    std::string value;
    std::size_t line = 0;
};

// name -> value with its line; refuses names outside `allowed`, repeats and lines without ':'.
Result<std::map<std::string, Field>> read_fields(const std::string& path, std::initializer_list<const char*> allowed) {
    // A key file is a few lines: a pipe or device named as one is read no further than this.
    auto file = InputFile::open(path, "cannot open", 1 << 20);
    if (!file) return file.error();
    std::map<std::string, Field> out;
    const bool wants_secret = std::any_of(allowed.begin(), allowed.end(), [](const char* a) { return std::string_view(a) == "secret"; });
    LineCursor lines(file->text());
    std::string_view text;
    for (std::size_t line = 0; lines.next(text, line);) {
        if (text.empty() || text[0] == '#') continue;
        auto colon = text.find(": ");
        if (colon == std::string_view::npos) return error_at(path, line, "expected `name: value`");
        std::string name(text.substr(0, colon)), value(text.substr(colon + 2));
        bool known = false;
        for (const char* a : allowed) known = known || name == a;
        // The other kind of key file, given where this kind is wanted: say so rather than
        // "unknown field" (or, for a .pub given as a secret key, that it is readable by others).
        if (!known && name == "public" && wants_secret)
            return error_at(path, line, "this is a public key file (ID.pub): a secret key file (ID.key) is wanted here");
        if (!known && name == "secret" && !wants_secret)
            return error_at(path, line,
                            "this is a secret key file (ID.key): a public key file (ID.pub) is wanted here (and keep the "
                            "secret one where only its owner can read it)");
        if (!known) return error_at(path, line, name + ": unknown field");
        if (!out.emplace(name, Field{value, line}).second) return error_at(path, line, name + ": given twice");
    }
    for (const char* a : allowed)
        if (!out.count(a)) return error_at(path, 0, std::string(a) + ": missing");
    return out;
}

template <std::size_t N>
Status decode_into(const std::string& path, const Field& f, const char* name, std::array<std::uint8_t, N>& out) {
    auto bytes = base64_decode(f.value);
    if (!bytes || bytes->size() != N)
        return error_at(path, f.line, std::string(name) + ": expected base64 of " + std::to_string(N) + " bytes");
    std::copy(bytes->begin(), bytes->end(), out.begin());
    sodium_memzero(bytes->data(), bytes->size());
    return Ok{};
}

Status write_exclusive(const std::string& path, const std::string& text, mode_t mode) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) return error_at(path, 0, std::string("cannot create: ") + std::strerror(errno));
    // The umask may have widened nothing but could have narrowed the public file: set exactly.
    bool ok = ::fchmod(fd, mode) == 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
              ::fsync(fd) == 0;
    int err = errno;
    ::close(fd);
    if (!ok) {
        ::unlink(path.c_str());
        return error_at(path, 0, std::string("cannot write: ") + std::strerror(err));
    }
    return Ok{};
}

}  // namespace

bool valid_key_id(const std::string& id) {
    if (id.empty() || id.size() > 64 || id[0] == '.' || id[0] == '-') return false;
    for (char c : id)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
    return true;
}

Result<PublicKeyFile> read_public_key_file(const std::string& path) {
    auto f = read_fields(path, {"id", "public"});
    if (!f) return f.error();
    PublicKeyFile k;
    k.id = f->at("id").value;
    if (!valid_key_id(k.id)) return error_at(path, f->at("id").line, "id: '" + k.id + "' is not a valid key id");
    auto s = decode_into(path, f->at("public"), "public", k.key);
    if (!s) return s.error();
    return k;
}

Result<SecretKeyFile> read_secret_key_file(const std::string& path) {
    // Read first, so that a public key file given here is named as such (its mode is 0644).
    auto f = read_fields(path, {"id", "secret"});
    if (!f) return f.error();
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077)) {
        sodium_memzero(f->at("secret").value.data(), f->at("secret").value.size());
        return error_at(path, 0, "secret key is readable by others: chmod 600 it (and consider it exposed)");
    }
    SecretKeyFile k;
    k.id = f->at("id").value;
    if (!valid_key_id(k.id)) return error_at(path, f->at("id").line, "id: '" + k.id + "' is not a valid key id");
    auto s = decode_into(path, f->at("secret"), "secret", k.key);
    sodium_memzero(f->at("secret").value.data(), f->at("secret").value.size());
    if (!s) return s.error();
    // libsodium keeps the public key in the second half; a mismatch would sign under the wrong key.
    KeyPair check;
    crypto_sign_seed_keypair(check.public_key.data(), check.secret_key.data(), k.key.data());
    bool same = check.secret_key == k.key;
    sodium_memzero(check.secret_key.data(), check.secret_key.size());
    if (!same) return error_at(path, f->at("secret").line, "secret: the key's two halves do not belong together");
    return k;
}

Status write_key_files(const std::string& dir, const std::string& id, const KeyPair& k) {
    if (!valid_key_id(id)) return Error{"--id: '" + id + "' is not a valid key id (letters, digits, '.', '_', '-')"};
    const std::string pub = dir + "/" + id + ".pub", sec = dir + "/" + id + ".key";
    if (::access(pub.c_str(), F_OK) == 0) return error_at(pub, 0, "exists: refusing to overwrite a key");
    std::string secret_b64 = base64_encode(k.secret_key);
    std::string sec_text = "# flowsieve Ed25519 secret key '" + id + "': keep it secret, never in the config\nid: " + id +
                           "\nsecret: " + secret_b64 + "\n";
    auto s = write_exclusive(sec, sec_text, 0600);
    sodium_memzero(secret_b64.data(), secret_b64.size());
    sodium_memzero(sec_text.data(), sec_text.size());
    if (!s) return s;
    return write_exclusive(pub, "# flowsieve Ed25519 public key '" + id + "'\nid: " + id + "\npublic: " +
                                    base64_encode(k.public_key) + "\n",
                           0644);
}

}  // namespace flowsieve
