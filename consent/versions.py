"""Per-subject consent versions: how every reader tells a current consent view from a stale one.

Every change of a subject (consent, preferences, erasure) bumps `Subject.consent_version` in its
transaction. After commit the new version is published in the shared cache, where it only ever
rises, and remembered by this process; broadcasts and the sockets' periodic check teach it to the
other processes. A cached consent record is trusted only if it is at least as new as every
version the reader knows of: its token's, the shared one and its process's. A writer of data
derived from consent (signals, the decision history) checks after writing that no newer version
appeared meanwhile, and else checks consent again and deletes what it wrote; a withdrawal or an
erasure publishes its version before it deletes. Whatever the interleaving, nothing written in
flight outlives the change that forbade it.
"""

import logging
import threading
from collections import OrderedDict

from django.core.cache import cache

from config.cache import cache_set_max

logger = logging.getLogger(__name__)

_KEY = "consent:v3:version:{}"
# A published version outlives every copy that could be compared with it: cached records
# (minutes), sockets' views (checked every few seconds) and derived data (24 hours at most).
PUBLISHED_SECONDS = 24 * 3600
# Versions this process learnt, newest first out: bounded, the shared cache knows the rest.
_KNOWN_SIZE = 100_000


class _Known:
    def __init__(self) -> None:
        self.versions: OrderedDict[str, int] = OrderedDict()
        self.lock = threading.Lock()


_known = _Known()


def version_key(subject_id: str) -> str:
    return _KEY.format(subject_id)


def consent_version_learn(*, subject_id: str, version: int) -> None:
    """Remember that `subject_id` is at least at `version` (this process only)."""
    with _known.lock:
        if version > _known.versions.get(subject_id, -1):
            _known.versions[subject_id] = version
            _known.versions.move_to_end(subject_id)
            if len(_known.versions) > _KNOWN_SIZE:
                _known.versions.popitem(last=False)


def consent_version_known(subject_id: str) -> int:
    """The newest version this process knows of for the subject (0: none)."""
    return _known.versions.get(subject_id, 0)


def consent_version_publish(*, subject_id: str, version: int) -> None:
    """Tell this process and, through the shared cache, every other one. Raises when the cache
    cannot be written (the caller retries: see `consent.services.announce`)."""
    consent_version_learn(subject_id=subject_id, version=version)
    cache_set_max(version_key(subject_id), version, timeout=PUBLISHED_SECONDS)


def consent_version_newer(*, subject_id: str, than: int) -> bool | None:
    """Whether any process published a version of the subject newer than `than`; None when the
    shared cache cannot be read (the caller then asks the database)."""
    if consent_version_known(subject_id) > than:
        return True
    try:
        value = cache.get(version_key(subject_id))
    except Exception:
        logger.warning("Consent versions unavailable; checking the database.", exc_info=True)
        return None
    return value is not None and int(value) > than


def consent_versions_forget() -> None:
    """Forget what this process learnt (tests)."""
    with _known.lock:
        _known.versions.clear()
