"""Engine benchmark: µs per placement decision on a generated ruleset (no Django, no I/O).

Ruleset: 50 segments over context/prefs/signals, 10 placements with 5-8 rules each, 3 running
experiments; 2,000 generated visitors, half of them with personalization and measurement granted.
Run: .venv/bin/python benchmarks/bench_engine.py [--export FILE]
(--export also writes the ruleset and visitors as JSON, the input of bench_engine_ts.mjs.)
"""

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from personalization.engine import Visitor, compile_snapshot, decide

DEVICES = ["mobile", "desktop", "tablet"]
LOCALES = ["en", "fr", "de", "es", "it"]
CAMPAIGNS = ["spring-sale", "newsletter", "none", "retargeting"]
INTERESTS = ["outdoor", "running", "fashion", "home", "kids"]
CATEGORIES = ["shoes", "jackets", "bags", "tents", "socks"]


def segment_condition(rng: random.Random) -> dict[str, Any]:
    kind = rng.randrange(6)
    if kind == 0:
        return {"context.device": rng.choice(DEVICES)}
    if kind == 1:
        return {
            "context.locale": {"$in": rng.sample(LOCALES, 2)},
            "context.local_hour": {"$gte": 8},
        }
    if kind == 2:
        return {"prefs.interests": {"$elemMatch": {"$eq": rng.choice(INTERESTS)}}}
    if kind == 3:
        category = rng.choice(CATEGORIES)
        return {f"signals.product_view.category.{category}.count_30m": {"$gte": rng.randint(1, 4)}}
    if kind == 4:
        return {
            "$or": [
                {"context.utm_campaign": rng.choice(CAMPAIGNS)},
                {"context.referrer": {"$regex": "^https://(www\\.)?search\\."}},
            ]
        }
    return {
        "$and": [
            {"context.device": {"$ne": "tablet"}},
            {"signals.product_view.count_30m": {"$gt": rng.randint(2, 8)}},
            {"prefs.interests": {"$exists": True}},
        ]
    }


def ruleset(rng: random.Random) -> dict[str, Any]:
    segments = {f"s{i}": {"name": f"S{i}", "condition": segment_condition(rng)} for i in range(50)}
    placements: dict[str, Any] = {}
    experiments: dict[str, Any] = {}
    for p in range(10):
        key = f"p{p}"
        variants = {f"v{v}": {"value": f"{key}-v{v}"} for v in range(4)}
        rules = [
            {
                "order": order,
                "segment": f"s{rng.randrange(50)}",
                "variant": f"v{rng.randrange(4)}",
                "rollout": rng.choice([100, 100, 100, 50]),
            }
            for order in range(rng.randint(5, 8))
        ]
        if p < 3:
            experiments[f"e{p}"] = {
                "name": f"E{p}",
                "placement": key,
                "status": "running",
                "coverage": 0.9,
                "seed": f"e{p}",
                "hash_version": 2,
                "required_purpose": "measurement",
                "arms": [{"variant": "v0", "weight": 0.5}, {"variant": "v1", "weight": 0.5}],
            }
            rules.append({"order": 99, "segment": None, "experiment": f"e{p}", "rollout": 100})
        placements[key] = {
            "name": key,
            "value_type": "string",
            "default": f"{key}-default",
            "enabled": True,
            "variants": variants,
            "rules": rules,
        }
    return {
        "revision": 1,
        "segments": segments,
        "experiments": experiments,
        "placements": placements,
    }


def visitor(rng: random.Random, i: int) -> Visitor:
    context = {
        "device": rng.choice(DEVICES),
        "locale": rng.choice(LOCALES),
        "utm_campaign": rng.choice(CAMPAIGNS),
        "referrer": rng.choice(["https://www.search.example/q", "https://news.example/a", ""]),
        "local_hour": rng.randrange(24),
    }
    consented = i % 2 == 0
    attributes: dict[str, Any] = {"context": context}
    granted = {"necessary"}
    if consented:
        granted |= {"personalization", "measurement"}
        attributes["prefs"] = {"interests": rng.sample(INTERESTS, rng.randint(0, 3))}
        attributes["signals"] = {
            "product_view": {
                "count_30m": rng.randint(0, 12),
                "category": {
                    c: {"count_30m": rng.randint(0, 5)} for c in rng.sample(CATEGORIES, 2)
                },
            }
        }
    return Visitor(subject_id=f"subject-{i}", attributes=attributes, granted=frozenset(granted))


def export(path: Path, document: dict[str, Any], visitors: list[Visitor]) -> None:
    """Write the very input measured here, for the TypeScript engine's harness."""
    data = {
        "snapshot": document,
        "visitors": [
            {"subject_id": v.subject_id, "granted": sorted(v.granted), "attributes": v.attributes}
            for v in visitors
        ],
    }
    path.write_text(json.dumps(data), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--export", type=Path, help="also write the ruleset and visitors here")
    args = parser.parse_args()
    rng = random.Random(42)
    document = ruleset(rng)
    snapshot = compile_snapshot(document)
    visitors = [visitor(rng, i) for i in range(2000)]
    if args.export is not None:
        export(args.export, document, visitors)
    placements = list(snapshot.placements.values())
    for v in visitors[:200]:  # warm-up
        for p in placements:
            decide(p, v)
    samples: list[int] = []
    clock = time.perf_counter_ns
    for _ in range(5):
        for v in visitors:
            for p in placements:
                start = clock()
                decide(p, v)
                samples.append(clock() - start)
    samples.sort()
    p50 = samples[len(samples) // 2] / 1000
    p99 = samples[int(len(samples) * 0.99)] / 1000
    mean = statistics.fmean(samples) / 1000
    reasons: dict[str, int] = {}
    for v in visitors:
        for p in placements:
            reason = decide(p, v).reason.value
            reasons[reason] = reasons.get(reason, 0) + 1
    print(f"placement decisions: {len(samples):,} (50 segments, 10 placements, 3 experiments)")
    print(f"µs per placement decision: p50 {p50:.2f}  p99 {p99:.2f}  mean {mean:.2f}")
    print("reasons:", ", ".join(f"{k} {n}" for k, n in sorted(reasons.items())))
    print(f"target p50 <= 25 µs: {'met' if p50 <= 25 else 'NOT met'}")


if __name__ == "__main__":
    main()
