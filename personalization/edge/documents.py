"""The edge and client snapshots: a revision's configuration as edges and browsers read it.

Both hold placements (with their holdouts), variants, rules (in evaluation order, each with the
purposes and the attribute namespaces it needs), segment conditions and experiments — nothing
about any visitor, and no names or descriptions, which are the marketers' notes. The edge
snapshot holds every placement; the client snapshot only those marked client-evaluable, with
the segments and experiments they use. Both carry the consent registry's purposes (key, always on), which an
edge needs to answer the consent of an anonymous visitor as the origin does. Each is built once
per revision and registry in a process and served with an ETag over its bytes.
"""

import hashlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from consent.selectors import registry_get
from personalization.engine import compile_snapshot
from personalization.snapshot import revision_latest

EDGE_FORMAT = "tactful.edge-snapshot/1"
CLIENT_FORMAT = "tactful.client-snapshot/1"

type Kind = Literal["edge", "client"]


@dataclass(frozen=True, slots=True)
class Served:
    """A snapshot's bytes as served, its ETag and its revision."""

    revision: int
    body: bytes
    etag: str


class _Built:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_kind: dict[Kind, tuple[tuple[Any, ...], Served]] = {}


_built = _Built()


def snapshot_document(
    document: dict[str, Any],
    *,
    purposes: Iterable[tuple[str, bool]],
    published_at: str | None,
    client: bool,
) -> dict[str, Any]:
    """The edge snapshot of a revision's `document` (only client-evaluable placements if
    `client`)."""
    compiled = compile_snapshot(document)
    placements: dict[str, Any] = {}
    for key, data in document["placements"].items():
        if client and not data.get("client_evaluable", False):
            continue
        ordered = sorted(data["rules"], key=lambda rule: rule["order"])
        rules = []
        for rule, built in zip(ordered, compiled.placements[key].rules, strict=True):
            rules.append(
                {
                    "order": rule["order"],
                    "segment": rule.get("segment"),
                    "variant": rule.get("variant"),
                    "experiment": rule.get("experiment"),
                    "rollout": rule.get("rollout", 100),
                    "purposes": sorted(built.purposes),
                    "namespaces": sorted(built.segment.namespaces) if built.segment else [],
                }
            )
        placements[key] = {
            "value_type": data["value_type"],
            "default": data["default"],
            "enabled": data["enabled"],
            "client_evaluable": data.get("client_evaluable", False),
            "variants": {name: {"value": v["value"]} for name, v in data["variants"].items()},
            "rules": rules,
        }
        if data.get("holdout"):
            placements[key]["holdout"] = data["holdout"]
    used_segments = {r["segment"] for p in placements.values() for r in p["rules"]}
    used_experiments = {r["experiment"] for p in placements.values() for r in p["rules"]}
    segments = {
        key: {"condition": segment["condition"]}
        for key, segment in document["segments"].items()
        if not client or key in used_segments
    }
    experiments = {
        key: {k: v for k, v in experiment.items() if k not in ("name", "description")}
        for key, experiment in document["experiments"].items()
        if not client or key in used_experiments
    }
    return {
        "format": CLIENT_FORMAT if client else EDGE_FORMAT,
        "revision": document["revision"],
        "published_at": published_at,
        "purposes": [{"key": key, "always_on": on} for key, on in purposes],
        "document": {
            "revision": document["revision"],
            "segments": segments,
            "experiments": experiments,
            "placements": placements,
        },
    }


def snapshot_served(kind: Kind) -> Served:
    """The `kind` snapshot of the latest published revision, built once per process for each
    revision and consent registry (no database query when both are cached)."""
    from personalization.models import Revision

    latest = revision_latest()
    purposes = registry_get().purposes
    identity = (latest, purposes)
    built = _built.by_kind.get(kind)
    if built is not None and built[0] == identity:
        return built[1]
    row = (
        Revision.objects.filter(number__gte=latest)
        .order_by("-number")
        .values_list("number", "snapshot", "created_at")
        .first()
    )
    if row is None:
        document: dict[str, Any] = {
            "revision": 0,
            "segments": {},
            "experiments": {},
            "placements": {},
        }
        published_at = None
    else:
        document, published_at = row[1], row[2].isoformat()
    body = orjson.dumps(
        snapshot_document(
            document, purposes=purposes, published_at=published_at, client=kind == "client"
        )
    )
    served = Served(
        revision=int(document["revision"]),
        body=body,
        etag=f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"',
    )
    with _built.lock:
        _built.by_kind[kind] = (identity, served)
    return served


def snapshots_forget() -> None:
    """Forget the snapshots built (tests)."""
    with _built.lock:
        _built.by_kind.clear()
