"""Generate the engine fixtures both engines are held to: seeded cases, the Python engine's answers.

Run `.venv/bin/python contracts/engine/generate.py` after an intended change of the engine's
semantics, review the diff, and make the TypeScript engine (`edge/src/engine/`) agree again.
`tests/contract/test_engine_fixtures.py` fails when the committed files are not exactly what this
script writes, and checks the Python engine against them; `edge/test/fixtures.test.ts` checks the
TypeScript engine against the same files.

Every case is serialised to JSON and read back before it is answered, so the answers are those
of the very values each engine reads from the files. Regular expressions stay inside what both
RE2 and JavaScript accept with the same meaning: no backreference or lookaround, and no atom that
matches a non-ASCII character (code points and UTF-16 code units would count differently).
"""

import json
import logging
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from contracts.engine.edge_cases import CONDITION_GROUPS  # noqa: E402
from personalization.engine import (  # noqa: E402
    Visitor,
    bucket_ranges,
    choose_variation,
    compile_snapshot,
    decide_many,
    evaluate_condition,
    hash_unit,
)

HERE = Path(__file__).resolve().parent
SEED = 20260412
CONDITION_FILES = 4
CONDITIONS_PER_FILE = 160
ATTRIBUTE_SETS_PER_FILE = 40
DECISION_FILES = 5
VISITORS_PER_RULESET = 100

Json = Any

# --- Value pools ---------------------------------------------------------------------------------

WORDS = [
    "mobile",
    "desktop",
    "tablet",
    "Mobile",
    "MOBILE",
    "sale",
    "spring-sale",
    "en",
    "fr",
    "en-GB",
    "fr-CA",
    "shoes",
    "shoe",
    "null",
    "true",
    "false",
    "object",
    "abc",
    "Abc",
    "a,b",
    "[object Object]",
    "aa",
    "ab",
    "abab",
    "x",
    "y",
    "xyx",
    "a_b",
    "sale-2024",
    "/home",
    "https://www.search.example/q",
    "https://news.example/a",
    "1.2.3",
    "v2.0.0",
]
NUMERIC_TEXT = [
    "5",
    "08",
    " 12 ",
    "0x1F",
    "0b101",
    "0o17",
    "1e3",
    "-0",
    ".5",
    "5.",
    "",
    "Infinity",
    "-Infinity",
    "1_000",
    "12px",
    "\t7\n",
    "+3",
    "-0x10",
    "1e400",
    "NaN",
]
UNICODE_TEXT = [
    "é",
    "É",
    "straße",
    "STRASSE",
    "Ω",
    "ω",
    "日本",
    "zh-汉",
    "😀",
    "😀a",
    "\ue000",
    "\uffff",
    "\ud83d",
    "a\u2028b",
    "r\rn",
    "naïve",
    "Ǆ",
    "ǆ",
    "\u00a0",
    "Σσς",
]
NUMBERS: list[int | float] = [
    0,
    -0.0,
    1,
    -1,
    2,
    3,
    5,
    7,
    8,
    10,
    12,
    100,
    0.5,
    3.14,
    -7.25,
    1e21,
    1e-7,
    123456.789,
    2**53 + 1,
    -(2**53) - 3,
    123456789012345678901234567890,
    1.7976931348623157e308,
    5e-324,
    0.1 + 0.2,
    1e100,
    31,
    1000,
]
VERSIONS = [
    "1.2.3",
    "1.10.0",
    "v1.2.3",
    "1.2.3-beta.1",
    "1.2.3-beta.11",
    "1.2.3-alpha",
    "1.2.3+build.7",
    "1-2-3",
    "2",
    "2.0",
    "10.0.0",
    "1.2.3.4",
    "v",
    "",
    "0.0.0",
]
REGEXES = [
    "^mob",
    "mobile|tablet",
    "^(en|fr)(-[A-Z]{2})?$",
    "\\d+",
    "^\\d{1,2}$",
    "^[a-z]+$",
    "\\bsale\\b",
    "^https://(www\\.)?search\\.",
    "shoes?",
    "^$",
    "^1\\.",
    "e\\+",
    "0x",
    "^-",
    "null",
    "true",
    "object",
    "\\w+-\\w+",
    "^[0-9a-f]+$",
    "é",
    "^v?1\\.(2|10)\\.",
    "[_-]",
    "^/",
    "a{2,}",
    "(?:ab)+$",
    "^(?:x|y)*$",
    "Sale",
    "SALE",
    "ß",
    "[A-Z]",
    "^\\w",
]
INVALID_REGEXES = ["(", "(abc", "[a-", "*a", "a**", "?", "a)", "[z-a]", "+"]
TYPE_NAMES = ["string", "number", "boolean", "array", "object", "null", "undefined", "Array"]


