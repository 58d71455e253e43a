// country_code.cpp: the assigned ISO 3166-1 alpha-2 codes (control plane: config checks).
#include "core/country_code.hpp"

#include <array>

namespace flowsieve {

namespace {

// The 249 officially assigned codes, as Debian 12's iso-codes (4.15) lists them in
// /usr/share/iso-codes/json/iso_3166-1.json; tests/unit/core/test_country_code.cpp checks this
// list against that file. Registry placeholders (ZZ, EU, AP) are not countries.
constexpr std::string_view assigned =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR "
    "BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ "
    "EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW "
    "GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY "
    "KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV "
    "MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY "
    "QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG "
    "TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM "
    "ZW";

constexpr std::array<bool, 26 * 26> assigned_table = [] {
    std::array<bool, 26 * 26> t{};
    for (std::size_t i = 0; i + 1 < assigned.size(); i += 3) t[(assigned[i] - 'A') * 26 + (assigned[i + 1] - 'A')] = true;
    return t;
}();

}  // namespace

bool is_assigned_country(CountryCode cc) {
    const int a = (cc >> 8) - 'A', b = (cc & 0xff) - 'A';
    return a >= 0 && a < 26 && b >= 0 && b < 26 && assigned_table[static_cast<std::size_t>(a * 26 + b)];
}

}  // namespace flowsieve
