"""Benchmark compiled segment conditions against growthbook's evalCondition on realistic data."""

import argparse
import gc
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from growthbook.core import evalCondition

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from personalization.engine.conditions import compile_condition, evaluate_condition

DEVICES = ["mobile", "desktop", "tablet"]
COUNTRIES = ["US", "DE", "FR", "GB", "NL", "ES"]
VERSIONS = ["1.9.4", "2.0.0", "2.1.0-beta.2", "2.1.0", "2.3.1", "3.0.0"]
AGENTS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile Safari",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome Mobile",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1.15",
    "Googlebot/2.1 (+http://www.google.com/bot.html)",
]
INTERESTS = ["shoes", "bags", "outdoor", "running", "kids", "sale", "denim"]
CATEGORIES = ["shoes", "bags", "outdoor", "denim"]
LANDINGS = ["/", "/shop/shoes", "/shop/bags", "/sale", "/blog/running-tips"]


def segment_conditions() -> list[dict[str, Any]]:
    """About fifty conditions of the kind marketers write for segments."""
    conditions: list[dict[str, Any]] = [
        {"context.device": "mobile"},
        {"context.device": {"$in": ["mobile", "tablet"]}},
        {"context.device": {"$ne": "desktop"}, "context.country": "DE"},
        {"context.country": {"$in": ["DE", "NL", "FR", "ES"]}},
        {"context.country": {"$nin": ["US", "GB"]}},
        {"context.country": {"$ini": ["de", "at", "ch"]}},
        {"context.app_version": {"$vgte": "2.1.0"}},
        {"context.app_version": {"$vgte": "2.0.0", "$vlt": "3.0.0"}},
        {"context.app_version": {"$vne": "2.1.0-beta.2"}},
        {"context.user_agent": {"$regex": "iPhone|Android"}},
        {"context.user_agent": {"$not": {"$regexi": "bot|crawler|spider"}}},
        {"context.landing": {"$regex": "^/shop/"}},
        {"context.returning": True},
        {"context.visits": {"$gte": 3}},
        {"context.visits": {"$gt": 1, "$lte": 10}},
        {"prefs.newsletter": True},
        {"prefs.newsletter": {"$exists": False}},
        {"prefs.interests": {"$elemMatch": {"$eq": "shoes"}}},
        {"prefs.interests": {"$in": ["outdoor", "running"]}},
        {"prefs.interests": {"$all": ["shoes", "sale"]}},
        {"prefs.interests": {"$size": {"$gte": 3}}},
        {"prefs.interests": {"$size": 0}},
        {"prefs.size": {"$in": [42, 43, 44]}},
        {"prefs.language": {"$type": "string"}, "context.country": {"$ne": "US"}},
        {"signals.product_view.category.shoes.count_30m": {"$gte": 3}},
        {"signals.product_view.category.bags.count_30m": {"$gte": 2}},
        {"signals.product_view.category.outdoor.count_7d": {"$gt": 5}},
        {"signals.cart.items": {"$size": {"$gt": 0}}},
        {"signals.cart.value": {"$gte": 100}},
        {"signals.cart.value": {"$gt": 0, "$lt": 50}},
        {"signals.cart.items": {"$elemMatch": {"category": "shoes", "price": {"$gte": 80}}}},
        {"signals.orders.count": {"$gte": 1}},
        {"signals.orders.count": 0},
        {"signals.orders.last_days_ago": {"$lte": 30}},
        {"signals.search.last_query": {"$regexi": "sneaker|boot|trainer"}},
        {
            "$or": [
                {"signals.product_view.category.shoes.count_30m": {"$gte": 3}},
                {"prefs.interests": {"$elemMatch": {"$eq": "shoes"}}},
            ]
        },
        {
            "$and": [
                {"context.device": "mobile"},
                {"signals.cart.value": {"$gte": 50}},
                {"signals.orders.count": {"$gte": 1}},
            ]
        },
        {"$nor": [{"context.country": "US"}, {"prefs.newsletter": False}]},
        {"$not": {"context.user_agent": {"$regexi": "bot"}}},
        {
            "context.device": "mobile",
            "$or": [{"context.country": "DE"}, {"context.country": "NL"}],
            "prefs.newsletter": {"$ne": False},
        },
        {
            "$or": [
                {"signals.cart.value": {"$gte": 150}},
                {"$and": [{"signals.orders.count": {"$gte": 3}}, {"context.returning": True}]},
            ]
        },
        {"context.returning": False, "context.landing": {"$in": ["/", "/sale"]}},
        {"signals.product_view.category.denim.count_30m": {"$exists": True, "$gte": 1}},
        {"prefs.interests": {"$not": {"$elemMatch": {"$eq": "kids"}}}},
        {"context.app_version": {"$vlt": "2.0.0"}, "context.device": {"$ne": "desktop"}},
        {"signals.search.count_30m": {"$gte": 2}, "signals.cart.items": {"$size": 0}},
        {"context.country": "US", "signals.cart.value": {"$gte": 75}},
        {"prefs.interests": {"$alli": ["Outdoor", "Running"]}},
        {"context.visits": {"$gte": 10}, "signals.orders.count": 0},
        {"context.local_hour": {"$gte": 18, "$lt": 23}},
    ]
    return conditions


