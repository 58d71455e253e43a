// authority_command.cpp: `flowsieve authority keygen|sign|verify`: the commission's and operators'
// side of signed authorisations (main thread, no EAL).
#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>

#include "app/commands.hpp"
#include "control/authorisation_file.hpp"
#include "control/config.hpp"
#include "control/yaml_reader.hpp"
#include "core/input_file.hpp"
#include "core/time_text.hpp"
#include "export/atomic_file.hpp"
#include "oversight/base64.hpp"
#include "oversight/key_file.hpp"

namespace flowsieve {

namespace {

const char* authority_usage =
    "usage:\n"
    "  flowsieve authority keygen --id ID --out DIR      writes DIR/ID.key (secret, 0600) and DIR/ID.pub\n"
    "  flowsieve authority sign FILE --key ID.key [--out FILE]\n"
    "                                                    adds (or renews) ID's signature on an authorisation\n"
    "                                                    or revocation file\n"
    "  flowsieve authority verify FILE (--keys DIR | --config CONFIG)\n"
    "                                                    checks each signature; with --config also quorum, key\n"
    "                                                    roles, revocations, serial state and expiry\n";

int usage() {
    std::fputs(authority_usage, stderr);
    return exit_usage;
}

// Options after the subcommand: one positional FILE and `--name value` pairs.
struct Options {
    std::string file;
    std::map<std::string, std::string> named;
    bool ok = true;
};

Options parse(const std::vector<std::string>& args, std::initializer_list<const char*> names) {
    Options o;
    for (std::size_t i = 0; i < args.size(); ++i) {
        bool known = false;
        for (const char* n : names) known = known || args[i] == n;
        if (known && i + 1 < args.size()) {
            o.named[args[i]] = args[i + 1];
            ++i;
        }
        else if (args[i].rfind("--", 0) != 0 && o.file.empty()) o.file = args[i];
        else o.ok = false;
    }
    return o;
}

Status write_text(const std::string& path, const std::string& text) {
    AtomicFile f;
    if (auto s = f.open(path, 1 << 16); !s) return s;
    if (auto s = f.append(text.data(), text.size()); !s) return s;
    return f.commit();
}

// The bytes `key_id` signs for this file, and the signatures already on it.
struct Document {
    std::string text;  // the file as read: `sign` writes it back with the signatures
    bool revocation = false;
    std::optional<SignedAuthorisation> auth;
    std::optional<SignedRevocation> rev;

