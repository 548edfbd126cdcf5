"""Run the service: python -m {{ cookiecutter.package_name }}."""

from __future__ import annotations

import contextlib
import os
import sys

import uvicorn

from .main import create_app
from .server import DrainingServer
from .settings import get_settings

# Seconds requests in flight get to finish, after the drain, before the pool is closed.
GRACEFUL_SHUTDOWN_SECONDS = 20
# The exit status uvicorn.run() gives when the application fails to start.
STARTUP_FAILURE = 3


def main() -> None:
    settings = get_settings()
    app = create_app(settings)
    # X-Forwarded-For/-Proto are believed only from the proxies listed here (IPs or
    # networks, comma-separated); unset, from no one, and the peer is the client.
    forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "").strip()
    config = uvicorn.Config(
        app,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8000")),
        proxy_headers=bool(forwarded_allow_ips),
        forwarded_allow_ips=forwarded_allow_ips or None,
        server_header=False,
        timeout_keep_alive=settings.keep_alive_seconds,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        log_config=None,  # create_app configures JSON logging
    )
    server = DrainingServer(config, app, drain_seconds=settings.shutdown_drain_seconds)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: uvicorn raises it again once stopped
        server.run()
    if not server.started:  # the lifespan failed: the log says why
        sys.exit(STARTUP_FAILURE)


if __name__ == "__main__":
    main()
