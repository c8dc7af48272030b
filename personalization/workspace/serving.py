"""Why a rule or an experiment can never be served: read from a configuration document.

Mirrors what the engine does (`engine/evaluation.py`): rules in order, the first match wins; an
experiment assigns only while running; a placement switched off serves its default.
"""

from collections.abc import Mapping
from typing import Any

type Entry = tuple[str, str]


def _rule_name(rule: Mapping[str, Any]) -> str:
    target = rule.get("variant") or f"experiment {rule.get('experiment')}"
    return f"rule {rule['order']} ({rule.get('segment') or 'everyone'} → {target})"


def _everyone(segment: str | None, segments: Mapping[str, Any]) -> bool:
    return segment is None or segments.get(segment, {}).get("condition") == {}


def serving_warnings(document: Mapping[str, Any]) -> dict[Entry, list[str]]:
    """Placements and experiments with parts that can never reach a visitor, in words."""
    warnings: dict[Entry, list[str]] = {}
    experiments: Mapping[str, Any] = document.get("experiments", {})
    segments: Mapping[str, Any] = document.get("segments", {})
    used: set[str] = set()
    for key, placement in document.get("placements", {}).items():
        found: list[str] = []
        rules = sorted(placement.get("rules", []), key=lambda r: r["order"])
        if not placement.get("enabled", True) and rules:
            found.append("The placement is switched off: everyone gets the default.")
        catch_all = None
        for rule in rules:
            name = _rule_name(rule)
            if catch_all is not None:
                found.append(
                    f"{name[:1].upper()}{name[1:]} is never reached: {catch_all} already serves "
                    "everyone."
                )
                continue
            experiment_key = rule.get("experiment")
            experiment = experiments.get(experiment_key) if experiment_key else None
            if experiment_key:
                used.add(experiment_key)
            if float(rule.get("rollout", 100)) <= 0:
                found.append(f"{name[:1].upper()}{name[1:]} has a 0 % rollout: it serves nobody.")
            elif experiment is not None and experiment.get("status") != "running":
                found.append(
                    f"{name[:1].upper()}{name[1:]} serves nobody while experiment "
                    f"{experiment_key} is {experiment.get('status')}."
                )
            elif (
                _everyone(rule.get("segment"), segments)
                and float(rule.get("rollout", 100)) >= 100
                and experiment is None
            ):
                catch_all = name
        if found:
            warnings[("placements", key)] = found
    for key, experiment in experiments.items():
        found = []
        if experiment.get("status") == "running" and key not in used:
            found.append(
                "It is running but no rule of its placement points at it, so nobody is in it."
            )
        arms = experiment.get("arms", [])
        if not arms or not any(float(arm.get("weight", 0)) > 0 for arm in arms):
            found.append("No arm has a weight above 0 %: nobody can be assigned.")
        if float(experiment.get("coverage", 1)) <= 0:
            found.append("Its coverage is 0 %: nobody is included.")
        if found:
            warnings[("experiments", key)] = found
    return warnings
