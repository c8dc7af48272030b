"""Contract: generated requests to every public endpoint, checked against `/api/schema/`.

Schemathesis reads the OpenAPI schema the server publishes and generates requests for the
decide, OFREP, events, consent, preferences and subject endpoints: valid ones (positive mode)
and ones that break the schema (negative mode). Every answer must be a non-5xx status the schema
declares, with the declared content type and body shape; an invalid request must be refused
with a 4xx. Requests go through the whole Django stack in-process (WSGI) on the demo
storefront, from a client address like any TCP client's.
"""

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance, response_schema_conformance

PUBLIC = r"^/(api/v1|ofrep/v1)/"
CLIENT = {"REMOTE_ADDR": "192.0.2.10"}

# Known differences between the schema and the code, reported to their owners; each entry
# turns off one check for one operation only, and goes away when the schema is fixed.
KNOWN_MISMATCHES = {
    # The schema allows any JSON in `context`, null events, `purposes: {}` and strings with NUL,
    # which the validation (rightly) refuses: the schema is looser than the code.
    "POST /api/v1/decide": [positive_data_acceptance],
    "POST /api/v1/events": [positive_data_acceptance],
    "POST /ofrep/v1/evaluate/flags/{key}": [positive_data_acceptance],
    "PUT /api/v1/consent": [positive_data_acceptance],
    "PUT /api/v1/preferences": [positive_data_acceptance],
    # The bulk endpoint's 400 has no `key` (there is none), while the shared failure schema
    # requires one; and its `context` is declared as any JSON.
    "POST /ofrep/v1/evaluate/flags": [positive_data_acceptance, response_schema_conformance],
}

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

positive = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
negative = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
negative.config.generation.update(modes=[GenerationMode.NEGATIVE])

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _test_transaction_kept() -> Iterator[None]:
    # Requests go through the WSGI handler, whose request signals would close the connection
    # that holds the test's transaction; Django's own test client disconnects them the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def call_and_validate(case) -> None:
    excluded = KNOWN_MISMATCHES.get(f"{case.operation.method.upper()} {case.operation.path}", [])
    response = case.call(environ_base=CLIENT)
    if response.status_code == 413:
        # A body over TACTFUL_MAX_BODY_BYTES is refused before it is read, on every endpoint;
        # the consent and preferences schemas do not list 413 yet.
        assert response.json()["error"]["code"] == "payload_too_large"
        return
    case.validate_response(response, excluded_checks=excluded)


@positive.include(path_regex=PUBLIC).parametrize()
@FUZZ
def test_api__valid_generated_requests__answers_match_the_schema(case, demo):
    call_and_validate(case)


# Reads without parameters or body (GET consent, DELETE subject...) have nothing to break.
@negative.include(path_regex=PUBLIC).exclude(method=["GET", "DELETE"]).parametrize()
@FUZZ
def test_api__invalid_generated_requests__refused_with_a_4xx(case, demo):
    call_and_validate(case)
