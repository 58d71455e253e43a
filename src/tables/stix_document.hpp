// stix_document.hpp: parses a STIX JSON file into a document that holds only what the STIX loader
// reads (control plane, stix_loader.cpp). Why: a feed's descriptions, references, kill chains and
// markings made the whole parsed document several times the file (a 178 MB bundle of 200k
// indicators: 1 GB resident); nlohmann's parse callback cut that but tripled the time. This SAX
// handler builds the small document directly.
//
// Kept: the root object's `objects` array, and in the root object and in each object of that array
// the fields in `read_fields`. A kept field whose value is an object or array (never a valid STIX
// value for them, but for `indicator_types` and `labels`, lists of strings, whose strings are kept) is kept as
// an empty one of the same kind, so the loader still sees it there and of the wrong type; so is an
// element of `objects` that is not an object. A root that is not an
// object is kept as such (empty when a container). Everything else is parsed, its syntax checked,
// and dropped.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flowsieve::detail {

class StixDocument : public nlohmann::json_sax<nlohmann::json> {
public:
    using json = nlohmann::json;

    static constexpr std::array<std::string_view, 10> read_fields{
        "type", "id", "pattern", "pattern_type", "modified", "valid_from", "valid_until", "revoked", "indicator_types", "labels"};
    // The kept fields whose values are lists of strings (STIX 2.1's indicator types, 2.0's labels).
    static bool is_string_list_field(std::string_view k) { return k == "indicator_types" || k == "labels"; }

    // Why the text is not JSON: where (bytes read up to and including the offending one) and what,
    // without nlohmann's "[json.exception...] parse error at line 3, column 5: " prefix.
    struct Error {
        std::size_t byte = 0;
        std::string what;
    };
    struct Parsed {
        json doc;
        std::optional<Error> error;
    };
    static Parsed parse(std::string_view text) {
        StixDocument d;
        json::sax_parse(text.begin(), text.end(), &d);
        return {std::move(d.root_), std::move(d.error_)};
    }

    bool null() override { return value(json(nullptr)); }
    bool boolean(bool v) override { return value(json(v)); }
    bool number_integer(number_integer_t v) override { return value(json(v)); }
    bool number_unsigned(number_unsigned_t v) override { return value(json(v)); }
    bool number_float(number_float_t v, const string_t&) override { return value(json(v)); }
    bool string(string_t& v) override { return value(json(std::move(v))); }
    bool binary(binary_t&) override { return value(json(nullptr)); }  // not produced by JSON text
    bool start_object(std::size_t) override { return open(json::object()); }
    bool start_array(std::size_t) override { return open(json::array()); }
    bool end_object() override { return close(); }
    bool end_array() override { return close(); }
    bool key(string_t& k) override {
        key_ = std::move(k);
        return true;
    }
    // Syntax errors, and numbers too large for a double (an out_of_range error, which json::parse
    // would throw past a catch of parse_error: such a file once aborted the process).
    bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override {
        std::string_view w = e.what();
        if (const auto end = w.find("] "); w.starts_with("[json.exception.") && end != std::string_view::npos)
            w.remove_prefix(end + 2);
        if (const auto c = w.find("column "); w.starts_with("parse error") && c != std::string_view::npos)
            if (const auto colon = w.find(": ", c); colon != std::string_view::npos) w.remove_prefix(colon + 2);
        const auto* pe = dynamic_cast<const json::parse_error*>(&e);
        error_ = Error{pe ? pe->byte : position, std::string(w)};
        return false;
    }

private:
    // An open container: where its kept contents go (nullptr: dropped), and what it is.
    struct Level {
        json* into = nullptr;
        bool root = false;     // the root object: it may hold `objects`
        bool objects = false;  // the root object's `objects` array
        bool strings = false;  // a kept `indicator_types` or `labels` array: its strings are kept, nothing else
    };

    static bool is_read_field(std::string_view k) {
        for (std::string_view f : read_fields)
            if (k == f) return true;
        return false;
    }

    // Where a new value goes; returns the json it became when its contents are kept too.
    json* place(json&& v) {
        if (levels_.empty()) {
            root_ = std::move(v);
            return root_.is_object() ? &root_ : nullptr;
        }
        const Level& at = levels_.back();
        if (at.into == nullptr) return nullptr;
        if (at.strings) {
            if (v.is_string()) at.into->push_back(std::move(v));
            return nullptr;
        }
        if (at.objects) {
            at.into->push_back(std::move(v));
            json& e = at.into->back();
            return e.is_object() ? &e : nullptr;
        }
        const bool objects = at.root && key_ == "objects";
        if (!objects && !is_read_field(key_)) return nullptr;
        json& slot = (*at.into)[key_];
        slot = std::move(v);
        return objects && slot.is_array() ? &slot : nullptr;
    }
    bool value(json&& v) {
        place(std::move(v));
        return true;
    }
    bool open(json&& empty) {
        const bool first = levels_.empty();
        const bool parent_root = !first && levels_.back().root && levels_.back().into != nullptr;
        // The `indicator_types` or `labels` of a kept object (an element of `objects`, or a root that is one indicator).
        const bool in_object = !first && levels_.back().into != nullptr && !levels_.back().objects && !levels_.back().strings;
        const bool strings = in_object && is_string_list_field(key_) && empty.is_array();
        json* into = place(std::move(empty));
        if (strings && into == nullptr) into = &(*levels_.back().into)[key_];
        levels_.push_back(Level{into, first && into != nullptr, parent_root && into != nullptr && into->is_array(),
                                strings && into != nullptr});
        return true;
    }
    bool close() {
        levels_.pop_back();
        return true;
    }

    json root_;
    std::optional<Error> error_;
    std::vector<Level> levels_;
    std::string key_;
};

}  // namespace flowsieve::detail
