"""Run the service: python -m {{ cookiecutter.package_name }}."""

from __future__ import annotations

import os

import uvicorn

# Seconds requests in flight get to finish on SIGTERM before the pool is closed.
GRACEFUL_SHUTDOWN_SECONDS = 20


def main() -> None:
    # X-Forwarded-For/-Proto are believed only from the proxies listed here (IPs or
    # networks, comma-separated); unset, from no one, and the peer is the client.
    forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "").strip()
    uvicorn.run(
        "{{ cookiecutter.package_name }}.main:create_app",
        factory=True,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8000")),
        proxy_headers=bool(forwarded_allow_ips),
        forwarded_allow_ips=forwarded_allow_ips or None,
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        log_config=None,  # create_app configures JSON logging
    )


if __name__ == "__main__":
    main()
