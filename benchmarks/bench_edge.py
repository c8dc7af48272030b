"""Edge harness: the edge worker (workerd) against the origin it fronts, on this machine.

1. throughput: `POST /api/v1/decide` (3 placements, an anonymous mobile visitor, demo data) on
   the origin (one uvicorn worker) and on the edge worker (one workerd process), each pinned to
   core 0 with `wrk` on core 1, in interleaved rounds; the ratio of requests/s. Beside them, a
   trivial workerd worker (reads the body, answers a constant JSON): the runtime's own ceiling
   on this core in this run, which says how much of it the edge worker's work takes.
2. latency at half the edge's peak: an open-loop load at a fixed rate (edge_load.mjs), p50/p99.
3. publish → edges: `--edges` workers follow the origin; `--publishes` publishes (a throw-away
   Redis carries the broadcast from the publishing process, as in scale-out); per publish and
   edge, the time until the edge decides from the new revision. Then with the push lost
   (PUSH=false), each edge polling every `--poll` seconds.
4. origin down: the fixed-rate load on the edge while the origin is killed halfway; errors.

Run: .venv/bin/python benchmarks/bench_edge.py [--seconds 10] [--rounds 2]   (make edge first)
"""

import argparse
import contextlib
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_http import BODY, WRK_SCRIPT, wrk  # noqa: E402
from tests.edge.live import WORKERD, Origin, Worker, live_origin, live_worker  # noqa: E402
from tests.faults.live import RedisServer, free_port, wait_until  # noqa: E402

TRIVIAL_WORKER = """export default {
  async fetch(request) {
    await request.text();
    const headers = {"content-type": "application/json"};
    return new Response('{"revision":1,"decisions":{}}', {headers});
  },
};
"""
TRIVIAL_CONFIG = """using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .trivial)],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);
const trivial :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "2025-09-01",
);
"""

TOGGLE_HERO = (
    "import sys, time\n"
    "from personalization.models import Placement\n"
    "from personalization.services import placement_set_enabled\n"
    "for i in range({count}):\n"
    "    time.sleep({pause})\n"
    "    placement = Placement.objects.get(key='home-hero')\n"
    "    started = time.time()\n"
    "    placement_set_enabled(placement=placement, enabled=not placement.enabled)\n"
    "    print(started, flush=True)\n"
)


def pin(pid: int, core: int) -> None:
    if shutil.which("taskset"):
        subprocess.run(["taskset", "-apc", str(core), str(pid)], check=True, capture_output=True)


def load(url: str, rate: int, seconds: int) -> dict[str, float]:
    command = [
        "node",
        str(ROOT / "benchmarks" / "edge_load.mjs"),
        url,
        str(rate),
        str(seconds),
        BODY,
    ]
    if shutil.which("taskset"):
        command = ["taskset", "-c", "1", *command]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return dict(json.loads(out))


@contextlib.contextmanager
def trivial_worker(tmp: Path) -> Iterator[str]:
    """A workerd serving a constant JSON answer on core 0; its base URL."""
    folder = tmp / "trivial"
    folder.mkdir()
    (folder / "worker.js").write_text(TRIVIAL_WORKER)
    (folder / "config.capnp").write_text(TRIVIAL_CONFIG)
    port = free_port()
    command = [str(WORKERD), "serve", "config.capnp", "--socket-addr", f"http=127.0.0.1:{port}"]
    if shutil.which("taskset"):
        command = ["taskset", "-c", "0", *command]
    process = subprocess.Popen(
        command, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: httpx.post(base, timeout=1).status_code == 200, "trivial worker")
        yield base
    finally:
        process.terminate()
        process.wait(10)


def throughput(origin: Origin, worker: Worker, args: argparse.Namespace, tmp: Path) -> float:
    script = tmp / "post.lua"
    script.write_text(WRK_SCRIPT.format(body=BODY))
    runs: dict[str, list[tuple[float, float]]] = {"origin": [], "edge": [], "trivial": []}
    with trivial_worker(tmp) as trivial:
        bases = (("origin", origin.base), ("edge", worker.base), ("trivial", trivial))
        for _, base in bases:
            wrk(f"{base}/api/v1/decide", 2, args.connections, script)  # warm-up
        for _ in range(args.rounds):
            for name, base in bases:
                runs[name].append(
                    wrk(f"{base}/api/v1/decide", args.seconds, args.connections, script)
                )
    print(f"1. throughput, wrk -c{args.connections}, {args.rounds}x{args.seconds}s, pinned cores")
    mean = {name: statistics.mean(r for r, _ in results) for name, results in runs.items()}
    for name, results in runs.items():
        p99 = statistics.mean(p for _, p in results)
        print(f"   {name:>6}: {mean[name]:8.0f} req/s   p99 {p99:6.2f} ms (at saturation)")
    print(f"   edge / origin throughput: {mean['edge'] / mean['origin']:.1f}x (target >= 20)")
    print(f"   edge / trivial workerd worker: {mean['edge'] / mean['trivial']:.2f}")
    return mean["edge"]


