"""The Python engine against the shared engine fixtures (contracts/engine/), which the TypeScript
engine is held to as well, and the fixtures against the generator that writes them."""

import json
from pathlib import Path
from typing import Any

import pytest

from contracts.engine import generate
from personalization.engine import (
    Visitor,
    bucket_ranges,
    choose_variation,
    compile_condition,
    compile_snapshot,
    decide_many,
    hash_unit,
)

FIXTURES = generate.HERE


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def _names(prefix: str) -> list[str]:
    return sorted(path.name for path in FIXTURES.glob(f"{prefix}*.json"))


def test_engine_fixtures__regenerated__are_exactly_the_committed_files() -> None:
    # Given the generator, seeded
    # When it builds every fixture file again
    built = generate.build()
    # Then the committed files are exactly its output: regenerating is the only way to change them
    assert sorted(built) == sorted(path.name for path in FIXTURES.glob("*.json"))
    for name, text in built.items():
        assert (FIXTURES / name).read_text(encoding="utf-8") == text, (
            f"{name} differs from the generator's output: run "
            ".venv/bin/python contracts/engine/generate.py and review the diff"
        )


def test_engine_fixtures__every_file__stays_under_one_mebibyte() -> None:
    # Given the committed fixture files
    # When their sizes are read
    sizes = {path.name: path.stat().st_size for path in FIXTURES.glob("*.json")}
    # Then each is under 1 MiB
    assert sizes
    assert all(size < 2**20 for size in sizes.values()), sizes


@pytest.mark.parametrize("name", _names("conditions-"))
def test_engine_fixtures__conditions__python_engine_gives_every_recorded_answer(name: str) -> None:
    # Given a fixture file of conditions, attribute sets and the answers of every pair
    cases = 0
    for group in _load(name)["groups"]:
        for condition, wanted in zip(group["conditions"], group["results"], strict=True):
            # When the Python engine evaluates the condition on each attribute set
            matches = compile_condition(condition)
            got = "".join("1" if matches(attrs) else "0" for attrs in group["attributes"])
            # Then it gives the recorded answers
            assert got == wanted, f"{group['note']}: {json.dumps(condition)}"
            cases += len(got)
    assert cases > 0


def test_engine_fixtures__conditions__hold_at_least_ten_thousand_cases() -> None:
    # Given every condition fixture file
    # When its cases are counted
    count = sum(
        len(result)
        for name in _names("conditions-")
        for group in _load(name)["groups"]
        for result in group["results"]
    )
    # Then there are at least 10,000 (condition, attributes) cases
    assert count >= 10_000


def test_engine_fixtures__hashing__python_engine_gives_every_recorded_number() -> None:
    # Given the hashing fixture
    data = _load("hashing.json")
    # When hash_unit, bucket_ranges and choose_variation are asked again
    # Then every answer is the recorded one, to the last bit
    for seed, value, version, expected in data["hash_unit"]:
        assert hash_unit(seed, value, version) == expected, (seed, value, version)
    for n, coverage, weights, expected in data["bucket_ranges"]:
        assert [list(r) for r in bucket_ranges(n, coverage, weights)] == expected
    for point, ranges, expected in data["choose_variation"]:
        assert choose_variation(point, [tuple(r) for r in ranges]) == expected


@pytest.mark.parametrize("name", _names("decisions-"))
def test_engine_fixtures__decisions__python_engine_decides_every_visitor_alike(
    name: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a ruleset in config_document's format, visitors and their recorded decisions
    data = _load(name)
    snapshot = compile_snapshot(data["snapshot"])
    for index, (visitor, wanted) in enumerate(
        zip(data["visitors"], data["decisions"], strict=True)
    ):
        # When every placement is decided for the visitor
        decided = decide_many(
            snapshot,
            Visitor(
                subject_id=visitor["subject_id"],
                attributes=visitor["attributes"],
                granted=frozenset(visitor["granted"]),
            ),
            list(snapshot.placements),
        )
        # Then each decision, explanation included, is the recorded one (key order too)
        got = {key: decision.as_dict() for key, decision in decided.items()}
        assert json.dumps(got) == json.dumps(wanted), f"visitor {index}"


def test_engine_fixtures__decisions__cover_every_reason_consent_and_experiments() -> None:
    # Given every decision fixture
    reasons: dict[str, int] = {}
    total = 0
    for name in _names("decisions-"):
        data = _load(name)
        for decisions in data["decisions"]:
            for decision in decisions.values():
                reasons[decision["reason"]] = reasons.get(decision["reason"], 0) + 1
                total += 1
    # When the decisions are counted by reason
    # Then there are thousands, and every reason the engine can give appears
    assert total >= 3_000
    assert set(reasons) == {
        "TARGETING_MATCH",
        "SPLIT",
        "DEFAULT",
        "DISABLED",
        "ERROR",
        "CONSENT_REQUIRED",
    }, reasons


def test_engine_fixtures__directory__is_the_generators() -> None:
    # Given the fixtures' folder
    # When its location is compared with the generator's
    # Then both engines' tests read the files the generator writes
    expected = Path(__file__).resolve().parents[2] / "contracts" / "engine"
    assert expected == FIXTURES
