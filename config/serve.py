"""Start Tactful's ASGI server: uvicorn with what every deployment of Tactful needs.

`python -m config.serve [uvicorn options]` (`make run` does): the application with its lifespan
(the process listener), no access log (it would write each client's address and query string),
the websocket frame limit `TACTFUL_WS_MAX_MESSAGE_BYTES` enforced by the server before a frame
is buffered (uvicorn's default takes 16 MiB frames whole), and per-message deflate off (its
buffers cost more memory per socket than they save). Other uvicorn options follow as usual,
e.g. `--host 0.0.0.0 --port 8000 --workers 4`.
"""

import os
import sys

import uvicorn


def uvicorn_arguments(extra: list[str]) -> list[str]:
    """uvicorn's command line for Tactful, `extra` options last (they override)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    from django.conf import settings

    limit = int(settings.TACTFUL["WS_MAX_MESSAGE_BYTES"])
    return [
        "config.asgi:application",
        "--lifespan=on",
        "--no-access-log",
        f"--ws-max-size={limit}",
        "--ws-per-message-deflate=false",
        *extra,
    ]


if __name__ == "__main__":
    uvicorn.main.main(args=uvicorn_arguments(sys.argv[1:]), prog_name="python -m config.serve")
