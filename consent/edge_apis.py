"""Consent tokens over HTTP: renewal (`GET /api/v1/consent/token`) and the public keys that
verify them (`/.well-known/jwks.json`)."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import ERROR_SCHEMA, error_body
from consent.api_examples import CONSENT_TOKEN_EXAMPLES
from consent.edge_tokens import consent_jwks, token_seconds
from consent.services import consent_for_request
from consent.services.edge_tokens import consent_token_issue


class ConsentTokenApi(APIView):
    """Identified by the signed subject token (cookie or header), like the other consent APIs."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["consent"],
        operation_id="consent_token_renew",
        examples=CONSENT_TOKEN_EXAMPLES,
        summary="A fresh consent token for edges (renew it before it expires)",
        description="The subject's consent as it stands, under this request's GPC signal, signed "
        "for `TACTFUL_CONSENT_TOKEN_SECONDS`; also set as the `tactful_consent` cookie and the "
        "`X-Tactful-Consent` header. Verify it with `/.well-known/jwks.json`.",
        responses={
            200: inline_serializer(
                "ConsentToken",
                {
                    "token": serializers.CharField(),
                    "expires_in": serializers.IntegerField(help_text="Seconds."),
                },
            ),
            404: OpenApiResponse(
                ERROR_SCHEMA,
                description="No valid subject token: nobody to vouch for (no_subject).",
            ),
            503: OpenApiResponse(
                ERROR_SCHEMA,
                description="No signing key is configured (consent_tokens_off), or the consent "
                "store cannot be read (service_unavailable).",
            ),
        },
    )
    def get(self, request: Request) -> Response:
        consent = consent_for_request(request)
        if consent.subject_id is None:
            return Response(
                error_body("no_subject", "No valid subject token: this client has no consent."),
                status=status.HTTP_404_NOT_FOUND,
            )
        response = Response()
        token = consent_token_issue(response, consent=consent)
        if token is None:
            return Response(
                error_body(
                    "consent_tokens_off",
                    "This server issues no consent tokens (TACTFUL_CONSENT_TOKEN_KEY is not set).",
                ),
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        response.data = {"token": token, "expires_in": token_seconds()}
        response["Cache-Control"] = "no-store"
        return response


@require_GET
def jwks_view(request: HttpRequest) -> JsonResponse:
    """`/.well-known/jwks.json`: the Ed25519 public keys of consent tokens."""
    response = JsonResponse(consent_jwks())
    response["Cache-Control"] = "public, max-age=300"
    return response
