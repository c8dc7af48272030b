"""Consent API: read and change a subject's consent (`/api/v1/consent`)."""

from dataclasses import asdict

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from consent.models import Source
from consent.selectors import GPC_HEADER, consent_for_request, subject_get
from consent.serializers import (
    ConsentStateSerializer,
    ConsentUpdatedSerializer,
    ConsentUpdateSerializer,
)
from consent.services import consent_update, subject_create
from consent.tokens import (
    SUBJECT_COOKIE,
    SUBJECT_HEADER,
    subject_cookie_set,
    subject_id_from_request,
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


class ConsentApi(APIView):
    # The signed subject token is the identity: no session, hence no session CSRF either.
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["consent"],
        summary="The consent that applies to this request",
        parameters=[
            *_SUBJECT_PARAMETERS,
            OpenApiParameter(
                GPC_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description='Global Privacy Control; "1" opts out of advertising for good.',
            ),
        ],
        responses={200: ConsentStateSerializer},
    )
    def get(self, request: Request) -> Response:
        return Response(ConsentStateSerializer(consent_for_request(request)).data)

    @extend_schema(
        tags=["consent"],
        summary="Grant, refuse or withdraw purposes",
        description=(
            "Creates the subject on its first choice and sets the subject cookie. Purposes left "
            "out keep their state; choosing what is already in force records nothing."
        ),
        parameters=_SUBJECT_PARAMETERS,
        request=ConsentUpdateSerializer,
        responses={
            200: ConsentUpdatedSerializer,
            400: OpenApiResponse(
                description="Malformed body, unknown purpose or refusal of an always-on "
                "purpose; nothing is written."
            ),
        },
    )
    def put(self, request: Request) -> Response:
        serializer = ConsentUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # One transaction: a choice that fails validation leaves no subject behind either.
        with transaction.atomic():
            subject = subject_get(public_id=subject_id_from_request(request)) or subject_create()
            snapshot = consent_update(
                subject=subject,
                purposes=serializer.validated_data["purposes"],
                source=Source.API,
                control="api",
            )
        response = Response()
        token = subject_cookie_set(response, subject.public_id)
        response.data = ConsentUpdatedSerializer({**asdict(snapshot), "token": token}).data
        return response
