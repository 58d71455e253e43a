// traffic_profile.cpp: profile mixes and option parsing (generator set-up).
#include "traffic_profile.hpp"

namespace flowsieve::gen {

std::optional<Profile> parse_profile(std::string_view s) {
    if (s == "demo") return Profile::demo;
    if (s == "mix") return Profile::mix;
    return std::nullopt;
}

std::optional<SizeModel> parse_size_model(std::string_view s) {
    if (s == "64") return SizeModel::min64;
    if (s == "imix") return SizeModel::imix;
    return std::nullopt;
}

std::array<std::uint32_t, intent_count> profile_weights(Profile p) {
    std::array<std::uint32_t, intent_count> w{};
    auto set = [&w](auto what, std::uint32_t weight) { w[intent_of(what)] = weight; };
    if (p == Profile::demo) {
        // Per mille, roughly: half emitted, the rest spread so that every reason shows up often
        // enough to count at 200k packets, and the rare ones still appear in a few thousand.
        set(Category::transit, 300);
        set(Category::operator_, 110);
        set(Category::threat_linked, 110);
        set(DropReason::unauthorised, 50);
        set(DropReason::not_ip, 20);
        set(DropReason::special_address, 40);
        set(DropReason::domestic_domestic, 60);
        set(DropReason::excluded_port, 40);
        set(DropReason::fragment_no_ports, 20);
        set(DropReason::no_rule, 120);
        for (std::size_t a = 0; a < anomaly_count; ++a) w[category_count + a] = 5;  // ~10% in all
    } else {
        // A border link: mostly foreign <-> domestic traffic outside every rule, a third selected.
        set(Category::transit, 200);
        set(Category::operator_, 60);
        set(Category::threat_linked, 60);
        set(DropReason::no_rule, 550);
        set(DropReason::domestic_domestic, 60);
        set(DropReason::special_address, 20);
        set(DropReason::excluded_port, 40);
        set(DropReason::fragment_no_ports, 10);
    }
    return w;
}

}  // namespace flowsieve::gen