def scalar(rng: random.Random) -> Json:
    kind = rng.random()
    if kind < 0.35:
        return rng.choice(WORDS)
    if kind < 0.5:
        return rng.choice(NUMERIC_TEXT)
    if kind < 0.58:
        return rng.choice(UNICODE_TEXT)
    if kind < 0.85:
        return rng.choice(NUMBERS)
    if kind < 0.95:
        return rng.choice([True, False])
    return None


def small_array(rng: random.Random) -> list[Json]:
    return [scalar(rng) for _ in range(rng.choice([0, 1, 2, 3, 4]))]


def item(rng: random.Random) -> Json:
    if rng.random() < 0.12:
        return rng.choice([0, "", False, None, [], {}])
    entry: dict[str, Json] = {}
    if rng.random() < 0.8:
        entry["sku"] = rng.choice(["shoes", "socks", "tent", "SHOES", ""])
    if rng.random() < 0.8:
        entry["price"] = rng.choice([0, 5, 12.5, 100, "8", None])
    if rng.random() < 0.4:
        entry["tags"] = small_array(rng)
    return entry


# --- Attributes ----------------------------------------------------------------------------------

FIELDS: dict[str, Callable[[random.Random], Json]] = {
    "device": lambda rng: rng.choice(["mobile", "desktop", "tablet", "Mobile", "", None, 5]),
    "locale": lambda rng: rng.choice(["en", "fr", "en-GB", "fr-CA", "EN", "zh-汉", "é", None]),
    "local_hour": lambda rng: rng.choice([0, 7, 8, 12, 23, "8", "08", 8.5, None, True]),
    "referrer": lambda rng: rng.choice(
        ["https://www.search.example/q", "https://search.example/", "https://news.example/a", ""]
    ),
    "app_version": lambda rng: rng.choice([*VERSIONS, 2, 1.5, None, True]),
    "score": lambda rng: rng.choice([*NUMBERS, "5", "abc", None, [5], [1, 2]]),
    "flag": lambda rng: rng.choice([True, False, 0, 1, "", "false", None, [], {}]),
    "text": lambda rng: rng.choice(WORDS + UNICODE_TEXT + NUMERIC_TEXT),
    "tags": lambda rng: rng.choice([small_array(rng), ["sale", "shoes"], [], "sale", None]),
    "items": lambda rng: [item(rng) for _ in range(rng.choice([0, 1, 2, 3]))],
    "nested": lambda rng: rng.choice(
        [{"a": {"b": {"c": scalar(rng)}}}, {"a": {"b": None}}, {"a": [{"b": {"c": 1}}]}, {"a": 5}]
    ),
}
CONTEXT_KEYS = list(FIELDS)


def attribute_set(rng: random.Random) -> dict[str, Json]:
    context = {key: FIELDS[key](rng) for key in CONTEXT_KEYS if rng.random() < 0.8}
    if rng.random() < 0.1:
        # Keys a careless JavaScript engine would read from Object.prototype.
        context[rng.choice(["constructor", "toString", "__proto__", "valueOf"])] = scalar(rng)
    attributes: dict[str, Json] = {"context": context}
    if rng.random() < 0.7:
        attributes["prefs"] = {
            "interests": rng.choice(
                [["outdoor", "running"], ["fashion"], [], ["Outdoor", 0, ""], "outdoor"]
            ),
            "newsletter": rng.choice([True, False, None]),
        }
    if rng.random() < 0.7:
        attributes["signals"] = {
            "product_view": {
                "count_30m": rng.choice([0, 1, 3, 8, 12]),
                "category": {c: {"count_30m": rng.randrange(6)} for c in rng.sample(CATS, 2)},
            }
        }
    return attributes


