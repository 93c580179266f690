#!/usr/bin/python3
"""Turns PS3.15 table E.1-1 (data/confidentiality_profile_attributes.json) into
C++ source: one ProfileRule per row, in the table's order. Run by CMake at
build time; fails loudly on a row it does not understand."""
import json
import re
import sys

OPTIONS = [  # JSON key -> ProfileOption enumerator, in ProfileOption order
    ("rtnSafePrivOpt", "kRetainSafePrivate"),
    ("rtnUIDsOpt", "kRetainUids"),
    ("rtnDevIdOpt", "kRetainDeviceIdentity"),
    ("rtnInstIdOpt", "kRetainInstitutionIdentity"),
    ("rtnPatCharsOpt", "kRetainPatientCharacteristics"),
    ("rtnLongFullDatesOpt", "kRetainLongitudinalFullDates"),
    ("rtnLongModifDatesOpt", "kRetainLongitudinalModifiedDates"),
    ("cleanDescOpt", "kCleanDescriptors"),
    ("cleanStructContOpt", "kCleanStructuredContent"),
    ("cleanGraphOpt", "kCleanGraphics"),
]
CODES = {"D": "kD", "Z": "kZ", "X": "kX", "K": "kK", "C": "kC", "U": "kU", "X/Z": "kXZ",
         "Z/D": "kZD", "X/D": "kXD", "X/Z/D": "kXZD", "X/Z/U*": "kXZU"}


def code(value, where):
    if value not in CODES:
        sys.exit(f"generate_profile_table: unknown action code {value!r} in {where}")
    return "ActionCode::" + CODES[value]


def tag_pattern(text, where):
    """Returns (value, mask, private) for '(GGGG,EEEE)' where X matches any hex digit."""
    if text.upper().startswith("(GGGG,EEEE) WHERE GGGG IS ODD"):
        return 0, 0, True
    m = re.fullmatch(r"\(([0-9A-FX]{4}),([0-9A-FX]{4})\)", text.upper())
    if not m:
        sys.exit(f"generate_profile_table: unknown tag pattern {text!r} in {where}")
    digits = m.group(1) + m.group(2)
    value = int(digits.replace("X", "0"), 16)
    mask = int("".join("0" if c == "X" else "F" for c in digits), 16)
    return value, mask, False


def clean_name(name):
    name = re.sub(r"\s*\(see Note \d+\)", "", name)
    return " ".join(name.split())


def main():
    source, out = sys.argv[1], sys.argv[2]
    with open(source, encoding="utf-8") as f:
        rows = json.load(f)
    lines = [
        "// Generated at build time by agents/deid/generate_profile_table.py from",
        "// agents/deid/data/confidentiality_profile_attributes.json. Do not edit.",
        '#include "deid/profile_table.h"',
        "",
        "namespace oncoatlas::deid {",
        "",
        "const ProfileRule kProfileRules[] = {",
    ]
    for i, row in enumerate(rows):
        where = f"row {i} ({row.get('tag')})"
        value, mask, private = tag_pattern(row["tag"], where)
        name = clean_name(row["name"]).replace("\\", "\\\\").replace('"', '\\"')
        opts = ", ".join(code(row[k], where) if row.get(k) else "ActionCode::kNone" for k, _ in OPTIONS)
        lines.append(f'    {{0x{value:08X}u, 0x{mask:08X}u, {"true" if private else "false"}, "{name}", '
                     f'{code(row["basicProfile"], where)}, {{{opts}}}}},')
    lines += ["};", "", "const std::size_t kProfileRuleCount = sizeof(kProfileRules) / sizeof(kProfileRules[0]);", "", "}  // namespace oncoatlas::deid", ""]
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