def visitor(rng: random.Random) -> dict[str, Any]:
    """One visitor's attributes, with the gaps real visitors have."""
    views = {
        category: {"count_30m": rng.randint(0, 6), "count_7d": rng.randint(0, 12)}
        for category in CATEGORIES
        if rng.random() < 0.6
    }
    items = [
        {"category": rng.choice(CATEGORIES), "price": rng.choice([19, 49, 79, 99, 129])}
        for _ in range(rng.choice([0, 0, 1, 2, 3]))
    ]
    prefs: dict[str, Any] = {}
    if rng.random() < 0.7:
        prefs["interests"] = rng.sample(INTERESTS, rng.randint(0, 4))
    if rng.random() < 0.6:
        prefs["newsletter"] = rng.random() < 0.5
    if rng.random() < 0.3:
        prefs["size"] = rng.choice([40, 42, 44, 46])
    if rng.random() < 0.4:
        prefs["language"] = rng.choice(["de", "en", "fr"])
    return {
        "context": {
            "device": rng.choice(DEVICES),
            "country": rng.choice(COUNTRIES),
            "app_version": rng.choice(VERSIONS),
            "user_agent": rng.choice(AGENTS),
            "landing": rng.choice(LANDINGS),
            "returning": rng.random() < 0.5,
            "visits": rng.randint(1, 20),
            "local_hour": rng.randint(0, 23),
        },
        "prefs": prefs,
        "signals": {
            "product_view": {"category": views},
            "cart": {"items": items, "value": sum(item["price"] for item in items)},
            "orders": {"count": rng.choice([0, 0, 1, 2, 5]), "last_days_ago": rng.randint(0, 90)},
            "search": {
                "count_30m": rng.randint(0, 4),
                "last_query": rng.choice(["Sneakers", "red boots", "bag", "gift card"]),
            },
        },
    }


Check = Callable[[dict[str, Any]], bool]


def uncompiled(condition: dict[str, Any]) -> Check:
    return lambda attributes: evaluate_condition(condition, attributes)


def with_growthbook(condition: dict[str, Any]) -> Check:
    return lambda attributes: evalCondition(attributes, condition)


def time_per_evaluation(
    checks: list[Check],
    visitors: list[dict[str, Any]],
    repeat: int,
) -> list[float]:
    """Microseconds per evaluation: one sample per condition and repetition."""
    # An untimed pass first, so caches are warm for every method alike.
    for check in checks:
        for attributes in visitors:
            check(attributes)
    samples = []
    for _ in range(repeat):
        for check in checks:
            start = time.perf_counter_ns()
            for attributes in visitors:
                check(attributes)
            samples.append((time.perf_counter_ns() - start) / len(visitors) / 1000)
    return samples


