// test_key_file.cpp: keygen output (modes, no overwrite), reading keys back, and refusals of
// exposed, mismatched and malformed key files with `file:line: what`.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "control_test_util.hpp"
#include "oversight/key_file.hpp"

namespace flowsieve::testing {
namespace {

unsigned mode_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 0777;
}

TEST(KeyFile, WritesSecretPrivatelyAndReadsBothBack) {
    TempDir dir;
    KeyPair k = generate_keypair();
    ASSERT_TRUE(write_key_files(dir.path(), "commission-1", k).ok());
    EXPECT_EQ(mode_of(dir.file("commission-1.key")), 0600u);
    EXPECT_EQ(mode_of(dir.file("commission-1.pub")), 0644u);
    auto pub = read_public_key_file(dir.file("commission-1.pub"));
    ASSERT_TRUE(pub.ok()) << pub.error().message;
    EXPECT_EQ(pub->id, "commission-1");
    EXPECT_EQ(pub->key, k.public_key);
    auto sec = read_secret_key_file(dir.file("commission-1.key"));
    ASSERT_TRUE(sec.ok()) << sec.error().message;
    EXPECT_EQ(sec->key, k.secret_key);
    // The public file never holds secret material.
    std::ifstream in(dir.file("commission-1.pub"));
    std::string text((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(text.find("secret:"), std::string::npos);
}

TEST(KeyFile, RefusesToOverwriteAndBadIds) {
    TempDir dir;
    ASSERT_TRUE(write_key_files(dir.path(), "k", generate_keypair()).ok());
    auto again = write_key_files(dir.path(), "k", generate_keypair());
    EXPECT_EQ(error_of(again), dir.file("k.pub") + ": exists: refusing to overwrite a key");
    for (const char* bad : {"", "../x", "a b", ".hidden", "-opt"})
        EXPECT_FALSE(write_key_files(dir.path(), bad, generate_keypair()).ok()) << bad;
}

TEST(KeyFile, RefusesASecretKeyOthersCanRead) {
    TempDir dir;
    ASSERT_TRUE(write_key_files(dir.path(), "k", generate_keypair()).ok());
    ASSERT_EQ(::chmod(dir.file("k.key").c_str(), 0644), 0);
    EXPECT_EQ(error_of(read_secret_key_file(dir.file("k.key"))),
              dir.file("k.key") + ": secret key is readable by others: chmod 600 it (and consider it exposed)");
}

TEST(KeyFile, APublicKeyGivenAsTheSecretOneIsNamedAsSuch) {
    // Its mode is 0644, as a public key's should be: the mode is not what is wrong with it.
    TempDir dir;
    ASSERT_TRUE(write_key_files(dir.path(), "k", generate_keypair()).ok());
    EXPECT_EQ(error_of(read_secret_key_file(dir.file("k.pub"))),
              dir.file("k.pub") + ":3: this is a public key file (ID.pub): a secret key file (ID.key) is wanted here");
}

TEST(KeyFile, RefusesASecretKeyWhoseHalvesDisagree) {
    TempDir dir;
    KeyPair a = generate_keypair(), b = generate_keypair();
    // Seed of a with the public half of b: signing would produce signatures b's key does not verify.
    KeyPair mixed = a;
    std::copy(b.public_key.begin(), b.public_key.end(), mixed.secret_key.begin() + 32);
    ASSERT_TRUE(write_key_files(dir.path(), "k", mixed).ok());
    EXPECT_EQ(error_of(read_secret_key_file(dir.file("k.key"))),
              dir.file("k.key") + ":3: secret: the key's two halves do not belong together");
}

TEST(KeyFile, MalformedFilesNameTheLine) {
    TempDir dir;
    auto p = dir.write("a.pub", "# comment\nid: a\npublic: AAAA\n");
    EXPECT_EQ(error_of(read_public_key_file(p)), p + ":3: public: expected base64 of 32 bytes");
    p = dir.write("b.pub", "id: b\nid: c\n");
    EXPECT_EQ(error_of(read_public_key_file(p)), p + ":2: id: given twice");
    p = dir.write("c.pub", "id: c\nsecret: AAAA\n");
    EXPECT_EQ(error_of(read_public_key_file(p)),
              p + ":2: this is a secret key file (ID.key): a public key file (ID.pub) is wanted here (and keep the secret one "
                  "where only its owner can read it)");
    p = dir.write("f.pub", "id: f\nother: AAAA\n");
    EXPECT_EQ(error_of(read_public_key_file(p)), p + ":2: other: unknown field");
    p = dir.write("d.pub", "id: d\n");
    EXPECT_EQ(error_of(read_public_key_file(p)), p + ": public: missing");
    p = dir.write("e.pub", "just text\n");
    EXPECT_EQ(error_of(read_public_key_file(p)), p + ":1: expected `name: value`");
    EXPECT_FALSE(read_public_key_file(dir.file("none.pub")).ok());
}

TEST(KeyFile, CarriageReturnsAtLineEndsAreRead) {
    // A key file that went through an editor or a mail client on Windows: each line ends "\r\n".
    TempDir dir;
    const KeyPair k = generate_keypair();
    ASSERT_TRUE(write_key_files(dir.path(), "k", k).ok());
    std::ifstream in(dir.file("k.pub"), std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()), crlf;
    for (char c : text) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    const std::string p = dir.write("crlf.pub", crlf);
    auto read = read_public_key_file(p);
    ASSERT_TRUE(read.ok()) << read.error().message;
    EXPECT_EQ(read->key, k.public_key);
}

TEST(KeyFile, ADirectoryOrAnEndlessDeviceIsAnError) {
    // A trusted key given as `file: /dev/zero` was read as one endless line.
    EXPECT_EQ(error_of(read_public_key_file("/dev/zero")), "/dev/zero: not a regular file, and longer than 1 MiB");
    TempDir dir;
    EXPECT_EQ(error_of(read_public_key_file(dir.path())), dir.path() + ": is a directory, not a file");
}

}  // namespace
}  // namespace flowsieve::testing
