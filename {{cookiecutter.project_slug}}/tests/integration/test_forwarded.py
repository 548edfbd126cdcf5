"""X-Forwarded-For counts only from the proxies FORWARDED_ALLOW_IPS names (none by default)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from ..helpers.clients import PASSWORD
from ..helpers.processes import ServiceProcess, service_main
from ..helpers.settings import SettingsFactory

pytestmark = pytest.mark.processes

SPOOFED = ("198.51.100.1", "198.51.100.2", "198.51.100.3")


def register_from(service: ServiceProcess, forwarded_for: str, number: int) -> httpx.Response:
    return httpx.post(
        f"{service.url}/api/v1/auth/register",
        json={"email": f"user{number}@example.com", "password": PASSWORD},
        headers={"X-Forwarded-For": forwarded_for},
        timeout=30,
    )


def test_a_spoofed_forwarded_for_from_a_local_peer_changes_nothing(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    settings = make_settings(registration_max_per_ip=2)
    with service_main(settings, tmp_path / "service.log") as service:
        answers = [register_from(service, ip, number) for number, ip in enumerate(SPOOFED)]
    logged = {line["client_ip"] for line in service.access_lines()}  # once it has exited

    # Every registration counted against the real peer, whatever the header said.
    assert [answer.status_code for answer in answers] == [201, 201, 429]
    assert logged == {"127.0.0.1"}


def test_a_proxy_not_listed_is_not_believed(make_settings: SettingsFactory, tmp_path: Path) -> None:
    settings = make_settings(registration_max_per_ip=2)
    with service_main(
        settings, tmp_path / "service.log", FORWARDED_ALLOW_IPS="192.0.2.10"
    ) as service:
        answers = [register_from(service, ip, number) for number, ip in enumerate(SPOOFED)]

    assert [answer.status_code for answer in answers] == [201, 201, 429]


def test_forwarded_for_from_a_listed_proxy_is_the_client(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    settings = make_settings(registration_max_per_ip=2)
    with service_main(
        settings, tmp_path / "service.log", FORWARDED_ALLOW_IPS="127.0.0.1"
    ) as service:
        answers = [register_from(service, ip, number) for number, ip in enumerate(SPOOFED)]
    logged = {line["client_ip"] for line in service.access_lines()}  # once it has exited

    assert [answer.status_code for answer in answers] == [201, 201, 201]
    assert logged == set(SPOOFED)
