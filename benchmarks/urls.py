"""The application's URLs plus `/bench/bare`, the baseline every HTTP ratio is measured against."""

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as app_urlpatterns


@csrf_exempt
def bare(request: HttpRequest) -> JsonResponse:
    """The least a Django JSON endpoint does: route, read the body, answer JSON."""
    return JsonResponse({"received": len(request.body)})


urlpatterns = [path("bench/bare", bare), *app_urlpatterns]
