"""/metrics: Prometheus text, behind a bearer token when one is set, merged across processes."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db

# A worker process: Django set up with PROMETHEUS_MULTIPROC_DIR in its environment, as uvicorn
# --workers starts them; it records some metrics and exits.
WORKER = """
import django
django.setup()
from personalization import metrics
metrics.events_counted(accepted=3, dropped=2, reason="CONSENT_REQUIRED")
metrics.websocket_opened()
metrics.snapshot_revision_set({revision})
"""


def test_metrics__after_a_decision__prometheus_text_with_the_decision_counter(client, demo):
    # Given one decision served
    client.post("/api/v1/decide", data=b"{}", content_type="application/json")
    # When Prometheus scrapes
    response = client.get("/metrics")
    # Then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    text = response.content.decode()
    assert 'tactful_decisions_total{personalized="false",placement="recommendations"' in text
    assert "tactful_decision_duration_seconds_bucket" in text
    assert "tactful_snapshot_revision" in text


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (None, 401),
        ("Bearer wrong-token", 401),
        ("Basic c2VjcmV0", 401),
        ("Bearer s3cret-token", 200),
    ],
)
def test_metrics__token_set__only_the_right_bearer_gets_in(client, settings, header, status):
    # Given a token
    settings.TACTFUL = {**settings.TACTFUL, "METRICS_TOKEN": "s3cret-token"}
    # When
    headers = {"Authorization": header} if header else {}
    response = client.get("/metrics", headers=headers)
    # Then
    assert response.status_code == status
    if status == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["error"]["code"] == "unauthorized"
        assert b"tactful_" not in response.content


def test_metrics__post__405(client):
    assert client.post("/metrics").status_code == 405


def test_metrics__multiprocess_dir__sums_workers_and_forgets_dead_ones(
    client, tmp_path, monkeypatch
):
    # Given two workers on the shared directory: one recorded and exited, one is still running
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    command = [sys.executable, "-c"]
    subprocess.run([*command, WORKER.format(revision=7)], cwd=ROOT, env=env, check=True, timeout=60)
    alive = subprocess.Popen(
        [*command, WORKER.format(revision=8) + "print('ready', flush=True)\ninput()"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert alive.stdout is not None and alive.stdout.readline().strip() == "ready"
        monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
        # When any worker serves /metrics
        text = client.get("/metrics").content.decode()
    finally:
        alive.communicate("\n", timeout=60)
    # Then counters add up over both; the exited worker's live gauges are gone
    assert "tactful_events_accepted_total 6.0" in text
    assert 'tactful_events_dropped_total{reason="CONSENT_REQUIRED"} 4.0' in text
    assert "tactful_websockets_open 1.0" in text
    assert f'tactful_snapshot_revision{{pid="{alive.pid}"}} 8.0' in text
    assert text.count("tactful_snapshot_revision{") == 1
