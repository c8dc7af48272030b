"""The pure-Python decision engine: conditions, bucketing, compilation and evaluation."""

from .compiler import compile_snapshot, condition_manifest, purposes_for
from .conditions import compile_condition, condition_paths, evaluate_condition, validate_condition
from .evaluation import decide, decide_many
from .hashing import bucket_ranges, choose_variation, hash_unit
from .types import (
    NAMESPACE_PURPOSES,
    CompiledHoldout,
    CompiledPlacement,
    Decision,
    Reason,
    Snapshot,
    ValueType,
    Visitor,
    value_type_problem,
)

__all__ = [
    "NAMESPACE_PURPOSES",
    "CompiledHoldout",
    "CompiledPlacement",
    "Decision",
    "Reason",
    "Snapshot",
    "ValueType",
    "Visitor",
    "bucket_ranges",
    "choose_variation",
    "compile_condition",
    "compile_snapshot",
    "condition_manifest",
    "condition_paths",
    "decide",
    "decide_many",
    "evaluate_condition",
    "hash_unit",
    "purposes_for",
    "validate_condition",
    "value_type_problem",
]
