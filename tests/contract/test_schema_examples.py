"""The API docs: every operation shows request and response examples, each true to the schema,
and Swagger UI and Redoc are served by Tactful itself (they work offline)."""

import copy
import re
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
from django.test import Client
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

pytestmark = pytest.mark.django_db

DOCUMENT = "urn:tactful:openapi"
URL_ATTRIBUTE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


@pytest.fixture
def schema(client: Client, demo: None) -> dict[str, Any]:
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return dict(response.json())


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0's `nullable` in the JSON Schema that jsonschema knows."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


def validator(schema: dict[str, Any], media: dict[str, Any]) -> jsonschema.Draft4Validator:
    document = _json_schema(copy.deepcopy(schema))
    registry: Registry[Any] = Registry().with_resource(
        DOCUMENT, Resource.from_contents(document, default_specification=DRAFT4)
    )
    target = _json_schema(copy.deepcopy(media["schema"]))
    target = _relocated(target)
    return jsonschema.Draft4Validator(target, registry=registry)


def _relocated(node: Any) -> Any:
    if isinstance(node, list):
        return [_relocated(item) for item in node]
    if isinstance(node, dict):
        return {
            key: (f"{DOCUMENT}{value}" if key == "$ref" else _relocated(value))
            for key, value in node.items()
        }
    return node


def test_schema__every_operation__has_request_and_response_examples(schema):
    for method, path, operation in operations(schema):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        # Then an operation with a body shows at least one body to send
        if body is not None:
            assert body.get("examples"), f"{method} {path}: no request example"
        # And it shows a successful answer, and a refusal when it declares any
        responses = operation["responses"]
        shown = {
            status
            for status, response in responses.items()
            if response.get("content", {}).get("application/json", {}).get("examples")
        }
        assert any(s.startswith("2") for s in shown), f"{method} {path}: no 2xx example"
        if any(status.startswith(("4", "5")) for status in responses):
            assert any(s.startswith(("4", "5")) for s in shown), f"{method} {path}: no refusal"


def test_schema__every_example__valid_against_its_schema(schema):
    checked = 0
    for method, path, operation in operations(schema):
        media_types = [operation.get("requestBody", {}).get("content", {})] + [
            response.get("content", {}) for response in operation["responses"].values()
        ]
        for content in media_types:
            media = content.get("application/json")
            if media is None or "schema" not in media:
                continue
            check = validator(schema, media)
            for name, example in media.get("examples", {}).items():
                errors = [e.message for e in check.iter_errors(example["value"])]
                assert errors == [], f"{method} {path} example {name!r}: {errors}"
                checked += 1
    assert checked >= 30


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_api_docs__page__references_no_other_host(client, path):
    # When the docs page is opened
    response = client.get(path)
    # Then every script, style sheet and icon it loads comes from this server, and the browser
    # is told to fetch nothing from anywhere else
    assert response.status_code == 200
    assert "default-src 'self'" in response["Content-Security-Policy"]
    urls = URL_ATTRIBUTE.findall(response.content.decode())
    assert urls, "the page loads its viewer from somewhere"
    assert [url for url in urls if urlsplit(url).netloc] == []
    for url in urls:
        assert client.get(url).status_code == 200, url