# Patterns that backtracking engines (Python's re, JavaScript's) take exponential or high
# polynomial time on, with an input of the longest context string (1,024 characters) that fails.
CATASTROPHIC = {
    "^(a+)+$": "a" * 1023 + "!",
    "(a|aa)+$": "a" * 1023 + "!",
    "(.*a){20}": "a" * 19 + "b" * 1005,
    "(x+x+)+y": "x" * 1024,
    "^(\\w+\\s?)*$": "word " * 204 + "!!!!",
}


def per_test_us(check: Check, attributes: dict[str, Any], number: int) -> float:
    start = time.perf_counter_ns()
    for _ in range(number):
        check(attributes)
    return (time.perf_counter_ns() - start) / number / 1000


def regex_costs(visitors: list[dict[str, Any]]) -> None:
    """µs per $regex test: realistic patterns, catastrophic ones at 1,024 characters, and what
    Python's backtracking re takes on the first catastrophic pattern as its input grows."""
    print()
    print(f"{'regex condition (RE2)':60} {'µs per test':>12}")
    for condition in segment_conditions():
        if "regex" in str(condition):
            check = compile_condition(condition)
            cost = statistics.median(per_test_us(check, v, 20) for v in visitors)
            print(f"{str(condition)[:60]:60} {cost:12.3f}")
    for pattern, text in CATASTROPHIC.items():
        check = compile_condition({"context.q": {"$regex": pattern}})
        attributes = {"context": {"q": text}}
        assert check(attributes) is False
        cost = per_test_us(check, attributes, 200)
        print(f"{pattern + ' on 1,024 characters':60} {cost:12.3f}")
    backtracking = re.compile("^(a+)+$")
    for length in (14, 16, 18, 20):
        start = time.perf_counter_ns()
        backtracking.search("a" * length + "!")
        cost = (time.perf_counter_ns() - start) / 1000
        print(f"{f'Python re, ^(a+)+$ on {length} a and !':60} {cost:12.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--visitors", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    conditions = segment_conditions()
    visitors = [visitor(rng) for _ in range(args.visitors)]
    compiled: list[Check] = [compile_condition(condition) for condition in conditions]

    disagreements = [
        (condition, attributes)
        for condition, check in zip(conditions, compiled, strict=True)
        for attributes in visitors
        if check(attributes) != evalCondition(attributes, condition)
    ]
    total = len(conditions) * len(visitors)
    matches = sum(check(a) for check in compiled for a in visitors)
    print(f"{len(conditions)} conditions x {len(visitors)} visitors = {total} evaluations")
    print(
        f"matches: {matches} ({matches / total:.0%}); agreement with growthbook: "
        f"{total - len(disagreements)}/{total}"
    )
    for condition, attributes in disagreements[:5]:
        print(f"  disagreement: {condition} on {attributes}")

    methods: dict[str, list[Check]] = {
        "compiled (compile_condition once)": compiled,
        "evaluate_condition (compiles each time)": [uncompiled(c) for c in conditions],
        "growthbook.core.evalCondition": [with_growthbook(c) for c in conditions],
    }
    # Collections during timing would charge one method for another's garbage.
    gc.disable()
    try:
        results = {
            name: time_per_evaluation(checks, visitors, args.repeat)
            for name, checks in methods.items()
        }
    finally:
        gc.enable()

    compiled_p50 = statistics.median(results["compiled (compile_condition once)"])
    print()
    print(f"{'method':42} {'p50 µs':>8} {'mean µs':>8} {'p50 vs compiled':>16}")
    for name, samples in results.items():
        p50 = statistics.median(samples)
        print(f"{name:42} {p50:8.3f} {statistics.fmean(samples):8.3f} {p50 / compiled_p50:15.1f}x")
    growthbook = results["growthbook.core.evalCondition"]
    compiled_samples = results["compiled (compile_condition once)"]
    print()
    print(
        "growthbook / compiled: "
        f"{statistics.median(growthbook) / compiled_p50:.1f}x at p50, "
        f"{statistics.fmean(growthbook) / statistics.fmean(compiled_samples):.1f}x on the mean"
    )
    regex_costs(visitors)


if __name__ == "__main__":
    main()
