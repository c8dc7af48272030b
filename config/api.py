"""Project-wide DRF plumbing: orjson, body limits, strict JSON fields and the one error shape."""

from collections.abc import Mapping
from typing import Any

import orjson
from django.conf import settings
from django.db import DatabaseError
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import Direction, OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is too large."
    default_code = "payload_too_large"


class DomainError(Exception):
    """Base of each app's exceptions: a 4xx with a stable code and a message for the client."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code = "invalid"

    def __init__(self, message: str, *, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = dict(details or {})


class OrjsonParser(BaseParser):
    """Parse JSON with orjson, refusing bodies over DATA_UPLOAD_MAX_MEMORY_SIZE."""

    media_type = "application/json"

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read(limit + 1) if stream is not None else b""
        if limit is not None and len(body) > limit:
            raise PayloadTooLarge(f"Request body is larger than {limit} bytes.")
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise exceptions.ParseError(f"Malformed JSON: {exc}") from exc


class JsonNegotiation(DefaultContentNegotiation):
    """DRF's content negotiation, with the usual case answered at once: an endpoint that renders
    only JSON, asked by a client that takes anything or JSON, answers JSON without its Accept
    header being parsed against each renderer (25 µs, a sixth of the decide endpoint's own CPU
    time, benchmarks/README.md). Anything else is negotiated as DRF does (406 included)."""

    def select_renderer(
        self, request: Any, renderers: Any, format_suffix: str | None = None
    ) -> tuple[Any, str]:
        accept = request.META.get("HTTP_ACCEPT", "*/*")
        if (
            len(renderers) == 1
            and accept in _ANY_JSON
            and not format_suffix
            and not request.META.get("QUERY_STRING")
        ):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)


_ANY_JSON = frozenset({"*/*", "application/json", ""})


class OrjsonRenderer(BaseRenderer):
    """Render JSON with orjson (several times faster than the standard library on decisions)."""

    media_type = "application/json"
    format = "json"
    charset = None

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)


class StrictCharField(serializers.CharField):
    """A JSON string taken as sent: a number is not text, and whitespace is not trimmed."""

    default_error_messages = {"invalid": "Must be a string."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return data


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer and nothing else: "1", 1.0 or true are not one."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return data


class RegistryFieldSchema(OpenApiSerializerFieldExtension):
    """The schema of a field whose values a registry holds, as they are when it is generated.

    With no registry to read (a deploy check before `migrate`, the database down), the schema
    falls back to the field's shape alone.
    """

    def registry_schema(self) -> dict[str, Any] | None:
        """The field's schema from the registry; None when the registry cannot tell."""
        raise NotImplementedError

    def map_serializer_field(self, auto_schema: Any, direction: Direction) -> dict[str, Any]:
        try:
            schema = self.registry_schema()
        except DatabaseError:
            schema = None
        if schema is None:
            return dict(
                auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
            )
        return schema


ERROR_SCHEMA = inline_serializer(
    "Error",
    {
        "error": inline_serializer(
            "ErrorBody",
            {
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "details": serializers.JSONField(required=False),
            },
        )
    },
)

# What any endpoint that reads a JSON body may answer before its own validation.
BODY_ERRORS = {
    413: OpenApiResponse(
        ERROR_SCHEMA,
        description="The body is over TACTFUL_MAX_BODY_BYTES (payload_too_large).",
    ),
    415: OpenApiResponse(
        ERROR_SCHEMA,
        description="The body is not application/json (unsupported_media_type).",
    ),
}


def error_example(
    name: str, status: str, code: str, message: str, **details: Any
) -> OpenApiExample:
    """An error answer in the one error shape, for the API docs."""
    return OpenApiExample(
        name, value=error_body(code, message, details), response_only=True, status_codes=[status]
    )


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return {"error": body}


def exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """Map DRF and domain exceptions to `{"error": {"code", "message", "details"}}`."""
    # Imported here: rest_framework.views loads the renderer classes of this very module.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.status_code)
    response = drf_exception_handler(exc, dict(context))
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    detail = exc.detail
    if isinstance(detail, dict | list):
        code, message, details = "invalid", "The request is not valid.", detail
    else:
        code, message, details = str(getattr(detail, "code", exc.default_code)), str(detail), None
    response.data = error_body(code, message, details)
    return response
