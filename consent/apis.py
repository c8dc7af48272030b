"""Consent APIs: consent, preferences, and the subject's export and erasure."""

from dataclasses import asdict
from typing import Any

from django.db import transaction
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import BODY_ERRORS, ERROR_SCHEMA, error_body
from consent.api_examples import (
    CONSENT_GET_EXAMPLES,
    CONSENT_PUT_EXAMPLES,
    PREFERENCES_GET_EXAMPLES,
    PREFERENCES_PUT_EXAMPLES,
    SUBJECT_ERASE_EXAMPLES,
    SUBJECT_EXPORT_EXAMPLES,
)
from consent.edge_tokens import CONSENT_TOKEN_HEADER
from consent.exceptions import ConsentRequired, NoSubject
from consent.gpp import gpp_string_decode
from consent.models import Subject
from consent.selectors import (
    GPC_HEADER,
    PreferenceSpec,
    preference_specs,
    preferences_stored,
    subject_export,
    subject_for_request,
)
from consent.serializers import (
    ConsentStateSerializer,
    ConsentUpdatedSerializer,
    ConsentUpdateSerializer,
    ErasureReceiptSerializer,
    PreferencesSerializer,
    PreferencesUpdateSerializer,
    SubjectExportSerializer,
)
from consent.services import (
    consent_for_request,
    consent_record_gpc,
    consent_record_gpp,
    consent_record_tcf,
    consent_update,
    gpc_of,
    preferences_update,
    subject_erase,
    subject_for_change,
)
from consent.tcf import tc_string_decode
from consent.tokens import (
    SUBJECT_COOKIE,
    SUBJECT_HEADER,
    subject_cookie_clear,
    subject_token_issue,
)

_SUBJECT_PARAMETERS = [
    OpenApiParameter(
        SUBJECT_COOKIE,
        OpenApiTypes.STR,
        OpenApiParameter.COOKIE,
        description="Signed subject token, set by the first PUT (browsers).",
    ),
    OpenApiParameter(
        SUBJECT_HEADER,
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description="Signed subject token from a PUT response (other clients).",
    ),
]
_GPC_PARAMETER = OpenApiParameter(
    GPC_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='Global Privacy Control; "1" opts out of advertising for good.',
)
_NO_SUBJECT = OpenApiResponse(
    ERROR_SCHEMA, description="No valid subject token: nobody to act on (no_subject)."
)
# An endpoint that needs the database (or Redis) when it cannot be reached: the middleware answers
# this, with Retry-After. (GET /consent fails closed to necessary-only instead.)
_UNAVAILABLE = OpenApiResponse(
    ERROR_SCHEMA,
    description="The database or Redis cannot be reached just now (service_unavailable).",
)


class _RequiredBodySchema(AutoSchema):
    """A request body that is required, though none of its fields is on its own."""

    def _get_request_body(self, direction: str = "request") -> dict[str, Any] | None:
        body: dict[str, Any] | None = super()._get_request_body(direction)
        if body:
            body["required"] = True
        return body


class SubjectApi(APIView):
    """An endpoint whose identity is the signed subject token: no session, so no session CSRF."""

    authentication_classes = []
    permission_classes = [AllowAny]


def _subject_required(request: Request) -> Subject:
    subject = subject_for_request(request)
    if subject is None:
        raise NoSubject("No valid subject token: this client has no data here.")
    return subject


class ConsentApi(SubjectApi):
    schema = _RequiredBodySchema()

    @extend_schema(
        tags=["consent"],
        summary="The consent that applies to this request",
        examples=CONSENT_GET_EXAMPLES,
        parameters=[*_SUBJECT_PARAMETERS, _GPC_PARAMETER],
        responses={200: ConsentStateSerializer},
    )
    def get(self, request: Request) -> Response:
        return Response(ConsentStateSerializer(consent_for_request(request)).data)

    @extend_schema(
        tags=["consent"],
        summary="Grant, refuse or withdraw purposes; pass on a host CMP's TC or GPP string",
        examples=CONSENT_PUT_EXAMPLES,
        description=(
            "Creates the subject on its first choice and sets the subject cookie. Purposes left "
            "out keep their state; choosing what is already in force records nothing. A TC "
            "or GPP string is decoded, stored verbatim and mapped to Tactful's purposes; the "
            "visitor's own choices in the same body or earlier take precedence over it. With "
            "`Sec-GPC: 1` the signal is recorded first, and an advertising grant made here does "
            "not outrank it (only an explicit re-consent in the privacy center does). Every "
            "answer carries a new subject token (cookie, `X-Tactful-Subject` header and "
            "`token`): requests that present it never see a consent older than this answer."
        ),
        parameters=[*_SUBJECT_PARAMETERS, _GPC_PARAMETER],
        request=ConsentUpdateSerializer,
        responses={
            200: ConsentUpdatedSerializer,
            400: OpenApiResponse(
                ERROR_SCHEMA,
                description="Malformed body, unknown purpose or notice version, an undecodable "
                "TC or GPP string, or refusal of an always-on purpose; nothing is written.",
            ),
            **BODY_ERRORS,
            429: OpenApiResponse(
                ERROR_SCHEMA,
                description="A first choice, from an address that created too many subjects "
                "lately (throttled, with Retry-After); nothing is written.",
            ),
            503: _UNAVAILABLE,
        },
    )
    def put(self, request: Request) -> Response:
        serializer = ConsentUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        decoded = tc_string_decode(data["tc_string"]) if "tc_string" in data else None
        decoded_gpp = gpp_string_decode(data["gpp_string"]) if "gpp_string" in data else None
        # One transaction: a choice that fails validation leaves no subject behind either.
        with transaction.atomic():
            subject = subject_for_change(request)
            if gpc_of(request):
                # Before the choice: an advertising grant over the API does not outrank GPC.
                snapshot = consent_record_gpc(subject=subject)
            if decoded is not None:
                snapshot = consent_record_tcf(
                    subject=subject,
                    tc_string=data["tc_string"],
                    decoded=decoded,
                    notice_version=data.get("notice_version"),
                )
            if decoded_gpp is not None:
                snapshot = consent_record_gpp(
                    subject=subject,
                    gpp_string=data["gpp_string"],
                    decoded=decoded_gpp,
                    applicable=data.get("gpp_sid"),
                    notice_version=data.get("notice_version"),
                )
            if "purposes" in data:
                snapshot = consent_update(
                    subject=subject,
                    purposes=data["purposes"],
                    source=data["source"],
                    control=data.get("control", data["source"]),
                    notice_version=data.get("notice_version"),
                )
        response = Response()
        token = subject_token_issue(response, subject.public_id, snapshot.version)
        consent_token = response.get(CONSENT_TOKEN_HEADER)
        response.data = ConsentUpdatedSerializer(
            {**asdict(snapshot), "token": token, "consent_token": consent_token}
        ).data
        return response