CATS = ["shoes", "jackets", "tents"]
PATHS = (
    [f"context.{key}" for key in CONTEXT_KEYS]
    + [
        "context.tags.0",
        "context.tags.length",
        "context.items.0.sku",
        "context.items.1.price",
        "context.items.length",
        "context.nested.a.b.c",
        "context.nested.a.0.b.c",
        "context.nested.a",
        "context.device.length",
        "context.missing",
        "context.tags.01",
        "context.constructor",
        "context.__proto__",
        "context.toString",
        "context.tags.map",
        "prefs.interests",
        "prefs.newsletter",
        "signals.product_view.count_30m",
        "prefs",
        "context",
    ]
    + [f"signals.product_view.category.{c}.count_30m" for c in CATS]
)


# --- Conditions ----------------------------------------------------------------------------------


# Attribute sets that operands are sometimes drawn from, so that conditions match now and then.
SAMPLES: list[dict[str, Json]] = []


def near(rng: random.Random, path: str | None) -> Json:
    """A scalar: mostly one that a sample attribute set holds at path (or inside it)."""
    if path is None or not SAMPLES or rng.random() < 0.3:
        return scalar(rng)
    value: Json = rng.choice(SAMPLES)
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, list) and value:
        value = rng.choice(value)
    return value if not isinstance(value, dict | list) else scalar(rng)


def operand_for(rng: random.Random, op: str, depth: int, path: str | None) -> Json:
    if op in ("$eq", "$ne"):
        return near(rng, path) if rng.random() < 0.9 else small_array(rng)
    if op in ("$lt", "$lte", "$gt", "$gte"):
        return rng.choice([near(rng, path), near(rng, path), rng.choice(NUMBERS), [5], None])
    if op in ("$in", "$nin", "$ini", "$nini"):
        if rng.random() < 0.05:
            return scalar(rng)
        return [near(rng, path) for _ in range(rng.randint(0, 4))] + rng.choice(
            [[], ["mobile", "sale"], ["en", "FR"], [8, "8"], [None]]
        )
    if op in ("$all", "$alli"):
        if rng.random() < 0.05:
            return scalar(rng)
        return [
            near(rng, path) if rng.random() < 0.8 else value_condition(rng, depth + 1, path)
            for _ in range(rng.randint(0, 2))
        ]
    if op == "$elemMatch":
        if rng.random() < 0.5:
            return operator_object(rng, depth + 1, path)
        field = rng.choice(["sku", "price", "tags", "b.c"])
        return {field: value_condition(rng, depth + 1, None)}
    if op == "$size":
        return (
            rng.choice([0, 1, 2, 3, "2", None])
            if rng.random() < 0.7
            else {rng.choice(["$gt", "$lte", "$in"]): rng.choice([1, 2, [0, 3]])}
        )
    if op == "$exists":
        return rng.choice([True, False, True, False, 0, 1, "", [], None])
    if op == "$type":
        return rng.choice(TYPE_NAMES)
    if op in ("$regex", "$regexi", "$notRegex", "$notRegexi"):
        roll = rng.random()
        if roll < 0.08:
            return rng.choice(INVALID_REGEXES)
        if roll < 0.1:
            return rng.choice([5, None, ["a"]])
        return rng.choice(REGEXES)
    if op in ("$veq", "$vne", "$vlt", "$vlte", "$vgt", "$vgte"):
        return rng.choice([*VERSIONS, 2, None])
    if op == "$not":
        return value_condition(rng, depth + 1, path)
    # Unknown operators and logical ones applied to a value: the whole condition fails.
    return scalar(rng)


OPERATORS = [
    "$eq",
    "$ne",
    "$lt",
    "$lte",
    "$gt",
    "$gte",
    "$in",
    "$nin",
    "$ini",
    "$nini",
    "$all",
    "$alli",
    "$elemMatch",
    "$size",
    "$exists",
    "$type",
    "$regex",
    "$regexi",
    "$notRegex",
    "$notRegexi",
    "$veq",
    "$vne",
    "$vlt",
    "$vlte",
    "$vgt",
    "$vgte",
    "$not",
]
MALFORMED_OPERATORS = ["$regx", "$inGroup", "$and", "$or", "$savedGroup"]


