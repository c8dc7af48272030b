"""One instance per process of each pluggable backend named by a setting, like SESSION_ENGINE."""

import threading
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

_instances: dict[str, Any] = {}
_lock = threading.Lock()


def backend_instance(setting: str) -> Any:
    """The process's instance of the class `settings.TACTFUL[setting]` names (made on first use)."""
    path = str(settings.TACTFUL[setting])
    instance = _instances.get(path)
    if instance is None:
        with _lock:
            instance = _instances.get(path)
            if instance is None:
                instance = _instances[path] = import_string(path)()
    return instance
