"""The edge tier's endpoints: the edge snapshot (edge key), the client snapshot (public), the
stream of revisions pushed to edges (server-sent events), and the exposures edges report."""

import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import BODY_ERRORS, ERROR_SCHEMA, StrictCharField, StrictIntegerField, error_body
from personalization.edge.authentication import (
    INVALID_KEY,
    WWW_AUTHENTICATE,
    EdgeKeyAuthentication,
    HasEdgeKey,
)
from personalization.edge.documents import Kind, snapshot_served
from personalization.edge.examples import (
    CLIENT_SNAPSHOT_EXAMPLES,
    EDGE_EXPOSURES_EXAMPLES,
    EDGE_SNAPSHOT_EXAMPLES,
)
from personalization.edge.exposures import edge_exposures_record
from personalization.edge.push import edge_revisions_follow
from personalization.edge.selectors import edge_key_check, edge_key_from_request

# A comment this often keeps idle proxies from closing a stream, and lets a revoked key's
# stream end within this time.
HEARTBEAT_SECONDS = 10.0
# What an edge waits before reconnecting a stream that broke (the SSE `retry` field).
RECONNECT_MILLISECONDS = 1000
# A stream ends after this long and the edge opens another (its first event is the current
# revision, so nothing is missed): a server shutting down waits for open responses, and no
# ASGI message tells a response that the server is stopping.
STREAM_SECONDS = 30.0


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def _snapshot_response(request: Request, kind: Kind) -> HttpResponse:
    served = snapshot_served(kind)
    if served.etag in _etags(request.headers.get("If-None-Match", "")):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(served.body, content_type="application/json")
    response["ETag"] = served.etag
    # Stored anywhere, but checked with the ETag before each use.
    response["Cache-Control"] = "no-cache"
    return response


_SNAPSHOT = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="`format`, `revision`, `published_at`, `purposes` (the consent registry: key, "
    "always_on) and `document`: segments, experiments and placements as the engine reads them, "
    "each rule with the `purposes` and attribute `namespaces` it needs.",
)
_NOT_MODIFIED = OpenApiResponse(description="Not modified (If-None-Match matched the ETag).")
_UNAUTHORIZED = OpenApiResponse(
    ERROR_SCHEMA,
    description="No edge key, or not an active one (not_authenticated, authentication_failed).",
)



class EdgeSnapshotApi(APIView):
    authentication_classes = [EdgeKeyAuthentication]
    permission_classes = [HasEdgeKey]

    @extend_schema(
        tags=["edge"],
        operation_id="edge_snapshot",
        examples=EDGE_SNAPSHOT_EXAMPLES,
        summary="The edge snapshot of the latest revision (edge key)",
        responses={
            200: _SNAPSHOT,
            304: _NOT_MODIFIED,
            401: _UNAUTHORIZED,
        },
    )
    def get(self, request: Request) -> HttpResponse:
        return _snapshot_response(request, "edge")


class ClientSnapshotApi(APIView):
    authentication_classes = []
    permission_classes = []

    @extend_schema(
        tags=["edge"],
        operation_id="client_snapshot",
        examples=CLIENT_SNAPSHOT_EXAMPLES,
        summary="The client snapshot: the client-evaluable placements, for browsers",
        responses={200: _SNAPSHOT, 304: _NOT_MODIFIED},
    )
    def get(self, request: Request) -> HttpResponse:
        return _snapshot_response(request, "client")


# A batch an edge reports at once, and the decisions of one request at most.
MAX_EXPOSURES = 200
MAX_DECISIONS = 100


class _HeldOutSerializer(serializers.Serializer[Any]):
    segment = StrictCharField(allow_null=True, max_length=64)
    experiment = StrictCharField(allow_null=True, max_length=64)
    variant = StrictCharField(max_length=64)


class _EdgeDecisionSerializer(serializers.Serializer[Any]):
    placement = StrictCharField(max_length=64)
    reason = serializers.ChoiceField(choices=["TARGETING_MATCH", "SPLIT", "DEFAULT"])
    variant = StrictCharField(max_length=64)
    segment = StrictCharField(allow_null=True, max_length=64)
    experiment = StrictCharField(allow_null=True, max_length=64)
    holdout = _HeldOutSerializer(required=False, allow_null=True)


class _EdgeExposureSerializer(serializers.Serializer[Any]):
    subject = StrictCharField(max_length=32)
    revision = StrictIntegerField(min_value=0)
    decisions = serializers.ListField(child=_EdgeDecisionSerializer(), max_length=MAX_DECISIONS)


class EdgeExposuresSerializer(serializers.Serializer[Any]):
    exposures = serializers.ListField(child=_EdgeExposureSerializer(), max_length=MAX_EXPOSURES)


class EdgeExposuresApi(APIView):
    authentication_classes = [EdgeKeyAuthentication]
    permission_classes = [HasEdgeKey]

    @extend_schema(
        tags=["edge"],
        operation_id="edge_exposures",
        examples=EDGE_EXPOSURES_EXAMPLES,
        summary="Exposures of decisions an edge made for measured subjects (edge key)",
        description="Recorded as the origin's own decisions' are, for subjects who still grant "
        f"measurement; at most {MAX_EXPOSURES} a batch.",
        request=EdgeExposuresSerializer,
        responses={
            202: inline_serializer(
                "EdgeExposuresRecorded",
                {"recorded": serializers.IntegerField(), "dropped": serializers.IntegerField()},
            ),
            400: ERROR_SCHEMA,
            401: _UNAUTHORIZED,
            **BODY_ERRORS,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = EdgeExposuresSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        recorded, dropped = edge_exposures_record(
            exposures=serializer.validated_data["exposures"]
        )
        return Response(
            {"recorded": recorded, "dropped": dropped}, status=status.HTTP_202_ACCEPTED
        )


def _event(name: str, data: object) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


@require_GET
def revisions_stream(request: HttpRequest) -> HttpResponseBase:
    """`GET /api/v1/edge/revisions`: the latest revision at once, then each new one as it is
    published (`event: revision`, `data: {"revision": R}`), a comment every heartbeat, and
    `event: revoked` before the stream ends if the key is revoked."""
    key = edge_key_from_request(request)
    if key is None or not edge_key_check(key):
        message = INVALID_KEY if key else "Authentication credentials were not provided."
        code = "authentication_failed" if key else "not_authenticated"
        response = JsonResponse(error_body(code, message), status=401)
        response["WWW-Authenticate"] = WWW_AUTHENTICATE
        return response
    first = snapshot_served("edge").revision

    async def events() -> AsyncIterator[bytes]:
        yield f"retry: {RECONNECT_MILLISECONDS}\n".encode() + _event("revision", {"revision": first})
        until = time.monotonic() + STREAM_SECONDS
        async for revision in edge_revisions_follow(since=first, heartbeat=HEARTBEAT_SECONDS):
            if not await sync_to_async(edge_key_check, thread_sensitive=False)(key):
                yield _event("revoked", {"message": INVALID_KEY})
                return
            if time.monotonic() >= until:
                return
            yield b": heartbeat\n\n" if revision is None else _event(
                "revision", {"revision": revision}
            )

    stream = StreamingHttpResponse(events(), content_type="text/event-stream")
    stream["Cache-Control"] = "no-cache"
    # Proxies that buffer (nginx) pass each event on at once.
    stream["X-Accel-Buffering"] = "no"
    return stream