def half_peak(worker: Worker, peak: float, seconds: int) -> None:
    rate = int(peak / 2)
    result = load(f"{worker.base}/api/v1/decide", rate, seconds)
    print(f"2. edge at half its peak ({rate} req/s for {seconds}s, open loop):")
    print(f"   achieved {result['achieved']:.0f} req/s, p50 {result['p50']:.2f} ms, "
          f"p99 {result['p99']:.2f} ms (target <= 2), max {result['max']:.1f} ms, "
          f"errors {result['errors']:.0f}")  # fmt: skip


@contextlib.contextmanager
def edges(origin: Origin, count: int, tmp: Path, **bindings: str) -> Iterator[list[Worker]]:
    with contextlib.ExitStack() as stack:
        yield [
            stack.enter_context(
                live_worker(origin.base, origin.edge_key, tmp / f"edge-{i}.log", cpu=0, **bindings)
            )
            for i in range(count)
        ]


def follow(origin: Origin, workers: list[Worker], publishes: int, pause: float) -> list[float]:
    """Publish `publishes` times; per publish and edge, seconds until the edge had it."""
    seen: dict[tuple[int, int], float] = {}
    stop = threading.Event()

    def watch(index: int, worker: Worker) -> None:
        with httpx.Client(timeout=2) as client:
            while not stop.is_set():
                revision = client.get(f"{worker.base}/edge/readyz").json()["revision"]
                seen.setdefault((index, revision), time.time())
                time.sleep(0.002)

    first = workers[0].readyz()["revision"]
    threads = [
        threading.Thread(target=watch, args=(i, w), daemon=True) for i, w in enumerate(workers)
    ]
    for thread in threads:
        thread.start()
    code = TOGGLE_HERO.format(count=publishes, pause=pause)
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT, env=origin.env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    # The shell prints its own lines too: the publish times are the lines of epoch seconds.
    started = [float(line) for line in out.splitlines() if re.fullmatch(r"\d{10}\.\d+", line)]
    deadline = time.time() + 30
    while time.time() < deadline and len([k for k in seen if k[1] > first]) < publishes * len(
        workers
    ):
        time.sleep(0.05)
    stop.set()
    delays = []
    for number, at in enumerate(started, start=first + 1):
        for index in range(len(workers)):
            # An edge that skipped straight to a later revision had this one by then.
            later = [t for (i, r), t in seen.items() if i == index and r >= number]
            delays.append(min(later) - at if later else float("inf"))
    return delays


def report_follow(title: str, delays: list[float]) -> None:
    ordered = sorted(delays)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    print(f"   {title}: n={len(ordered)}, p50 {statistics.median(ordered) * 1000:.0f} ms, "
          f"p99 {p99 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms")  # fmt: skip


def origin_down(origin: Origin, worker: Worker, seconds: int) -> None:
    result: dict[str, float] = {}
    loader = threading.Thread(
        target=lambda: result.update(load(f"{worker.base}/api/v1/decide", 1000, seconds))
    )
    loader.start()
    time.sleep(seconds / 2)
    origin.server.process.kill()
    loader.join()
    print(f"4. origin killed halfway through {seconds}s at 1,000 req/s on the edge: "
          f"{result['ok']:.0f} answered 200, {result['errors']:.0f} errors (target 0), "
          f"p99 {result['p99']:.2f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--edges", type=int, default=3)
    parser.add_argument("--publishes", type=int, default=20)
    parser.add_argument("--poll", type=float, default=2.0)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    print(f"load average before: {Path('/proc/loadavg').read_text().split()[:3]}")
    tmp = Path(tempfile.mkdtemp(prefix="tactful-bench-edge-"))
    redis = RedisServer()
    redis.start()
    try:
        with live_origin(tmp, REDIS_URL=redis.url, DJANGO_DEBUG="false",
                         DJANGO_SECURE_SSL_REDIRECT="false") as origin:  # fmt: skip
            pin(origin.server.process.pid, 0)
            with live_worker(origin.base, origin.edge_key, tmp / "edge.log", cpu=0) as worker:
                peak = throughput(origin, worker, args, tmp)
                half_peak(worker, peak, args.seconds)
            print(f"3. publish -> every edge on the new revision ({args.edges} edges, "
                  f"{args.publishes} publishes)")  # fmt: skip
            with edges(origin, args.edges, tmp, POLL_SECONDS="3600") as workers:
                time.sleep(1)
                report_follow("push (SSE)", follow(origin, workers, args.publishes, 0.5))
            with edges(
                origin, args.edges, tmp, PUSH="false", POLL_SECONDS=str(args.poll)
            ) as workers:
                delays = follow(origin, workers, max(5, args.publishes // 4), args.poll)
                report_follow(f"push lost, polling every {args.poll:g}s", delays)
            with live_worker(origin.base, origin.edge_key, tmp / "down.log", cpu=0) as worker:
                origin_down(origin, worker, args.seconds)
    finally:
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"load average after: {Path('/proc/loadavg').read_text().split()[:3]}")


if __name__ == "__main__":
    main()
