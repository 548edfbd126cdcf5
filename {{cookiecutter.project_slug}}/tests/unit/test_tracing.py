"""Tracing is off, its SDK never imported, unless an OTLP endpoint is set."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from {{ cookiecutter.package_name }}.tracing import tracing_configured

from ..helpers import PROJECT_DIR
from ..helpers.processes import service_environment
from ..helpers.settings import SettingsFactory

# Builds the app as the server does, without an endpoint and then with one, printing
# after each the modules imported of the tracing SDK, the exporters and the
# instrumentations. (FastAPI imports OpenTelemetry's API, and redis-py its metrics SDK
# when installed: idle while no provider is set up.)
BUILD_APPS = """
import os
import sys
from {{ cookiecutter.package_name }}.main import create_app
tracing = ("opentelemetry.sdk.trace", "opentelemetry.exporter", "opentelemetry.instrumentation")
create_app()
print(sorted(name for name in sys.modules if name.startswith(tracing)))
os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4318"
create_app()
print(sorted(name for name in sys.modules if name.startswith(tracing)))
"""


@pytest.mark.processes
def test_the_tracing_sdk_is_imported_only_with_an_endpoint(
    make_settings: SettingsFactory,
) -> None:
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("OTEL_")}
    built = subprocess.run(  # noqa: S603  # this interpreter, a fixed script
        [sys.executable, "-c", BUILD_APPS],
        cwd=PROJECT_DIR,
        env={
            **inherited,
            **service_environment(make_settings()),
            "PYTHONPATH": os.pathsep.join([str(PROJECT_DIR / "src"), *sys.path]),
        },
        capture_output=True,
        text=True,
        check=True,
    )
    without_endpoint, with_endpoint = built.stdout.splitlines()

    assert without_endpoint == "[]"
    assert "'opentelemetry.sdk.trace'" in with_endpoint


@pytest.mark.parametrize(
    ("environment", "configured"),
    [
        ({}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": " "}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"},
            False,
        ),
    ],
)
def test_an_otlp_endpoint_turns_tracing_on(environment: dict[str, str], configured: bool) -> None:
    assert tracing_configured(environment) is configured
