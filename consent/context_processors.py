"""Template context of the privacy center's pages: the site they belong to, to go back to."""

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, str]:
    return {"site_url": str(settings.TACTFUL["SITE_URL"])}
