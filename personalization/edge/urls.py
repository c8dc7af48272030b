"""URLs of the edge tier's origin side: the snapshots, the revision stream, edge exposures."""

from django.urls import path

from personalization.edge import apis

urlpatterns = [
    path("api/v1/edge/snapshot", apis.EdgeSnapshotApi.as_view(), name="edge-snapshot"),
    path("api/v1/edge/revisions", apis.revisions_stream, name="edge-revisions"),
    path("api/v1/edge/exposures", apis.EdgeExposuresApi.as_view(), name="edge-exposures"),
    path("api/v1/snapshot/client", apis.ClientSnapshotApi.as_view(), name="client-snapshot"),
]