    std::string encoding(const std::string& key_id) const {
        return revocation ? canonical_revocation(rev->revocation, key_id) : canonical_authorisation(auth->authorisation, key_id);
    }
    const std::vector<SignatureEntry>& signatures() const { return revocation ? rev->signatures : auth->signatures; }
    std::string what() const {
        return revocation ? "revocation of " + rev->revocation.id : "authorisation " + auth->authorisation.id;
    }
};

// The file read once and parsed from that text: what is signed is what is written back, even if the
// file changes meanwhile or is a pipe (`authority sign <(...)`), which a second read would find empty.
Result<Document> load_document(const std::string& path) {
    auto f = InputFile::open(path, "cannot open", YamlReader::max_yaml_bytes);
    if (!f) return f.error();
    Document d;
    d.text = std::string(f->text());
    const std::string_view text = d.text;
    d.revocation = is_revocation_text(path, text);
    if (d.revocation) {
        auto r = parse_revocation(path, text);
        if (!r) return r.error();
        d.rev = std::move(r.value());
    } else {
        auto a = parse_signed_authorisation(path, text);
        if (!a) return a.error();
        d.auth = std::move(a.value());
    }
    return d;
}

int keygen(const std::vector<std::string>& args) {
    Options o = parse(args, {"--id", "--out"});
    if (!o.ok || !o.file.empty() || !o.named.count("--id") || !o.named.count("--out")) return usage();
    if (!crypto_ready()) {
        std::fputs("authority keygen: libsodium could not be initialised\n", stderr);
        return exit_error;
    }
    std::error_code ec;
    std::filesystem::create_directories(o.named["--out"], ec);
    KeyPair k = generate_keypair();
    Status s = write_key_files(o.named["--out"], o.named["--id"], k);
    sodium_memzero(k.secret_key.data(), k.secret_key.size());
    if (!s) {
        std::fprintf(stderr, "%s\n", s.error().message.c_str());
        return exit_error;
    }
    std::printf("%s/%s.key: secret key (keep it offline, mode 0600)\n%s/%s.pub: public key (for trusted_keys)\n",
                o.named["--out"].c_str(), o.named["--id"].c_str(), o.named["--out"].c_str(), o.named["--id"].c_str());
    return exit_ok;
}

int sign(const std::vector<std::string>& args) {
    Options o = parse(args, {"--key", "--out"});
    if (!o.ok || o.file.empty() || !o.named.count("--key")) return usage();
    // Without --out the signed document replaces FILE, which only a regular file can take (a pipe,
    // `<(...)`, ended in "cannot create /dev/fd/63.partial").
    if (std::error_code ec; !o.named.count("--out") && std::filesystem::exists(o.file, ec) &&
                            !std::filesystem::is_regular_file(o.file, ec)) {
        std::fprintf(stderr, "%s: not a regular file (a pipe?), so the signed file cannot replace it: give --out FILE\n",
                     o.file.c_str());
        return exit_error;
    }
    auto key = read_secret_key_file(o.named["--key"]);
    if (!key) {
        std::fprintf(stderr, "%s\n", key.error().message.c_str());
        return exit_error;
    }
    auto doc = load_document(o.file);
    if (!doc) {
        sodium_memzero(key->key.data(), key->key.size());
        std::fprintf(stderr, "%s\n", doc.error().message.c_str());
        return exit_error;
    }
    Signature sig = sign_detached(doc->encoding(key->id), key->key);
    sodium_memzero(key->key.data(), key->key.size());
    // Re-signing replaces the key's earlier signature (a key counts once towards a quorum anyway).
    std::vector<SignatureEntry> sigs;
    for (const auto& s : doc->signatures())
        if (s.key_id != key->id) sigs.push_back(s);
    sigs.push_back({key->id, base64_encode(sig), {}});
    const std::string out = o.named.count("--out") ? o.named["--out"] : o.file;
    if (auto s = write_text(out, with_signatures(doc->text, sigs)); !s) {
        std::fprintf(stderr, "%s\n", s.error().message.c_str());
        return exit_error;
    }
    std::printf("%s: %s signed by key %s (%zu signature%s)\n", out.c_str(), doc->what().c_str(), key->id.c_str(),
                sigs.size(), sigs.size() == 1 ? "" : "s");
    return exit_ok;
}

// --keys DIR: every DIR/*.pub, cryptographic check only (roles and quorum need a config).
Result<std::vector<TrustedKey>> keys_from_dir(const std::string& dir) {
    std::vector<TrustedKey> keys;
    std::error_code ec;
    // increment(ec), not ++: a read error part-way through the listing is an error, not an exception.
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->path().extension() != ".pub") continue;
        auto k = read_public_key_file(it->path().string());
        if (!k) return k.error();
        keys.push_back({k->id, KeyRole::commission, {}, k->key, {}});
    }
    if (ec) return error_at(dir, 0, "cannot list: " + ec.message());
    return keys;
}

void print_signatures(const std::string& file, const std::vector<SignatureResult>& results) {
    for (std::size_t i = 0; i < results.size(); ++i) {
        const auto& r = results[i];
        std::printf("%s: signature %zu (key %s): %s%s\n", file.c_str(), i + 1, r.key_id.c_str(),
                    r.valid ? "valid" : "INVALID: ", r.why.c_str());
    }
}

int verify_with_keys(const std::string& file, const Document& doc, const std::string& dir) {
    auto keys = keys_from_dir(dir);
    if (!keys) {
        std::fprintf(stderr, "%s\n", keys.error().message.c_str());
        return exit_error;
    }
    std::vector<SignatureResult> results;
    for (const auto& s : doc.signatures()) {
        SignatureResult r{s.key_id, s.source, false, {}};
        auto key = std::find_if(keys->begin(), keys->end(), [&](const TrustedKey& k) { return k.id == s.key_id; });
        const auto sig = signature_from_base64(s.sig);
        if (key == keys->end()) {
            r.why = "unknown key (no " + s.key_id + ".pub in " + dir + ")";
        } else if (!sig) {
            r.why = "bad signature: not the base64 of a 64-byte Ed25519 signature";
        } else {
            r.valid = verify_detached(doc.encoding(s.key_id), *sig, key->key);
            if (!r.valid) r.why = "bad signature: it does not verify, so the file was altered or the signature forged";
        }
        results.push_back(std::move(r));
    }
    print_signatures(file, results);
    bool all = !results.empty() && std::all_of(results.begin(), results.end(), [](const auto& r) { return r.valid; });
    if (results.empty()) std::printf("%s: unsigned\n", file.c_str());
    else std::printf("%s: %s\n", file.c_str(), all ? "all signatures valid" : "INVALID");
    return all ? exit_ok : exit_error;
}

