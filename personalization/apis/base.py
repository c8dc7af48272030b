"""What every public endpoint shares: visitor identity by subject token, and the error schema."""

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.views import APIView

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


class PublicApi(APIView):
    """An endpoint for visitors: identified by their subject token, never by a session."""

    authentication_classes = []
    permission_classes = []