def operator_object(rng: random.Random, depth: int, path: str | None) -> dict[str, Json]:
    count = rng.choice([1, 1, 1, 2])
    ops = rng.sample(OPERATORS if depth < 3 else OPERATORS[:-1], count)
    if rng.random() < 0.01:
        ops[0] = rng.choice(MALFORMED_OPERATORS)
    return {op: operand_for(rng, op, depth, path) for op in ops}


def value_condition(rng: random.Random, depth: int, path: str | None) -> Json:
    roll = rng.random()
    if roll < 0.25 or depth >= 4:
        return near(rng, path)
    if roll < 0.3:
        return rng.choice([small_array(rng), {}, {"a": {"b": None}}, ["sale", "shoes"]])
    return operator_object(rng, depth, path)


def condition(rng: random.Random, depth: int = 0, paths: list[str] = PATHS) -> dict[str, Json]:
    result: dict[str, Json] = {}
    for _ in range(rng.choice([1, 1, 1, 1, 2, 3])):
        roll = rng.random()
        if roll < 0.15 and depth < 3:
            key = rng.choice(["$and", "$or", "$nor"])
            result[key] = [condition(rng, depth + 1, paths) for _ in range(rng.randint(0, 3))]
        elif roll < 0.2 and depth < 3:
            result["$not"] = condition(rng, depth + 1, paths)
        elif roll < 0.203:
            result[rng.choice(["$and", "$not"])] = scalar(rng)
        else:
            path = rng.choice(paths)
            result[path] = value_condition(rng, depth, path)
    return result


# --- Answers -------------------------------------------------------------------------------------


def roundtrip(value: Json) -> Json:
    return json.loads(json.dumps(value, allow_nan=False))


def matrix(conditions: list[Json], attributes: list[Json]) -> list[str]:
    """Per condition, one "1" or "0" per attribute set: whether the Python engine matches."""
    return [
        "".join("1" if evaluate_condition(cond, attrs) else "0" for attrs in attributes)
        for cond in conditions
    ]


def condition_group(note: str, conditions: list[Json], attributes: list[Json]) -> dict[str, Json]:
    conditions, attributes = roundtrip(conditions), roundtrip(attributes)
    return {
        "note": note,
        "conditions": conditions,
        "attributes": attributes,
        "results": matrix(conditions, attributes),
    }


def generated_conditions(number: int) -> dict[str, Json]:
    rng = random.Random(f"{SEED}:conditions:{number}")
    attributes = [attribute_set(rng) for _ in range(ATTRIBUTE_SETS_PER_FILE)]
    SAMPLES[:] = attributes
    conditions = [condition(rng) for _ in range(CONDITIONS_PER_FILE)]
    return {
        "description": "Generated conditions, each evaluated against every attribute set: "
        "results[i][j] is 1 when conditions[i] matches attributes[j].",
        "groups": [condition_group(f"seeded batch {number}", conditions, attributes)],
    }


def edge_conditions() -> dict[str, Json]:
    return {
        "description": "Hand-picked edge cases of GrowthBook's JavaScript semantics, each group "
        "evaluated like the generated ones (every condition against every attribute set).",
        "groups": [condition_group(*group) for group in CONDITION_GROUPS],
    }


def hits(rng: random.Random, seed: str, version: int, wanted: float, count: int) -> list[str]:
    """Hash values (some non-ASCII) for which hash_unit(seed, value, version) is exactly wanted."""
    found: list[str] = []
    alphabet = "abcxyz019-é😀"
    while len(found) < count:
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8)))
        if hash_unit(seed, value, version) == wanted:
            found.append(value)
    return found


