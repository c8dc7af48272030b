"""Visitors of the live demo: subjects made through the origin's consent API, with their tokens."""

from typing import Any

import httpx

from tests.edge.live import Origin, Worker


def subject_headers(
    origin: Origin, purposes: dict[str, bool], *, interests: list[str] | None = None
) -> dict[str, str]:
    """A new subject who chose `purposes` (and `interests`): the headers its client sends, the
    signed subject token and the consent token."""
    response = httpx.put(f"{origin.base}/api/v1/consent", json={"purposes": purposes}, timeout=10)
    assert response.status_code == 200, response.text
    headers = {
        "X-Tactful-Subject": response.headers["X-Tactful-Subject"],
        "X-Tactful-Consent": response.json()["consent_token"],
    }
    if interests is not None:
        response = httpx.put(
            f"{origin.base}/api/v1/preferences",
            json={"preferences": {"interests": interests}},
            headers={"X-Tactful-Subject": headers["X-Tactful-Subject"]},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        headers = {
            "X-Tactful-Subject": response.headers["X-Tactful-Subject"],
            "X-Tactful-Consent": response.headers["X-Tactful-Consent"],
        }
    return headers


def post(base: str, path: str, body: Any = None, *, content: bytes | None = None,
         headers: dict[str, str] | None = None) -> httpx.Response:  # fmt: skip
    sent = {"Content-Type": "application/json", **(headers or {})}
    if content is None:
        return httpx.post(f"{base}{path}", json=body, headers=sent, timeout=10)
    return httpx.post(f"{base}{path}", content=content, headers=sent, timeout=10)


def both(origin: Origin, worker: Worker, path: str, body: Any = None, *,
         content: bytes | None = None, headers: dict[str, str] | None = None
         ) -> tuple[httpx.Response, httpx.Response]:  # fmt: skip
    """The edge's answer and the origin's to the same request."""
    return (
        post(worker.base, path, body, content=content, headers=headers),
        post(origin.base, path, body, content=content, headers=headers),
    )
