"""Browser-test fixtures: a uvicorn server per test, and Debian's Chromium driven by Playwright."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SDK_ENTRY = ROOT / "personalization" / "static" / "tactful" / "index.js"
ARTIFACTS = ROOT / "artifacts" / "browser"
MARKETER = ("marketer", "a-demo-password-for-tests")
# Two members of the Marketers group (not superusers): one makes changes, the other approves.
AUTHOR = ("maria", "a-password-for-maria")
REVIEWER = ("rui", "a-password-for-rui")
AXE_SOURCE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SERVER_START_SECONDS = 30.0
# Waits on the page (Playwright's expect): long enough for a busy CI machine, never a sleep.
UI_TIMEOUT_MS = 10_000


def unavailable(reason: str) -> NoReturn:
    """Skip outside CI; in CI (`CI` set) the browser tests must run, so fail instead."""
    if os.environ.get("CI", "").lower() not in {"", "0", "false", "no"}:
        pytest.fail(f"{reason} CI must run the browser tests (.ci/run installs Chromium).")
    pytest.skip(f"{reason} Browser tests are skipped here; CI runs them.", allow_module_level=True)


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        unavailable(f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium).")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable("The playwright package is missing (pip install -e '.[dev]').")
    if not SDK_ENTRY.exists():
        pytest.fail(
            f"The SDK is not built ({SDK_ENTRY.relative_to(ROOT)} is missing): "
            "run `make sdk` (npm ci && npm run build in sdk/)."
        )
    return CHROMIUM


def _server_env(var_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DJANGO_DEBUG": "true",
            "TACTFUL_VAR_DIR": str(var_dir),
            "PYTHONUNBUFFERED": "1",
            **(extra or {}),
        }
    )
    return env


def _manage(var_dir: Path, *args: str, extra_env: dict[str, str] | None = None) -> None:
    env = _server_env(var_dir, extra_env)
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


@pytest.fixture(scope="session")
def seeded_database(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the demo and a marketer, copied by every server."""
    var_dir = tmp_path_factory.mktemp("template-var")
    _manage(var_dir, "migrate", "--no-input", "-v0")
    _manage(var_dir, "seed_demo", "-v0")
    _manage(
        var_dir,
        "createsuperuser",
        "--no-input",
        f"--username={MARKETER[0]}",
        "--email=marketer@example.com",
        extra_env={"DJANGO_SUPERUSER_PASSWORD": MARKETER[1]},
    )
    marketers = (
        "from django.contrib.auth.models import Group, User\n"
        "group = Group.objects.get(name='Marketers')\n"
        f"for name, password in [{AUTHOR!r}, {REVIEWER!r}]:\n"
        "    user = User.objects.create_user(name, password=password, is_staff=True)\n"
        "    user.groups.add(group)\n"
    )
    _manage(var_dir, "shell", "-c", marketers)
    return var_dir


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    """uvicorn serving `config.asgi:application` from its own SQLite file, in a subprocess."""

    var_dir: Path
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen[bytes] | None = None
    # More environment for the server (e.g. TACTFUL_CORS_ALLOWED_ORIGINS).
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.var_dir / "server.log"

    def start(self) -> None:
        with self.log.open("ab") as log:
            command = [sys.executable, "-m", "config.serve"]
            command += ["--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"]
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**_server_env(self.var_dir), **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + SERVER_START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The server exited at start-up:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/", timeout=1) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)  # polling the start-up, not timing a behaviour
        self.stop()
        raise RuntimeError(f"The server did not answer within {SERVER_START_SECONDS} s.")

    def manage(self, *args: str) -> str:
        """Run a management command on this server's database; its output."""
        done = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=_server_env(self.var_dir, self.env),
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return done.stdout

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def server(
    seeded_database: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[LiveServer]:
    """A server on a copy of the seeded database; `@pytest.mark.server_env(NAME="value")` sets
    environment variables of its own."""
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    for source in seeded_database.glob("tactful.sqlite3*"):
        shutil.copy(source, var_dir / source.name)
    marker = request.node.get_closest_marker("server_env")
    live = LiveServer(var_dir=var_dir, env=dict(marker.kwargs) if marker else {})
    live.start()
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture(scope="session")
def browser(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator["Browser"]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Playwright gives every launch a fresh, temporary user-data directory.
        launched = playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS, timeout=30_000
        )
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Visitor:
    """One browser profile (cookies, storage) with its tabs, and what went wrong in them."""

    context: "BrowserContext"
    base_url: str
    errors: list[str] = field(default_factory=list)

    def open(self, path: str = "/") -> "Page":
        page = self.context.new_page()
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.goto(self.base_url + path)
        return page

    def storage(self, page: "Page") -> dict[str, Any]:
        """Everything the site stored on the device: cookies (HttpOnly too), web storage."""
        return {
            "cookies": self.context.cookies(),
            "localStorage": page.evaluate("Object.keys(localStorage)"),
            "sessionStorage": page.evaluate("Object.keys(sessionStorage)"),
            "indexedDB": page.evaluate("indexedDB.databases().then(dbs => dbs.map(d => d.name))"),
        }


@pytest.fixture
def visitors(
    browser: "Browser", server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Callable[[], Visitor]]:
    """Make visitors (fresh profiles); each tab's final state is saved as a screenshot."""
    made: list[Visitor] = []

    def make() -> Visitor:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server.url)
        context.set_default_timeout(UI_TIMEOUT_MS)
        visitor = Visitor(context=context, base_url=server.url)
        made.append(visitor)
        return visitor

    yield make
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = request.node.name
    for old in ARTIFACTS.glob(f"{name}*.png"):
        old.unlink()
    for v, visitor in enumerate(made, start=1):
        for t, page in enumerate(visitor.context.pages, start=1):
            suffix = "" if len(made) == 1 and len(visitor.context.pages) == 1 else f"--{v}-{t}"
            # From the top: the sticky header then sits where a visitor sees it.
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(ARTIFACTS / f"{name}{suffix}.png"), full_page=True)
        visitor.context.close()