def hashing() -> dict[str, Json]:
    rng = random.Random(f"{SEED}:hashing")
    triples: list[tuple[str, str, int]] = [
        ("", "", 2),
        ("", "", 1),
        ("a", "b", 2),
        ("seed", "😀", 2),
        ("seed", "\ud83d", 2),
        ("é", "é", 1),
        ("x", "y", 3),
        ("x", "y", 0),
        ("x", "y", -1),
        ("exp", "subject-" + "9" * 200, 2),
    ]
    for version, boundaries in ((2, [0.0, 0.5, 0.9999]), (1, [0.0, 0.999])):
        for wanted in boundaries:
            triples += [("exp", value, version) for value in hits(rng, "exp", version, wanted, 2)]
    alphabet = "abcXYZ09 -_:é日😀\ud800"
    for _ in range(300):
        seed = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        triples.append((seed, value, rng.choice([1, 2, 2])))
    triples = roundtrip(triples)
    ranges_cases: list[tuple[int, float, list[float] | None]] = [
        (2, 1.0, [0.5, 0.5]),
        (3, 1.0, None),
        (3, 0.5, [0.2, 0.3, 0.5]),
        (2, 1.5, [0.5, 0.5]),
        (2, -0.5, [0.5, 0.5]),
        (2, 1.0, [0.3, 0.3]),
        (2, 1.0, [1.2, -0.2]),
        (1, 1.0, [1.0]),
        (0, 1.0, None),
        (0, 1.0, []),
        (2, 1.0, [0.5]),
        (10, 1.0, [0.1] * 10),
        (3, 1.0, [0.33, 0.33, 0.33]),
        (3, 1.0, [0.336, 0.337, 0.337]),
        (2, 1.0, [0.495, 0.495]),
        (2, 1.0, [0.505, 0.505]),
        (2, 1.0, [0.4949, 0.495]),
        (2, 1.0, [0.5051, 0.505]),
        (4, 0.9, [0.25, 0.25, 0.25, 0.25]),
        (2, 0.0, [0.5, 0.5]),
        (3, 1.0, [0.0, 1.0, 0.0]),
        (7, 1.0, None),
        (2, 1.0, [1e308, -1e308]),
        # Sums where a naive running total and Python's compensated sum() fall either side of a
        # bound: the weights are used only with the compensated sum.
        (6, 1.0, [0.2, 0.3, 0.0074, 0.179, 0.227, 0.0766]),
        (9, 1.0, [0.114, 0.043, 0.132, 0.1899, 0.09, 0.1078, 0.179, 0.149, 0.0053]),
    ]
    for _ in range(60):
        n = rng.randint(1, 5)
        raw = [rng.random() for _ in range(n)]
        total = sum(raw)
        weights = [round(w / total, rng.choice([2, 3, 17])) for w in raw]
        ranges_cases.append((n, rng.choice([1.0, 0.5, 0.25, 0.99]), weights))
    ranges_cases = roundtrip(ranges_cases)
    choices: list[tuple[float, list[list[float]]]] = []
    for n, coverage, given in ranges_cases[:30]:
        ranges = [list(r) for r in bucket_ranges(n, coverage, given)]
        edges = [edge for r in ranges for edge in r]
        for point in [0.0, 0.5, 0.9999, *edges, rng.random()]:
            choices.append((point, ranges))
    choices = roundtrip(choices)
    return {
        "description": "hash_unit(seed, value, version), bucket_ranges(n, coverage, weights) and "
        "choose_variation(n, ranges) with the Python engine's answers.",
        "hash_unit": [[s, v, version, hash_unit(s, v, version)] for s, v, version in triples],
        "bucket_ranges": [
            [n, c, w, [list(r) for r in bucket_ranges(n, c, w)]] for n, c, w in ranges_cases
        ],
        "choose_variation": [
            [point, ranges, choose_variation(point, [(r[0], r[1]) for r in ranges])]
            for point, ranges in choices
        ],
    }


# --- Rulesets and visitors -----------------------------------------------------------------------

NAMESPACED_PATHS = [path for path in PATHS if "." in path]
PURPOSES = ["necessary", "personalization", "measurement", "advertising"]
VALUES_BY_TYPE: dict[str, Callable[[random.Random, str], Json]] = {
    "boolean": lambda rng, name: rng.random() < 0.5,
    "string": lambda rng, name: f"{name}-é" if rng.random() < 0.2 else name,
    "number": lambda rng, name: rng.choice([0, 1.5, -3, 1e21, 42]),
    "json": lambda rng, name: rng.choice(
        [{"headline": name, "items": [1, "two", None]}, [name], {"nested": {"k": name}}, 0]
    ),
}


