"""Run the service: python -m {{ cookiecutter.package_name }}."""

from __future__ import annotations

import os

import uvicorn


def main() -> None:
    uvicorn.run(
        "{{ cookiecutter.package_name }}.main:create_app",
        factory=True,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8000")),
        proxy_headers=True,
        log_config=None,  # create_app configures JSON logging
    )


if __name__ == "__main__":
    main()
