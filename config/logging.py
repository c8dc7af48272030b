"""Structured logs: one JSON object a line with the request id, no personal data, no floods.

- `RequestIdFilter` adds the current request's id (set by `config.middleware`) to each record.
- `RepeatFilter` lets one record per logger and message through every few seconds and says how
  many it held back, so an outage that fails every request does not flood the output.
- `ConnectionLineFilter` drops the line uvicorn writes about each connection, which holds the
  client's address and the query string (its access log is off altogether).
- `JsonFormatter` writes a fixed set of fields; it never serialises a request, a header or a
  cookie, and it masks e-mail and IP addresses found in messages and tracebacks.
- `MetricsHandler` counts warnings and errors, and each fallback (degraded path) by component.
"""

import contextvars
import logging
import re
import threading
import time
import traceback
from datetime import UTC, datetime
from typing import Any

import orjson
from prometheus_client import Counter

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

LOG_RECORDS = Counter(
    "tactful_log_records", "Log records at WARNING and above, by level.", ["level"]
)
DEGRADED = Counter(
    "tactful_degraded",
    "Fallbacks taken (a dependency failed and a degraded answer was served), by component.",
    ["component"],
)

# Each fallback in Tactful logs a warning on its own module's logger: the logger names the
# component that degraded (the first matching prefix wins), unless the record names it itself
# with `extra={"component": ...}`.
DEGRADED_COMPONENTS: tuple[tuple[str, str], ...] = (
    ("personalization.signals", "signals"),
    ("personalization.snapshot", "snapshot"),
    ("personalization.lifespan", "broadcast"),
    ("config.broadcast", "broadcast"),
    ("config.throttling", "rate_limit"),
    ("personalization.decision_log", "decision_log"),
    ("personalization.stats", "decision_stats"),
    ("personalization.engine", "engine"),
    ("consent.selectors", "consent"),
    ("consent.versions", "consent"),
    ("consent.services.requests", "consent"),
    ("consent.services.announce", "announce"),
)

# Extra attributes a record may carry into the output; anything else (a request object, a
# socket scope) is never written.
EXTRA_FIELDS = ("status", "status_code", "method", "route", "duration_ms", "component", "repeated")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
_IPV6 = re.compile(r"\b(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}\b")


def redact(text: str) -> str:
    """Mask e-mail and IP addresses: they identify people and have no place in logs."""
    if "@" in text:
        text = _EMAIL.sub("[email]", text)
    if "." in text:
        text = _IPV4.sub("[ip]", text)
    if ":" in text:
        text = _IPV6.sub("[ip]", text)
    return text


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class ConnectionLineFilter(logging.Filter):
    """Drop uvicorn's per-connection lines (`'%s - "WebSocket %s" [accepted]'` and the like):
    their arguments are the client's address and the path with its query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith('%s - "')


class RepeatFilter(logging.Filter):
    """At most one record per (logger, level, message template) every `seconds`."""

    def __init__(self, seconds: float = 10.0) -> None:
        super().__init__()
        self.seconds = seconds
        self.clock = time.monotonic
        self._seen: dict[tuple[str, int, str], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.seconds <= 0 or record.levelno < logging.WARNING:
            return True
        key = (record.name, record.levelno, str(record.msg))
        now = self.clock()
        with self._lock:
            last, held = self._seen.get(key, (float("-inf"), 0))
            if now - last < self.seconds:
                self._seen[key] = (last, held + 1)
                return False
            self._seen[key] = (now, 0)
            if len(self._seen) > 1000:
                self._seen = {k: v for k, v in self._seen.items() if now - v[0] < self.seconds}
        if held:
            record.repeated = held
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        for name in EXTRA_FIELDS:
            value = getattr(record, name, None)
            if isinstance(value, str | int | float):
                entry[name] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["exc_type"] = record.exc_info[0].__name__
            entry["exc"] = redact("".join(traceback.format_exception(*record.exc_info)))
        return orjson.dumps(entry).decode()


class TextFormatter(logging.Formatter):
    """For people at a terminal (`TACTFUL_LOG_FORMAT=text`), redacted like the JSON."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = None
        return redact(super().format(record))


def degraded_component(logger_name: str) -> str | None:
    for prefix, component in DEGRADED_COMPONENTS:
        if logger_name == prefix or logger_name.startswith(prefix + "."):
            return component
    return None


class MetricsHandler(logging.Handler):
    """Counts records at WARNING and above; those of a fallback's logger as degraded too."""

    def __init__(self, level: int = logging.WARNING) -> None:
        super().__init__(level)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            LOG_RECORDS.labels(level=record.levelname.lower()).inc()
            component = getattr(record, "component", None) or degraded_component(record.name)
            if component is not None:
                DEGRADED.labels(component=component).inc()
        except Exception:
            self.handleError(record)