def experiment(rng: random.Random, placement: str, variants: list[str]) -> dict[str, Json]:
    arm_count = rng.choice([1, 2, 2, 3])
    arms = [rng.choice(variants) for _ in range(arm_count)]
    if rng.random() < 0.08:
        arms[-1] = "no-such-variant"
    raw = [rng.random() for _ in arms]
    weights = rng.choice(
        [
            [round(w / sum(raw), 4) for w in raw],
            [1 / arm_count] * arm_count,
            [0.7] * arm_count,
            [1.0] + [0.0] * (arm_count - 1),
        ]
    )
    return {
        "name": f"Experiment on {placement}",
        "placement": placement,
        "status": rng.choice(["running", "running", "running", "running", "draft", "stopped"]),
        "coverage": rng.choice([1.0, 1.0, 0.9, 0.5, 0.0, 1.2]),
        "seed": rng.choice(["", f"{placement}-seed", "种子😀"]),
        "hash_version": rng.choice([2, 2, 1, 3]),
        "required_purpose": rng.choice(["measurement", "measurement", None, "advertising", ""]),
        "arms": [{"variant": v, "weight": w} for v, w in zip(arms, weights, strict=True)],
    }


# A placement's holdout as `holdouts_attach` writes it (percentage, and seed and purpose when
# not the defaults), with the shapes a document may hold: none, 0 %, over 100 %.
HOLDOUTS: list[Json] = [
    {"percentage": 50},
    {"percentage": 30},
    {"percentage": 100},
    {"percentage": 150},
    {"percentage": 0},
    None,
    {"percentage": 50, "seed": "shared-holdout"},
    {"percentage": 50, "required_purpose": None},
    {"percentage": 40, "required_purpose": "personalization"},
]


def ruleset(rng: random.Random, number: int) -> dict[str, Json]:
    segments: dict[str, Json] = {}
    for index in range(rng.randint(12, 20)):
        roll = rng.random()
        if roll < 0.08:
            cond: Json = {}
        elif roll < 0.4:
            cond = condition(rng, 2, [p for p in NAMESPACED_PATHS if p.startswith("context.")])
        else:
            cond = condition(rng, 2, NAMESPACED_PATHS)
        segments[f"seg-{index}"] = {
            "name": f"Segment {index}",
            "description": "",
            "condition": cond,
        }
    segment_keys = list(segments)
    experiments: dict[str, Json] = {}
    placements: dict[str, Json] = {}
    for index in range(rng.randint(8, 12)):
        key = f"{'ñ' if index == 3 else ''}placement-{number}-{index}"
        value_type = rng.choice(list(VALUES_BY_TYPE))
        variants = [f"v{v}" for v in range(rng.randint(1, 4))]
        rules: list[dict[str, Json]] = []
        for _ in range(rng.randint(0, 6)):
            rule: dict[str, Json] = {
                "order": rng.choice([1, 2, 3, 5, 5, 10, 20]),
                "segment": rng.choice([*segment_keys, None]),
                "variant": rng.choice(variants),
                "experiment": None,
                "rollout": rng.choice([100, 100, 100, 50, 0, 10, 99.5, 150]),
            }
            roll = rng.random()
            if roll < 0.3:
                if rng.random() < 0.5:
                    rule["segment"] = None
                exp_key = f"exp-{key}-{len(experiments)}"
                experiments[exp_key] = experiment(rng, key, variants)
                rule["experiment"] = exp_key
                rule["variant"] = None
            elif roll < 0.33:
                rule["variant"] = rng.choice([None, "no-such-variant"])
            rules.append(rule)
        placements[key] = {
            "name": key,
            "description": "",
            "value_type": value_type,
            "default": VALUES_BY_TYPE[value_type](rng, "default"),
            "enabled": rng.random() < 0.9,
            "variants": {
                v: {"value": VALUES_BY_TYPE[value_type](rng, v), "description": ""}
                for v in variants
            },
            "rules": rules,
        }
        # Holdouts from a generator of their own, so the rest of the ruleset stays as it was.
        hold = random.Random(f"{SEED}:holdout:{number}:{index}")
        if hold.random() < 0.5:
            placements[key]["holdout"] = hold.choice(HOLDOUTS)
    return {
        "revision": number + 1,
        "segments": segments,
        "experiments": experiments,
        "placements": placements,
    }


