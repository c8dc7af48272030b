"""Response examples of the reports API, for the API docs: real reports of the demo's simulated
traffic (`manage.py simulate_traffic`), cut to one goal, two groups and one day.

`tests/contract/test_schema_examples.py` holds every one to the schema.
"""

import json
from pathlib import Path
from typing import Any

from drf_spectacular.utils import OpenApiExample

from config.api import error_example

_FILES = Path(__file__).with_name("examples")


def _report(name: str) -> Any:
    return json.loads((_FILES / name).read_text())


_ERRORS = [
    error_example(
        "No credentials",
        "401",
        "not_authenticated",
        "Authentication credentials were not provided.",
    ),
    error_example(
        "Signed in without the permission",
        "403",
        "permission_denied",
        "You do not have permission to perform this action.",
    ),
]

EXPERIMENT_REPORT_EXAMPLES = [
    OpenApiExample(
        "The demo's free-shipping test after simulated traffic",
        value=_report("experiment-report.json"),
        response_only=True,
        status_codes=["200"],
    ),
    *_ERRORS,
    error_example("No such experiment", "404", "not_found", "No experiment 'nope'."),
]

PLACEMENT_REPORT_EXAMPLES = [
    OpenApiExample(
        "Personalized visitors against the holdout",
        value=_report("placement-report.json"),
        response_only=True,
        status_codes=["200"],
    ),
    *_ERRORS,
    error_example("No such placement", "404", "not_found", "No placement 'nope'."),
]
