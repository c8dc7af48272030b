"""What every public endpoint shares: visitor identity by subject token, never by a session."""

from rest_framework.views import APIView


class PublicApi(APIView):
    """An endpoint for visitors: identified by their subject token, never by a session."""

    authentication_classes = []
    permission_classes = []