def _available(specs: dict[str, PreferenceSpec]) -> dict[str, object]:
    return {
        key: {
            "label": spec.label,
            "description": spec.description,
            "multiple": spec.multiple,
            "values": [{"value": value, "label": label} for value, label in spec.options],
        }
        for key, spec in specs.items()
    }


class PreferencesApi(SubjectApi):
    @extend_schema(
        tags=["preferences"],
        summary="The visitor's explicit preferences and the allowed values",
        examples=PREFERENCES_GET_EXAMPLES,
        parameters=_SUBJECT_PARAMETERS,
        responses={200: PreferencesSerializer, 503: _UNAVAILABLE},
    )
    def get(self, request: Request) -> Response:
        subject = subject_for_request(request)
        stored = preferences_stored(subject=subject) if subject is not None else {}
        return Response({"preferences": stored, "available": _available(preference_specs())})

    @extend_schema(
        tags=["preferences"],
        summary="Set explicit preferences (used only while personalization is granted)",
        examples=PREFERENCES_PUT_EXAMPLES,
        description=(
            "Keys given replace their values, an empty list clears a key, other keys keep "
            "theirs. The change takes effect on the very next decision and is pushed to open "
            "sockets."
        ),
        parameters=_SUBJECT_PARAMETERS,
        request=PreferencesUpdateSerializer,
        responses={
            200: PreferencesSerializer,
            400: OpenApiResponse(
                ERROR_SCHEMA,
                description="Malformed body, a key or value outside the registry "
                "(unknown_preference), or one touching a sensitive category (sensitive_data); "
                "nothing is written.",
            ),
            409: OpenApiResponse(
                ERROR_SCHEMA, description="personalization is not granted (consent_required)."
            ),
            **BODY_ERRORS,
            503: _UNAVAILABLE,
        },
    )
    def put(self, request: Request) -> Response:
        serializer = PreferencesUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subject = subject_for_request(request)
        if subject is None:
            raise ConsentRequired(
                "Preferences are used only for personalized content: grant it first.",
                details={"purpose": "personalization"},
            )
        values = preferences_update(
            subject=subject, preferences=serializer.validated_data["preferences"]
        )
        response = Response({"preferences": values, "available": _available(preference_specs())})
        subject.refresh_from_db(fields=["consent_version"])
        subject_token_issue(response, subject.public_id, subject.consent_version)
        return response


class SubjectExportApi(SubjectApi):
    @extend_schema(
        tags=["subject"],
        summary="Everything held about this subject (GDPR Art. 15 and 20)",
        examples=SUBJECT_EXPORT_EXAMPLES,
        parameters=_SUBJECT_PARAMETERS,
        responses={200: SubjectExportSerializer, 404: _NO_SUBJECT, 503: _UNAVAILABLE},
    )
    def get(self, request: Request) -> Response:
        response = Response(subject_export(subject=_subject_required(request)))
        response["Cache-Control"] = "no-store"
        return response


class SubjectEraseApi(SubjectApi):
    @extend_schema(
        tags=["subject"],
        summary="Erase everything held about this subject (GDPR Art. 17)",
        examples=SUBJECT_ERASE_EXAMPLES,
        description=(
            "Erases signals, preferences, decision history, assignments, cached state and open "
            "sessions, and clears the subject cookie. Consent events are kept as pseudonymous "
            "proof when the operator's policy says so (TACTFUL_ERASURE_KEEPS_CONSENT_PROOF). "
            "The next decision for this client is the default. If a part fails, the answer is "
            "503 with the receipt in details, and nothing of the identity is erased: retry."
        ),
        parameters=_SUBJECT_PARAMETERS,
        responses={
            200: ErasureReceiptSerializer,
            404: _NO_SUBJECT,
            503: OpenApiResponse(
                ERROR_SCHEMA,
                description="A part could not be erased (erasure_incomplete, with the receipt in "
                "details), or the database or Redis cannot be reached (service_unavailable).",
            ),
        },
    )
    def delete(self, request: Request) -> Response:
        receipt = subject_erase(subject=_subject_required(request))
        if not receipt.complete:
            body = error_body(
                "erasure_incomplete",
                "Part of the data could not be erased just now; nothing else was. Try again.",
                receipt.as_dict(),
            )
            return Response(body, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        response = Response(ErasureReceiptSerializer(receipt.as_dict()).data)
        subject_cookie_clear(response)
        return response
