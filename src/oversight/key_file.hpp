// key_file.hpp: reads and writes Ed25519 key files (`ID.pub`, `ID.key`) (control plane).
// Format, one `name: value` a line, `#` comments:
//   id: commission-1
//   public: <base64 of 32 bytes>        (ID.pub)
//   secret: <base64 of 64 bytes>        (ID.key: libsodium's seed || public key, mode 0600)
#pragma once

#include <string>

#include "core/result.hpp"
#include "oversight/ed25519.hpp"

namespace flowsieve {

struct PublicKeyFile {
    std::string id;
    PublicKey key{};
};

struct SecretKeyFile {
    std::string id;
    SecretKey key{};
};

// A key id names a key in signatures and file names: letters, digits, '.', '_', '-' only.
bool valid_key_id(const std::string& id);

Result<PublicKeyFile> read_public_key_file(const std::string& path);
// Also refuses a secret key readable by group or others, and one whose halves disagree.
Result<SecretKeyFile> read_secret_key_file(const std::string& path);

// Writes DIR/ID.key (0600) and DIR/ID.pub (0644); refuses to overwrite either.
Status write_key_files(const std::string& dir, const std::string& id, const KeyPair& k);

}  // namespace flowsieve
