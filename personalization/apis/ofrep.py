"""The OpenFeature Remote Evaluation Protocol: single and bulk flag evaluation."""

import hashlib
from typing import Any

import orjson
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from config.api import PayloadTooLarge
from consent.services import consent_for_request
from personalization.apis.base import PublicApi
from personalization.apis.examples import OFREP_BULK_EXAMPLES, OFREP_FLAG_EXAMPLES
from personalization.engine import Decision, Reason
from personalization.exceptions import UnknownPlacement
from personalization.serializers import (
    OfrepBulkFailureSerializer,
    OfrepBulkSerializer,
    OfrepFailureSerializer,
    OfrepRequestSerializer,
    OfrepSuccessSerializer,
    context_problems,
)
from personalization.serving import decisions_serve

# OpenFeature knows these reasons; Tactful's own (CONSENT_REQUIRED) travels in metadata.
OFREP_REASONS = {
    Reason.TARGETING_MATCH: "TARGETING_MATCH",
    Reason.SPLIT: "SPLIT",
    Reason.DEFAULT: "DEFAULT",
    Reason.DISABLED: "DISABLED",
    Reason.ERROR: "ERROR",
    Reason.CONSENT_REQUIRED: "DEFAULT",
}
_INVALID = (
    "PARSE_ERROR: the body is not a JSON object (or not JSON); INVALID_CONTEXT: the context is "
    "not an object of attributes."
)
_TOO_LARGE = "PARSE_ERROR: the body is over TACTFUL_MAX_BODY_BYTES."


class OfrepError(Exception):
    def __init__(self, code: str, details: str, http_status: int) -> None:
        super().__init__(details)
        self.code = code
        self.details = details
        self.http_status = http_status


class OfrepApi(PublicApi):
    """OFREP endpoints answer errors in OFREP's own shape, not Tactful's."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, PayloadTooLarge):
            exc = OfrepError(
                "PARSE_ERROR", str(exc.detail), status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
            )
        elif isinstance(exc, exceptions.ParseError | exceptions.UnsupportedMediaType):
            exc = OfrepError("PARSE_ERROR", str(exc.detail), status.HTTP_400_BAD_REQUEST)
        if isinstance(exc, OfrepError):
            body = {"errorCode": exc.code, "errorDetails": exc.details}
            if key := self.kwargs.get("key"):
                body["key"] = key
            return Response(body, status=exc.http_status)
        return super().handle_exception(exc)

    def evaluate(self, request: Request, keys: list[str] | None) -> dict[str, Decision]:
        body = request.data
        if not isinstance(body, dict):
            raise OfrepError("PARSE_ERROR", "The body must be a JSON object.", 400)
        context = body.get("context", {})
        if not isinstance(context, dict):
            raise OfrepError("INVALID_CONTEXT", "context must be a JSON object.", 400)
        if not isinstance(context.get("targetingKey", ""), str | None):
            raise OfrepError("INVALID_CONTEXT", "targetingKey must be a string or null.", 400)
        attributes = {k: v for k, v in context.items() if k != "targetingKey"}
        problems = context_problems(attributes)
        if problems:
            raise OfrepError("INVALID_CONTEXT", "; ".join(problems), 400)
        result = decisions_serve(
            consent=consent_for_request(request), context=attributes, placements=keys
        )
        self.revision = result.revision
        return result.decisions

    def success(self, decision: Decision) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "reason": decision.reason.value,
            "personalized": decision.personalized,
            "revision": self.revision,
        }
        for field in ("segment", "experiment"):
            if value := decision.explanation.get(field):
                metadata[field] = value
        return {
            "key": decision.key,
            "value": decision.value,
            "reason": OFREP_REASONS[decision.reason],
            "variant": decision.variant,
            "metadata": metadata,
        }


class OfrepFlagApi(OfrepApi):
    @extend_schema(
        operation_id="ofrep_evaluate_flag",
        examples=OFREP_FLAG_EXAMPLES,
        request=OfrepRequestSerializer,
        responses={
            200: OfrepSuccessSerializer,
            400: OpenApiResponse(OfrepFailureSerializer, description=_INVALID),
            404: OpenApiResponse(OfrepFailureSerializer, description="FLAG_NOT_FOUND."),
            413: OpenApiResponse(OfrepFailureSerializer, description=_TOO_LARGE),
        },
        summary="OFREP: evaluate one flag",
    )
    def post(self, request: Request, key: str) -> Response:
        try:
            decisions = self.evaluate(request, [key])
        except UnknownPlacement as exc:
            raise OfrepError("FLAG_NOT_FOUND", f"Flag {key!r} was not found.", 404) from exc
        return Response(self.success(decisions[key]))


class OfrepBulkApi(OfrepApi):
    @extend_schema(
        operation_id="ofrep_evaluate_flags",
        examples=OFREP_BULK_EXAMPLES,
        request=OfrepRequestSerializer,
        responses={
            200: OfrepBulkSerializer,
            304: OpenApiResponse(description="Not modified (If-None-Match matched the ETag)."),
            400: OpenApiResponse(OfrepBulkFailureSerializer, description=_INVALID),
            413: OpenApiResponse(OfrepBulkFailureSerializer, description=_TOO_LARGE),
        },
        summary="OFREP: evaluate every flag",
    )
    def post(self, request: Request) -> HttpResponse:
        decisions = self.evaluate(request, None)
        body = orjson.dumps({"flags": [self.success(d) for d in decisions.values()]})
        etag = f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'
        if etag in _etags(request.headers.get("If-None-Match", "")):
            response = HttpResponse(status=status.HTTP_304_NOT_MODIFIED)
        else:
            response = HttpResponse(body, content_type="application/json")
        response["ETag"] = etag
        return response


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}