@pytest.fixture(scope="session")
def axe_source(chromium: Path) -> str:
    if not AXE_SOURCE.exists():
        pytest.fail(
            f"axe-core is not installed ({AXE_SOURCE.relative_to(ROOT)} is missing): "
            "run `make axe` (npm ci in tests/browser/)."
        )
    return AXE_SOURCE.read_text(encoding="utf-8")


@dataclass
class Staff:
    """A member of staff signed into the admin in their own browser profile."""

    visitor: Visitor
    page: "Page"
    axe_source: str

    def go(self, path: str) -> "Page":
        self.page.goto(self.visitor.base_url + path)
        return self.page

    def accessibility_problems(self) -> list[str]:
        """axe-core's critical and serious violations on the current page, one line each."""
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.add_script_tag(content=self.axe_source)
        results = self.page.evaluate(
            "axe.run(document, {runOnly: {type: 'tag', values: "
            "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
        )
        return [
            f"{v['impact']}: {v['id']} ({v['help']}) at "
            + ", ".join(str(node["target"]) for node in v["nodes"][:5])
            for v in results["violations"]
            if v["impact"] in ("critical", "serious")
        ]


@pytest.fixture
def sign_in(visitors: Callable[[], Visitor], axe_source: str) -> Callable[[tuple[str, str]], Staff]:
    """Sign a member of staff into the admin: `sign_in(AUTHOR)`."""

    def login(credentials: tuple[str, str]) -> Staff:
        visitor = visitors()
        page = visitor.open("/admin/login/")
        page.fill("#id_username", credentials[0])
        page.fill("#id_password", credentials[1])
        page.click("input[type=submit]")
        page.wait_for_url("**/admin/")
        return Staff(visitor=visitor, page=page, axe_source=axe_source)

    return login
