"""Contract: generated requests to every public endpoint, checked against `/api/schema/`.

Schemathesis reads the OpenAPI schema the server publishes and generates requests for the
decide, OFREP, events, consent, preferences and subject endpoints: valid ones (positive mode)
and ones that break the schema (negative mode). Every answer must be a non-5xx status the schema
declares, with the declared content type and body shape; a valid request must be accepted and an
invalid one refused with a 4xx. Requests go through the whole Django stack in-process (WSGI) on
the demo storefront, from a client address like any TCP client's.

The schema names what the registries hold when it is generated (purposes, notice versions,
preferences, placements), so it is read once the demo storefront exists, in each test.
"""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from consent.serializers import GPP_STRING_FORMAT, TC_STRING_FORMAT
from personalization.serializers import CONTEXT_KEY
from tests.consent.gppstrings import gpp_string, usnat
from tests.consent.tcstrings import tc_string

PUBLIC = r"^/(api/v1|ofrep/v1)/"
CLIENT = {"REMOTE_ADDR": "192.0.2.10"}
CONTEXT_OPERATIONS = {
    "/api/v1/decide",
    "/ofrep/v1/evaluate/flags",
    "/ofrep/v1/evaluate/flags/{key}",
}
# Schemathesis's own expected statuses, plus 413: a body over TACTFUL_MAX_BODY_BYTES is refused
# whatever its shape (every endpoint with a body declares it), and OpenAPI has no word for a
# body's size in bytes.
CHECKS = {
    "positive_data_acceptance": {
        "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "413", "429", "5xx"]
    },
    "negative_data_rejection": {
        "expected-statuses": [
            *("400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428"),
            *("429", "5xx"),
        ]
    },
}

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# The schema says a TC string is of this format (decodable, which no pattern can say); this is
# how to write one.
schemathesis.openapi.format(
    TC_STRING_FORMAT,
    st.builds(tc_string, st.sets(st.integers(1, 24)), cmp_id=st.integers(0, 4095)),
)
# Likewise a GPP string: a US National section with any opt-out choices and GPC bit.
_CHOICE = st.integers(0, 2)
schemathesis.openapi.format(
    GPP_STRING_FORMAT,
    st.builds(
        lambda section: gpp_string({7: section}),
        st.builds(
            usnat,
            sale=_CHOICE,
            sharing=_CHOICE,
            targeted=_CHOICE,
            child=_CHOICE,
            gpc=st.none() | st.booleans(),
        ),
    ),
)

pytestmark = pytest.mark.django_db


def _schema(mode: str) -> Any:
    config = schemathesis.Config.from_dict({"checks": CHECKS, "generation": {"mode": mode}})
    return schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", get_wsgi_application(), config=config
    )


@pytest.fixture
def positive_schema(demo: None) -> Any:
    return _schema("positive")


@pytest.fixture
def negative_schema(demo: None) -> Any:
    return _schema("negative")


positive = schemathesis.pytest.from_fixture("positive_schema")
negative = schemathesis.pytest.from_fixture("negative_schema")


@pytest.fixture(autouse=True)
def _node_id_where_schemathesis_reads_it(request: pytest.FixtureRequest) -> None:
    # Schemathesis's fixture-loaded schemas read `Node._nodeid`, which pytest 9.2 renamed; the
    # value only labels the per-operation subtests.
    request.node._nodeid = request.node.nodeid


@pytest.fixture(autouse=True)
def _test_transaction_kept() -> Iterator[None]:
    # Requests go through the WSGI handler, whose request signals would close the connection
    # that holds the test's transaction; Django's own test client disconnects them the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _context_key_not_an_attribute_name(case: Any) -> bool:
    body = case.body if isinstance(case.body, dict) else {}
    context = body.get("context")
    return (
        case.meta.generation.mode.is_positive
        and case.operation.path in CONTEXT_OPERATIONS
        and isinstance(context, dict)
        and not all(CONTEXT_KEY.fullmatch(key) for key in context)
    )


def call_and_validate(case: Any) -> None:
    response = case.call(environ_base=CLIENT)
    excluded = []
    if _context_key_not_an_attribute_name(case):
        # The one rule OpenAPI 3.0 cannot state: context keys must be attribute names
        # (`propertyNames` came with 3.1), so valid data may carry another key. Then, and only
        # then, the answer may be a refusal: of that key, with every other check still on.
        assert response.status_code == 400
        assert "context key" in response.text
        excluded.append(positive_data_acceptance)
    case.validate_response(response, excluded_checks=excluded)


@positive.include(path_regex=PUBLIC).parametrize()
@FUZZ
def test_api__valid_generated_requests__answers_match_the_schema(case):
    call_and_validate(case)


# Reads without parameters or body (GET consent, DELETE subject...) have nothing to break.
@negative.include(path_regex=PUBLIC).exclude(method=["GET", "DELETE"]).parametrize()
@FUZZ
def test_api__invalid_generated_requests__refused_with_a_4xx(case):
    call_and_validate(case)
