"""Request bodies are limited while they are read, before anything parses them."""

from __future__ import annotations

from ..helpers.clients import running_user_client
from ..helpers.settings import SettingsFactory


async def test_a_body_within_the_limit_is_served(make_settings: SettingsFactory) -> None:
    async with running_user_client(make_settings(max_request_bytes=200)) as client:
        created = await client.post("/api/v1/items", json={"name": "Lamp", "price": "9.99"})

    assert created.status_code == 201, created.text
