"""Configuration documents item by item: drafts, composition, and what publishing needs along."""

from typing import Any

import pytest

from personalization.workspace.documents import (
    document_compose,
    entries_changed,
    entries_close,
    references_broken,
)
from personalization.workspace.exceptions import Unresolvable


def placement(*rules, variants=("a",)):
    return {
        "name": "P",
        "value_type": "string",
        "default": "d",
        "enabled": True,
        "variants": {v: {"value": v, "description": ""} for v in variants},
        "rules": [
            {"order": 10 * i, "segment": s, "variant": "a", "experiment": None, "rollout": 100}
            for i, s in enumerate(rules, start=1)
        ],
    }


LIVE: dict[str, Any] = {
    "revision": 3,
    "segments": {"old": {"name": "Old", "condition": {}}},
    "experiments": {},
    "placements": {"hero": placement("old"), "banner": placement()},
}


def test_entries_changed__working_copy__each_difference_in_order():
    working = {
        **LIVE,
        "segments": {"new": {"name": "New", "condition": {}}},
        "placements": {"hero": placement("new"), "banner": placement()},
    }
    assert entries_changed(LIVE, working) == [
        ("segments", "new"),
        ("segments", "old"),
        ("placements", "hero"),
    ]


def test_entries_close__rule_uses_a_new_segment__segment_comes_along():
    working = {**LIVE, "segments": {**LIVE["segments"], "new": {"name": "N", "condition": {}}}}
    working["placements"] = {**LIVE["placements"], "hero": placement("old", "new")}
    assert entries_close(LIVE, working, [("placements", "hero")]) == [
        ("placements", "hero"),
        ("segments", "new"),
    ]


def test_entries_close__segment_deleted_while_a_live_rule_uses_it__rule_change_comes_along():
    working = {**LIVE, "segments": {}, "placements": {**LIVE["placements"], "hero": placement()}}
    chosen = entries_close(LIVE, working, [("segments", "old")])
    assert chosen == [("segments", "old"), ("placements", "hero")]
    assert references_broken(document_compose(LIVE, working, chosen)) == []


def test_entries_close__experiment_without_its_variant__unresolvable_in_words():
    broken = {
        **LIVE,
        "experiments": {"x": {"placement": "banner", "arms": [{"variant": "zzz", "weight": 1}]}},
    }
    with pytest.raises(Unresolvable, match="experiment x needs placement banner \\(variant zzz\\)"):
        entries_close(LIVE, broken, [("experiments", "x")])


def test_document_compose__deletion_and_change__others_untouched():
    working = {**LIVE, "placements": {"hero": placement(variants=("a", "b"))}}
    composed = document_compose(LIVE, working, [("placements", "hero"), ("placements", "banner")])
    assert set(composed["placements"]) == {"hero"}
    assert set(composed["placements"]["hero"]["variants"]) == {"a", "b"}
    assert composed["segments"] == LIVE["segments"]
    assert LIVE["placements"]["hero"]["variants"].keys() == {"a"}  # the base is not modified


def test_document_compose__any_publishing_order__items_in_key_order():
    working = {**LIVE, "placements": {**LIVE["placements"], "aside": placement()}}
    composed = document_compose(LIVE, working, [("placements", "aside")])
    assert list(composed["placements"]) == ["aside", "banner", "hero"]
