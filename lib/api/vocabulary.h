// The controlled vocabularies of the oncoatlas.io/v1alpha1 API, kept in one
// place: the GA4GH Data Use Ontology (DUO) terms a Dataset's data-use terms,
// a grant's purpose and a policy's rules may use, and the ISO 3166-1 alpha-2
// country codes. crds/*.yaml spell the same lists in their enums and CEL
// rules; tests/crds/api_types_test.cc proves every copy equals these.
// Constants; safe from any thread.
#pragma once

#include <array>
#include <string_view>

namespace oncoatlas::api {

struct DuoTerm {
  std::string_view curie;  // "DUO:" and 7 digits
  std::string_view label;  // the ontology's label
};

// Data-use permissions: what research a Dataset allows (spec.dataUse.permission).
inline constexpr std::array<DuoTerm, 5> kDuoPermissions = {{
    {"DUO:0000004", "no restriction"},
    {"DUO:0000042", "general research use"},
    {"DUO:0000006", "health or medical or biomedical research"},
    {"DUO:0000007", "disease specific research"},
    {"DUO:0000011", "population origins or ancestry research only"},
}};

// Data-use modifiers: conditions on top of the permission (spec.dataUse.modifiers).
inline constexpr std::array<DuoTerm, 18> kDuoModifiers = {{
    {"DUO:0000012", "research specific restrictions"},
    {"DUO:0000015", "no general methods research"},
    {"DUO:0000016", "genetic studies only"},
    {"DUO:0000018", "not for profit, non commercial use only"},
    {"DUO:0000019", "publication required"},
    {"DUO:0000020", "collaboration required"},
    {"DUO:0000021", "ethics approval required"},
    {"DUO:0000022", "geographical restriction"},
    {"DUO:0000024", "publication moratorium"},
    {"DUO:0000025", "time limit on use"},
    {"DUO:0000026", "user specific restriction"},
    {"DUO:0000027", "project specific restriction"},
    {"DUO:0000028", "institution specific restriction"},
    {"DUO:0000029", "return to database or resource"},
    {"DUO:0000043", "clinical care use"},
    {"DUO:0000044", "population origins or ancestry research prohibited"},
    {"DUO:0000045", "not for profit organisation use only"},
    {"DUO:0000046", "non-commercial use only"},
}};

// ISO 3166-1 alpha-2 codes officially assigned, in order. The United Kingdom is
// GB (UK is only exceptionally reserved).
inline constexpr std::array<std::string_view, 249> kIsoCountries = {
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ", "BA", "BB",
    "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY",
    "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX",
    "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK",
    "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS",
    "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR",
    "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA",
    "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE",
    "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM",
    "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC", "SD", "SE", "SG",
    "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF",
    "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY",
    "UZ", "VA", "VC", "VE", "VG", "VI", "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
};

}  // namespace oncoatlas::api
