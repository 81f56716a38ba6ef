"""Table of event-pattern cases: EventBridge semantics as event-ruler 2.1.0 implements them.

Each MatchCase contains one pattern and one event with the expected verdict. The same table
feeds the unit test and the differential test against event-ruler, so every verdict
here is also checked against AWS's engine when Java and Maven are present.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["INVALID_CASES", "MATCH_CASES", "InvalidCase", "MatchCase"]


@dataclass(frozen=True)
class MatchCase:
    """A pattern, an event and whether the pattern matches it."""

    id: str
    pattern: dict[str, Any]
    event: dict[str, Any]
    matches: bool


@dataclass(frozen=True)
class InvalidCase:
    """A pattern that must be rejected, the JSON path named and a fragment of the reason."""

    id: str
    pattern: Any
    path: str
    reason: str


def _cases(
    name: str, pattern: dict[str, Any], *events: tuple[dict[str, Any], bool]
) -> list[MatchCase]:
    return [
        MatchCase(f"{name}-{i}", pattern, event, verdict)
        for i, (event, verdict) in enumerate(events)
    ]


MATCH_CASES: list[MatchCase] = [
    # Exact values: strings, numbers, booleans and null, each compared with its JSON type.
    *_cases(
        "exact-string",
        {"type": ["com.example.access.DoorUnlocked"]},
        ({"type": "com.example.access.DoorUnlocked"}, True),
        ({"type": "com.example.access.DoorLocked"}, False),
        ({"type": "COM.EXAMPLE.ACCESS.DOORUNLOCKED"}, False),
        ({}, False),
    ),
    *_cases(
        "exact-any-of-list",
        {"detail": {"method": ["PIN", "BLUETOOTH"]}},
        ({"detail": {"method": "BLUETOOTH"}}, True),
        ({"detail": {"method": "KEY"}}, False),
    ),
    *_cases(
        "exact-number-1-equals-1.0",
        {"detail": {"battery_percent": [1]}},
        ({"detail": {"battery_percent": 1.0}}, True),
        ({"detail": {"battery_percent": 1}}, True),
        ({"detail": {"battery_percent": "1"}}, False),
        ({"detail": {"battery_percent": True}}, False),
    ),
    *_cases(
        "exact-number-exponent",
        {"detail": {"limit": [3.018e2]}},
        ({"detail": {"limit": 301.8}}, True),
        ({"detail": {"limit": 301.80001}}, False),
    ),
    *_cases(
        "exact-string-is-not-number",
        {"detail": {"code": ["1"]}},
        ({"detail": {"code": "1"}}, True),
        ({"detail": {"code": 1}}, False),
    ),
    *_cases(
        "exact-boolean",
        {"detail": {"online": [True]}},
        ({"detail": {"online": True}}, True),
        ({"detail": {"online": "true"}}, False),
        ({"detail": {"online": 1}}, False),
    ),
    *_cases(
        "exact-empty-string",
        {"detail": {"unit": [""]}},
        ({"detail": {"unit": ""}}, True),
        ({"detail": {"unit": "4B"}}, False),
    ),
    # Null versus missing: [null] needs the field present with a null value.
    *_cases(
        "null-vs-missing",
        {"detail": {"unit": [None]}},
        ({"detail": {"unit": None}}, True),
        ({"detail": {}}, False),
        ({"detail": {"unit": "null"}}, False),
    ),
    # Arrays in events: the field matches when any element matches.
    *_cases(
        "event-array-any-element",
        {"detail": {"parcel_ids": ["P-2"]}},
        ({"detail": {"parcel_ids": ["P-1", "P-2"]}}, True),
        ({"detail": {"parcel_ids": ["P-1", "P-3"]}}, False),
        ({"detail": {"parcel_ids": []}}, False),
        ({"detail": {"parcel_ids": [["P-2"]]}}, True),
    ),
    *_cases(
        "array-of-objects-consistent",
        {"detail": {"parcels": {"size": ["LARGE"], "weight_kg": [{"numeric": [">", 20]}]}}},
        ({"detail": {"parcels": [{"size": "LARGE", "weight_kg": 25}]}}, True),
        (
            {
                "detail": {
                    "parcels": [
                        {"size": "LARGE", "weight_kg": 5},
                        {"size": "SMALL", "weight_kg": 30},
                    ]
                }
            },
            False,
        ),
        (
            {
                "detail": {
                    "parcels": [
                        {"size": "SMALL", "weight_kg": 30},
                        {"size": "LARGE", "weight_kg": 21},
                    ]
                }
            },
            True,
        ),
    ),
    *_cases(
        "array-consistency-across-or",
        {"a": {"b": [1]}, "$or": [{"a": {"c": [2]}}, {"z": [1]}]},
        ({"a": [{"b": 1, "c": 2}]}, True),
        ({"a": [{"b": 1}, {"c": 2}]}, False),
        ({"a": [{"b": 1}, {"c": 2}], "z": 1}, True),
    ),
    # Nested fields, and dotted names that mean the same path.
    *_cases(
        "nested-field",
        {"detail": {"address": {"country_code": ["DE"]}}},
        ({"detail": {"address": {"country_code": "DE", "city": "Berlin"}}}, True),
        ({"detail": {"address": {"country_code": "FR"}}}, False),
        ({"detail": {"address": "DE"}}, False),
    ),
    *_cases(
        "dotted-pattern-key",
        {"detail.address.city": ["Berlin"]},
        ({"detail": {"address": {"city": "Berlin"}}}, True),
        ({"detail": {"address": {"city": "Bonn"}}}, False),
    ),
    *_cases(
        "leaf-pattern-on-object-value",
        {"detail": {"address": ["Berlin"]}},
        ({"detail": {"address": {"city": "Berlin"}}}, False),
        ({"detail": {"address": [{"city": "x"}, "Berlin"]}}, True),
    ),
    # prefix and suffix, with and without equals-ignore-case; strings only.
    *_cases(
        "prefix",
        {"detail": {"lock_id": [{"prefix": "lock-eu-"}]}},
        ({"detail": {"lock_id": "lock-eu-0042"}}, True),
        ({"detail": {"lock_id": "lock-us-0042"}}, False),
        ({"detail": {"lock_id": "LOCK-EU-0042"}}, False),
    ),
    *_cases(
        "prefix-number-is-not-string",
        {"detail": {"code": [{"prefix": "1"}]}},
        ({"detail": {"code": "10"}}, True),
        ({"detail": {"code": 10}}, False),
    ),
    *_cases(
        "prefix-empty-matches-any-string",
        {"detail": {"courier_id": [{"prefix": ""}]}},
        ({"detail": {"courier_id": "C1"}}, True),
        ({"detail": {"courier_id": None}}, False),
    ),
    *_cases(
        "prefix-ignore-case",
        {"source": [{"prefix": {"equals-ignore-case": "Partner/"}}]},
        ({"source": "PARTNER/acme"}, True),
        ({"source": "internal/partner"}, False),
    ),
    *_cases(
        "suffix",
        {"type": [{"suffix": ".DoorUnlocked"}]},
        ({"type": "com.example.access.DoorUnlocked"}, True),
        ({"type": "com.example.access.DoorUnlockedV2"}, False),
    ),
    *_cases(
        "suffix-ignore-case",
        {"detail": {"file": [{"suffix": {"equals-ignore-case": ".PNG"}}]}},
        ({"detail": {"file": "proof.png"}}, True),
        ({"detail": {"file": "proof.jpg"}}, False),
    ),
    # equals-ignore-case, exactly and wildcard.
    *_cases(
        "equals-ignore-case",
        {"detail": {"status": [{"equals-ignore-case": "jammed"}]}},
        ({"detail": {"status": "JAMMED"}}, True),
        ({"detail": {"status": "Jammed"}}, True),
        ({"detail": {"status": "JAMMED "}}, False),
    ),
    *_cases(
        "equals-ignore-case-unicode",
        {"detail": {"city": [{"equals-ignore-case": "ÄRHUS"}]}},
        ({"detail": {"city": "ärhus"}}, True),
        ({"detail": {"city": "arhus"}}, False),
    ),
    *_cases(
        "equals-ignore-case-no-expansion",
        {"detail": {"street": [{"equals-ignore-case": "STRASSE"}]}},
        ({"detail": {"street": "strasse"}}, True),
        ({"detail": {"street": "straße"}}, False),
    ),
    *_cases(
        "equals-ignore-case-title-case",
        {"detail": {"code": [{"equals-ignore-case": "ǅ"}]}},
        ({"detail": {"code": "ǆ"}}, True),
        ({"detail": {"code": "dž"}}, False),
    ),
    *_cases(
        "exactly",
        {"detail": {"status": [{"exactly": "ONLINE"}]}},
        ({"detail": {"status": "ONLINE"}}, True),
        ({"detail": {"status": "online"}}, False),
    ),
    *_cases(
        "wildcard",
        {"type": [{"wildcard": "com.example.*.Door*"}]},
        ({"type": "com.example.access.DoorLocked"}, True),
        ({"type": "com.example.access.Doorbell"}, True),
        ({"type": "com.example.delivery.DeliveryScheduled"}, False),
    ),
    *_cases(
        "wildcard-escaped-star",
        {"detail": {"note": [{"wildcard": "a\\*b*"}]}},
        ({"detail": {"note": "a*bc"}}, True),
        ({"detail": {"note": "axbc"}}, False),
    ),
    *_cases(
        "wildcard-star-matches-empty",
        {"detail": {"note": [{"wildcard": "*"}]}},
        ({"detail": {"note": ""}}, True),
        ({"detail": {"note": None}}, False),
        ({"detail": {"note": 5}}, False),
    ),
    # anything-but in all its forms; it never matches a missing field.
    *_cases(
        "anything-but-string",
        {"detail": {"status": [{"anything-but": "ONLINE"}]}},
        ({"detail": {"status": "OFFLINE"}}, True),
        ({"detail": {"status": "ONLINE"}}, False),
        ({"detail": {}}, False),
        ({"detail": {"status": None}}, True),
        ({"detail": {"status": 5}}, True),
    ),
    *_cases(
        "anything-but-list-of-strings",
        {"detail": {"access_mode": [{"anything-but": ["FRONT_DOOR", "GARAGE"]}]}},
        ({"detail": {"access_mode": "PARCEL_LOCKER"}}, True),
        ({"detail": {"access_mode": "GARAGE"}}, False),
        ({"detail": {"access_mode": ["GARAGE", "PARCEL_LOCKER"]}}, True),
        ({"detail": {"access_mode": ["GARAGE"]}}, False),
    ),
    *_cases(
        "anything-but-numbers",
        {"detail": {"code": [{"anything-but": [100, 200]}]}},
        ({"detail": {"code": 300}}, True),
        ({"detail": {"code": 100.0}}, False),
        ({"detail": {"code": "100"}}, True),
        ({"detail": {"code": True}}, True),
    ),
    *_cases(
        "anything-but-single-number",
        {"detail": {"code": [{"anything-but": 5}]}},
        ({"detail": {"code": 6}}, True),
        ({"detail": {"code": 5}}, False),
    ),
    *_cases(
        "anything-but-prefix",
        {"detail": {"lock_id": [{"anything-but": {"prefix": "test-"}}]}},
        ({"detail": {"lock_id": "lock-1"}}, True),
        ({"detail": {"lock_id": "test-1"}}, False),
        ({"detail": {"lock_id": 7}}, True),
    ),
    *_cases(
        "anything-but-prefix-list",
        {"detail": {"lock_id": [{"anything-but": {"prefix": ["test-", "qa-"]}}]}},
        ({"detail": {"lock_id": "lock-1"}}, True),
        ({"detail": {"lock_id": "qa-1"}}, False),
    ),
    *_cases(
        "anything-but-suffix",
        {"detail": {"file": [{"anything-but": {"suffix": ".tmp"}}]}},
        ({"detail": {"file": "a.png"}}, True),
        ({"detail": {"file": "a.tmp"}}, False),
    ),
    *_cases(
        "anything-but-equals-ignore-case",
        {"detail": {"status": [{"anything-but": {"equals-ignore-case": ["online", "unknown"]}}]}},
        ({"detail": {"status": "JAMMED"}}, True),
        ({"detail": {"status": "Online"}}, False),
    ),
    *_cases(
        "anything-but-wildcard",
        {"detail": {"lock_id": [{"anything-but": {"wildcard": "*-test-*"}}]}},
        ({"detail": {"lock_id": "eu-prod-1"}}, True),
        ({"detail": {"lock_id": "eu-test-1"}}, False),
    ),
    *_cases(
        "anything-but-missing-field",
        {"detail": {"courier_id": [{"anything-but": "C1"}]}},
        ({"detail": {"lock_id": "L1"}}, False),
        ({"detail": {"courier_id": []}}, False),
        ({"detail": {"courier_id": "C2"}}, True),
    ),
    # numeric: ranges, equality, and only JSON numbers.
    *_cases(
        "numeric-range",
        {"detail": {"battery_percent": [{"numeric": [">", 0, "<=", 10]}]}},
        ({"detail": {"battery_percent": 10}}, True),
        ({"detail": {"battery_percent": 0.5}}, True),
        ({"detail": {"battery_percent": 0}}, False),
        ({"detail": {"battery_percent": 10.000001}}, False),
        ({"detail": {"battery_percent": "5"}}, False),
    ),
    *_cases(
        "numeric-lower-inclusive",
        {"detail": {"n": [{"numeric": [">=", 5]}]}},
        ({"detail": {"n": 5}}, True),
        ({"detail": {"n": 4.999}}, False),
    ),
    *_cases(
        "numeric-upper-exclusive",
        {"detail": {"n": [{"numeric": ["<", -3]}]}},
        ({"detail": {"n": -3.5}}, True),
        ({"detail": {"n": -3}}, False),
    ),
    *_cases(
        "numeric-equals",
        {"detail": {"n": [{"numeric": ["=", 1]}]}},
        ({"detail": {"n": 1.0}}, True),
        ({"detail": {"n": 1.5}}, False),
        ({"detail": {"n": True}}, False),
    ),
    *_cases(
        "numeric-large-values",
        {"detail": {"bytes": [{"numeric": [">", 6e9]}]}},
        ({"detail": {"bytes": 7e12}}, True),
        ({"detail": {"bytes": 5e9}}, False),
    ),
    *_cases(
        "numeric-compares-as-double",
        {"detail": {"n": [{"numeric": [">", 9007199254740992]}]}},
        ({"detail": {"n": 9007199254740993}}, False),
        ({"detail": {"n": 9007199254740994}}, True),
    ),
    *_cases(
        "exact-large-integers",
        {"detail": {"n": [9007199254740993]}},
        ({"detail": {"n": 9007199254740993}}, True),
        ({"detail": {"n": 9007199254740992}}, False),
    ),
    *_cases(
        "anything-but-negative-zero",
        {"detail": {"n": [{"anything-but": 0}]}},
        ({"detail": {"n": -0.0}}, False),
        ({"detail": {"n": 0.5}}, True),
    ),
    *_cases(
        "numeric-in-array",
        {"detail": {"temps": [{"numeric": [">", 30]}]}},
        ({"detail": {"temps": [12, 31]}}, True),
        ({"detail": {"temps": [12, 30]}}, False),
    ),
    # exists: leaf fields only; null counts as present.
    *_cases(
        "exists-true",
        {"detail": {"courier_id": [{"exists": True}]}},
        ({"detail": {"courier_id": "C1"}}, True),
        ({"detail": {"courier_id": None}}, True),
        ({"detail": {}}, False),
        ({"detail": {"courier_id": {"id": "C1"}}}, False),
        ({"detail": {"courier_id": []}}, False),
    ),
    *_cases(
        "exists-false",
        {"detail": {"courier_id": [{"exists": False}]}},
        ({"detail": {}}, True),
        ({"detail": {"courier_id": "C1"}}, False),
        ({"detail": {"courier_id": None}}, False),
        ({"detail": {"courier_id": {"id": "C1"}}}, True),
    ),
    *_cases(
        "exists-false-whole-event",
        {"a": {"b": [{"exists": False}], "c": [2]}},
        ({"a": [{"c": 2}]}, True),
        ({"a": [{"b": 1, "c": 2}, {"c": 2}]}, False),
    ),
    *_cases(
        "exists-false-or-value",
        {"detail": {"unit": [{"exists": False}, "4B"]}},
        ({"detail": {}}, True),
        ({"detail": {"unit": "4B"}}, True),
        ({"detail": {"unit": "2A"}}, False),
    ),
    # cidr: IPv4 and IPv6 blocks; strings only.
    *_cases(
        "cidr-ipv4",
        {"detail": {"source_ip": [{"cidr": "10.0.0.0/24"}]}},
        ({"detail": {"source_ip": "10.0.0.77"}}, True),
        ({"detail": {"source_ip": "10.0.1.77"}}, False),
        ({"detail": {"source_ip": "not-an-ip"}}, False),
        ({"detail": {"source_ip": "10.0.0.256"}}, False),
    ),
    *_cases(
        "cidr-ipv4-host-bits-ignored",
        {"detail": {"source_ip": [{"cidr": "192.168.7.9/16"}]}},
        ({"detail": {"source_ip": "192.168.200.1"}}, True),
        ({"detail": {"source_ip": "192.169.0.1"}}, False),
    ),
    *_cases(
        "cidr-ipv6",
        {"detail": {"source_ip": [{"cidr": "2001:db8::/32"}]}},
        ({"detail": {"source_ip": "2001:db8:1::7"}}, True),
        ({"detail": {"source_ip": "2001:0DB8:0000::1"}}, True),
        ({"detail": {"source_ip": "2001:db9::1"}}, False),
        ({"detail": {"source_ip": "10.0.0.1"}}, False),
    ),
    # $or: alternatives at any level, combined with other fields by AND.
    *_cases(
        "or-top-level",
        {
            "$or": [
                {"detail": {"status": ["JAMMED"]}},
                {"detail": {"battery_percent": [{"numeric": ["<", 10]}]}},
            ]
        },
        ({"detail": {"status": "JAMMED", "battery_percent": 80}}, True),
        ({"detail": {"status": "ONLINE", "battery_percent": 5}}, True),
        ({"detail": {"status": "ONLINE", "battery_percent": 50}}, False),
    ),
    *_cases(
        "or-with-and",
        {
            "type": ["com.example.access.DeviceStatusChanged"],
            "detail": {"$or": [{"status": ["JAMMED"]}, {"signal_dbm": [{"numeric": ["<", -100]}]}]},
        },
        ({"type": "com.example.access.DeviceStatusChanged", "detail": {"signal_dbm": -110}}, True),
        ({"type": "com.example.access.DoorUnlocked", "detail": {"status": "JAMMED"}}, False),
    ),
    *_cases(
        "or-nested",
        {"$or": [{"a": [1]}, {"$or": [{"b": [2]}, {"c": [3]}]}]},
        ({"c": 3}, True),
        ({"b": 3}, False),
    ),
    *_cases(
        "or-single-branch-is-field-name",
        {"$or": [1, 2]},
        ({"$or": 2}, True),
        ({"a": 1}, False),
    ),
    # Several fields: all must match.
    *_cases(
        "and-of-fields",
        {
            "type": ["com.example.access.DoorUnlocked"],
            "detail": {"method": ["PIN"], "battery_percent": [{"numeric": ["<", 20]}]},
        },
        (
            {
                "type": "com.example.access.DoorUnlocked",
                "detail": {"method": "PIN", "battery_percent": 15},
            },
            True,
        ),
        (
            {
                "type": "com.example.access.DoorUnlocked",
                "detail": {"method": "PIN", "battery_percent": 25},
            },
            False,
        ),
    ),
    *_cases(
        "mixed-alternatives",
        {"detail": {"status": ["ONLINE", {"prefix": "LOW_"}, {"numeric": ["=", 0]}, None]}},
        ({"detail": {"status": "LOW_BATTERY"}}, True),
        ({"detail": {"status": 0}}, True),
        ({"detail": {"status": None}}, True),
        ({"detail": {"status": "OFFLINE"}}, False),
    ),
]

INVALID_CASES: list[InvalidCase] = [
    InvalidCase("not-an-object", ["a"], "$", "must be a JSON object"),
    InvalidCase("empty-pattern", {}, "$", "empty object"),
    InvalidCase("scalar-leaf", {"type": "x"}, "$.type", "array of values"),
    InvalidCase("empty-array", {"type": []}, "$.type", "empty array"),
    InvalidCase("nested-array", {"type": [["x"]]}, "$.type[0]", "match value"),
    InvalidCase(
        "unknown-operator",
        {"detail": {"n": [{"regex": "a.*"}]}},
        "$.detail.n[0]",
        "unknown operator 'regex'",
    ),
    InvalidCase(
        "two-operators", {"a": [{"prefix": "a", "suffix": "b"}]}, "$.a[0]", "exactly one key"
    ),
    InvalidCase("prefix-not-string", {"a": [{"prefix": 5}]}, "$.a[0].prefix", "must be a string"),
    InvalidCase(
        "prefix-list", {"a": [{"prefix": ["a", "b"]}]}, "$.a[0].prefix", "must be a string"
    ),
    InvalidCase(
        "prefix-unknown-inner",
        {"a": [{"prefix": {"wildcard": "x"}}]},
        "$.a[0].prefix",
        "not the operator 'wildcard'",
    ),
    InvalidCase(
        "ignore-case-number",
        {"a": [{"equals-ignore-case": 5}]},
        "$.a[0].equals-ignore-case",
        "must be a string",
    ),
    InvalidCase("numeric-empty", {"a": [{"numeric": []}]}, "$.a[0].numeric", "non-empty array"),
    InvalidCase("numeric-not-array", {"a": [{"numeric": 5}]}, "$.a[0].numeric", "non-empty array"),
    InvalidCase(
        "numeric-odd-length",
        {"a": [{"numeric": [">", 1, "<"]}]},
        "$.a[0].numeric",
        "one comparison",
    ),
    InvalidCase(
        "numeric-unknown-op",
        {"a": [{"numeric": ["==", 1]}]},
        "$.a[0].numeric[0]",
        "unknown numeric comparison '=='",
    ),
    InvalidCase(
        "numeric-string-operand",
        {"a": [{"numeric": [">", "1"]}]},
        "$.a[0].numeric[0]",
        "must be a number",
    ),
    InvalidCase(
        "numeric-bool-operand",
        {"a": [{"numeric": ["=", True]}]},
        "$.a[0].numeric[0]",
        "must be a number",
    ),
    InvalidCase(
        "numeric-upper-first",
        {"a": [{"numeric": ["<", 10, ">", 0]}]},
        "$.a[0].numeric",
        "lower bound",
    ),
    InvalidCase(
        "numeric-two-lower", {"a": [{"numeric": [">", 1, ">", 2]}]}, "$.a[0].numeric", "lower bound"
    ),
    InvalidCase(
        "numeric-equals-and-bound",
        {"a": [{"numeric": ["=", 5, "<", 10]}]},
        "$.a[0].numeric",
        "lower bound",
    ),
    InvalidCase(
        "numeric-empty-range",
        {"a": [{"numeric": [">=", 5, "<=", 5]}]},
        "$.a[0].numeric",
        "must be less than",
    ),
    InvalidCase(
        "numeric-inverted",
        {"a": [{"numeric": [">", 10, "<", 0]}]},
        "$.a[0].numeric",
        "must be less than",
    ),
    InvalidCase(
        "numeric-inexact-integer",
        {"a": [{"numeric": ["=", 9007199254740993]}]},
        "$.a[0].numeric[0]",
        "no exact 64-bit floating-point value",
    ),
    InvalidCase("exists-not-bool", {"a": [{"exists": "yes"}]}, "$.a[0].exists", "true or false"),
    InvalidCase(
        "anything-but-null",
        {"a": [{"anything-but": None}]},
        "$.a[0].anything-but",
        "'anything-but' takes",
    ),
    InvalidCase(
        "anything-but-bool",
        {"a": [{"anything-but": True}]},
        "$.a[0].anything-but",
        "'anything-but' takes",
    ),
    InvalidCase(
        "anything-but-empty-list", {"a": [{"anything-but": []}]}, "$.a[0].anything-but", "non-empty"
    ),
    InvalidCase(
        "anything-but-mixed-list",
        {"a": [{"anything-but": [1, "x"]}]},
        "$.a[0].anything-but",
        "only strings or only numbers",
    ),
    InvalidCase(
        "anything-but-numeric",
        {"a": [{"anything-but": {"numeric": [">", 1]}}]},
        "$.a[0].anything-but",
        "does not support 'numeric'",
    ),
    InvalidCase(
        "anything-but-empty-prefix",
        {"a": [{"anything-but": {"prefix": ""}}]},
        "$.a[0].anything-but.prefix",
        "must not be empty",
    ),
    InvalidCase(
        "anything-but-empty-object",
        {"a": [{"anything-but": {}}]},
        "$.a[0].anything-but",
        "exactly one key",
    ),
    InvalidCase(
        "anything-but-ignore-case-number",
        {"a": [{"anything-but": {"equals-ignore-case": 5}}]},
        "$.a[0].anything-but.equals-ignore-case",
        "string or a non-empty array",
    ),
    InvalidCase(
        "wildcard-double-star", {"a": [{"wildcard": "a**b"}]}, "$.a[0].wildcard", "consecutive '*'"
    ),
    InvalidCase(
        "wildcard-bad-escape", {"a": [{"wildcard": "a\\xb"}]}, "$.a[0].wildcard", "invalid escape"
    ),
    InvalidCase(
        "wildcard-trailing-backslash",
        {"a": [{"wildcard": "a\\"}]},
        "$.a[0].wildcard",
        "invalid escape",
    ),
    InvalidCase(
        "anything-but-wildcard-bad",
        {"a": [{"anything-but": {"wildcard": ["x**"]}}]},
        "$.a[0].anything-but.wildcard",
        "consecutive '*'",
    ),
    InvalidCase("cidr-no-slash", {"a": [{"cidr": "10.0.0.0"}]}, "$.a[0].cidr", "one '/'"),
    InvalidCase(
        "cidr-bad-address", {"a": [{"cidr": "300.0.0.0/8"}]}, "$.a[0].cidr", "valid IPv4 or IPv6"
    ),
    InvalidCase("cidr-mask-too-long", {"a": [{"cidr": "10.0.0.0/33"}]}, "$.a[0].cidr", "0 to 31"),
    InvalidCase(
        "cidr-ipv6-mask-128", {"a": [{"cidr": "2001:db8::/128"}]}, "$.a[0].cidr", "0 to 127"
    ),
    InvalidCase(
        "cidr-negative-mask", {"a": [{"cidr": "10.0.0.0/-1"}]}, "$.a[0].cidr", "non-negative"
    ),
    InvalidCase("cidr-not-string", {"a": [{"cidr": 5}]}, "$.a[0].cidr", "must be a string"),
    InvalidCase("exactly-number", {"a": [{"exactly": 5}]}, "$.a[0].exactly", "must be a string"),
    InvalidCase("or-one-branch", {"$or": [{"a": [1]}]}, "$.$or[0]", "unknown operator 'a'"),
    InvalidCase(
        "or-reserved-key",
        {"$or": [{"a": [1]}, {"numeric": [1]}]},
        "$.$or[0]",
        "unknown operator 'a'",
    ),
    InvalidCase(
        "or-mixed-with-field-name",
        {"$or": [{"a": [1]}, {"$or": [1]}]},
        "$.$or[1].$or",
        "both as the or-operator and as a field name",
    ),
    InvalidCase(
        "anything-but-empty-suffix-list",
        {"a": [{"anything-but": {"suffix": []}}]},
        "$.a[0].anything-but.suffix",
        "non-empty array of strings",
    ),
    InvalidCase("or-empty-branch", {"$or": [{"a": [1]}, {}]}, "$.$or[0]", "unknown operator 'a'"),
    InvalidCase(
        "deep-path",
        {"detail": {"parcels": {"size": [{"anything-but": {"suffix": 1}}]}}},
        "$.detail.parcels.size[0].anything-but.suffix",
        "string or a non-empty array",
    ),
]