int verify_with_config(const std::string& file, const Document& doc, const std::string& config_path) {
    auto cfg = load_config(config_path);
    if (!cfg) {
        std::fprintf(stderr, "%s\n", cfg.error().message.c_str());
        return exit_error;
    }
    const OversightConfig& o = cfg->oversight;
    if (!o.enabled) {
        std::fprintf(stderr, "%s: no oversight section: it trusts no keys\n", config_path.c_str());
        return exit_error;
    }
    // The config's authorisations: a revocation's target decides whether an operator may sign it.
    std::vector<Authorisation> loaded;
    for (const auto& f : cfg->authorisation_files)
        if (auto a = load_authorisation_file(f)) loaded.push_back(a.value());
    auto find = [&](const std::string& id) -> const Authorisation* {
        for (const auto& a : loaded)
            if (a.id == id) return &a;
        return nullptr;
    };
    AuthorityVerdict v;
    if (doc.revocation) {
        v = check_revocation_signatures(doc.rev->revocation, doc.rev->signatures, o.policy, find(doc.rev->revocation.id));
    } else {
        std::vector<Revocation> revocations;
        for (const auto& f : o.revocation_files) {
            auto r = load_revocation_file(f);
            if (!r) {
                std::fprintf(stderr, "%s\n", r.error().message.c_str());
                return exit_error;
            }
            AuthorityVerdict rv = check_revocation_signatures(r->revocation, r->signatures, o.policy, find(r->revocation.id));
            // As check-config and run judge it: an untrusted revocation refuses the whole config, so no
            // authorisation of it is valid (it had been ignored here, and the file called valid).
            if (!rv.usable()) {
                std::fprintf(stderr, "%s: revocation of %s refused: %s (check-config and run refuse this config)\n",
                             r->revocation.source.c_str(), r->revocation.id.c_str(), rv.message.c_str());
                return exit_error;
            }
            revocations.push_back(r->revocation);
        }
        std::optional<SerialState> state;
        if (!o.state_file.empty()) {
            auto st = SerialState::load(o.state_file);  // read only: verifying records nothing
            if (!st) {
                std::fprintf(stderr, "%s\n", st.error().message.c_str());
                return exit_error;
            }
            state = std::move(st.value());
        }
        v = judge_authorisation(doc.auth->authorisation, doc.auth->signatures, o.policy, revocations,
                                state ? &*state : nullptr, now_unix_ns());
    }
    print_signatures(file, v.signatures);
    if (v.refusal == Refusal::none)
        std::printf("%s: %s: valid%s%s\n", file.c_str(), doc.what().c_str(), v.message.empty() ? "" : ": ",
                    v.message.c_str());
    else if (v.usable())
        std::printf("%s: %s: valid, %s\n", file.c_str(), doc.what().c_str(), v.message.c_str());
    else
        std::printf("%s: %s: REFUSED (%s): %s\n", file.c_str(), doc.what().c_str(), std::string(name_of(v.refusal)).c_str(),
                    v.message.c_str());
    return v.usable() ? exit_ok : exit_error;
}

int verify(const std::vector<std::string>& args) {
    Options o = parse(args, {"--keys", "--config"});
    if (!o.ok || o.file.empty() || o.named.count("--keys") == o.named.count("--config")) return usage();
    auto doc = load_document(o.file);
    if (!doc) {
        std::fprintf(stderr, "%s\n", doc.error().message.c_str());
        return exit_error;
    }
    if (o.named.count("--keys")) return verify_with_keys(o.file, doc.value(), o.named["--keys"]);
    return verify_with_config(o.file, doc.value(), o.named["--config"]);
}

}  // namespace

int authority_command(const std::vector<std::string>& args) {
    if (args.empty()) return usage();
    if (asks_for_help(args)) {
        std::fputs(authority_usage, stdout);
        return exit_ok;
    }
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (const std::string o = repeated_option(rest, {"--key", "--out", "--id", "--keys", "--config"}); !o.empty()) {
        std::fprintf(stderr, "flowsieve authority: %s given twice%s\n", o.c_str(),
                     o == "--key" && args[0] == "sign" ? " (sign once for each key: each run adds its signature)" : "");
        return usage();
    }
    if (args[0] == "keygen") return keygen(rest);
    if (args[0] == "sign") return sign(rest);
    if (args[0] == "verify") return verify(rest);
    return usage();
}

}  // namespace flowsieve
