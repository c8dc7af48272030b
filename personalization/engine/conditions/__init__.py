"""GrowthBook-compatible targeting conditions: compile, evaluate, validate and inspect them."""

from .compiler import MAX_DEPTH, compile_condition, evaluate_condition
from .validation import NAMESPACES, condition_paths, validate_condition

__all__ = [
    "MAX_DEPTH",
    "NAMESPACES",
    "compile_condition",
    "condition_paths",
    "evaluate_condition",
    "validate_condition",
]
