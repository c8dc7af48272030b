"""Reading metric values in tests: deltas of this process's default registry."""

from prometheus_client import REGISTRY


def sample(name: str, **labels: str) -> float:
    """The current value of one series (0 when it does not exist yet)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0