def visitor(rng: random.Random) -> dict[str, Json]:
    granted = ["necessary"] + [p for p in PURPOSES[1:] if rng.random() < 0.5]
    attributes = attribute_set(rng)
    if "personalization" not in granted and rng.random() < 0.9:
        # As the serving seam does: the namespaces of an ungranted purpose are never loaded.
        attributes = {"context": attributes["context"]}
    roll = rng.random()
    subject = (
        None
        if roll < 0.2
        else rng.choice(["subject-é", "😀", "s"]) + str(rng.randrange(10**6))
        if roll < 0.3
        else f"subject-{rng.randrange(10**9)}"
    )
    return {"subject_id": subject, "granted": granted, "attributes": attributes}


def decisions(number: int) -> dict[str, Json]:
    rng = random.Random(f"{SEED}:decisions:{number}")
    visitors = roundtrip([visitor(rng) for _ in range(VISITORS_PER_RULESET)])
    SAMPLES[:] = [v["attributes"] for v in visitors]
    document = roundtrip(ruleset(rng, number))
    snapshot = compile_snapshot(document)
    answers = []
    for data in visitors:
        subject = Visitor(
            subject_id=data["subject_id"],
            attributes=data["attributes"],
            granted=frozenset(data["granted"]),
        )
        decided = decide_many(snapshot, subject, list(snapshot.placements))
        answers.append({key: decision.as_dict() for key, decision in decided.items()})
    return {
        "description": "A generated ruleset (config_document's format) and visitors; "
        "decisions[i] holds Decision.as_dict() of every placement for visitors[i].",
        "snapshot": document,
        "visitors": visitors,
        "decisions": roundtrip(answers),
    }


# --- Files ---------------------------------------------------------------------------------------


def dumps(document: dict[str, Json]) -> str:
    """JSON with one top-level key, and one list item, per line: compact, yet diffable."""

    def line(value: Json) -> str:
        return json.dumps(value, ensure_ascii=True, allow_nan=False, separators=(",", ":"))

    def block(value: Json, indent: str) -> str:
        if isinstance(value, list) and value and all(isinstance(v, dict | list) for v in value):
            inner = indent + "  "
            return "[\n" + ",\n".join(inner + line(v) for v in value) + "\n" + indent + "]"
        return line(value)

    def group(value: dict[str, Json]) -> str:
        items = ",\n".join(f"    {line(k)}: {block(v, '    ')}" for k, v in value.items())
        return "  {\n" + items + "\n  }"

    parts = []
    for key, value in document.items():
        if key == "groups":
            parts.append(f'  "groups": [\n{",\n".join(group(g) for g in value)}\n  ]')
        else:
            parts.append(f"  {line(key)}: {block(value, '  ')}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def build() -> dict[str, str]:
    """Every fixture file's name and exact text."""
    files = {"conditions-edge.json": dumps(edge_conditions()), "hashing.json": dumps(hashing())}
    for number in range(1, CONDITION_FILES + 1):
        files[f"conditions-{number}.json"] = dumps(generated_conditions(number))
    for number in range(1, DECISION_FILES + 1):
        files[f"decisions-{number}.json"] = dumps(decisions(number))
    return files


def main() -> None:
    # Some generated rules are broken on purpose (ERROR decisions); their tracebacks are noise.
    logging.getLogger("personalization.engine").setLevel(logging.CRITICAL)
    for stale in HERE.glob("*.json"):
        stale.unlink()
    for name, text in build().items():
        (HERE / name).write_text(text, encoding="utf-8")
        print(f"{name}: {len(text.encode()):,} bytes")


if __name__ == "__main__":
    main()
