"""Registration, login and the caller's account: the same for every session strategy."""

from __future__ import annotations

import json

import pytest
from httpx import AsyncClient

from ..helpers.clients import EMAIL, PASSWORD

PROBLEM = "application/problem+json"


@pytest.mark.parametrize(
    ("email", "password"),
    [
        (EMAIL, "eleven chrs"),  # shorter than 12
        (EMAIL, "Password1234"),  # on the common list, whatever the case
        (EMAIL, "x" * 129),
        ("not-an-address", PASSWORD),
    ],
    ids=["short", "common", "too-long", "bad-email"],
)
async def test_register_refuses_weak_passwords_and_bad_addresses(
    client: AsyncClient, email: str, password: str
) -> None:
    response = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": password}
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert password not in response.text


async def test_account_without_credentials_is_401_problem(client: AsyncClient) -> None:
    response = await client.get("/api/v1/users/me")

    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == 401


@pytest.mark.parametrize(
    "body",
    [
        {"email": "ada\u0000@example.com", "password": PASSWORD},
        {"email": "ada\ud800@example.com", "password": PASSWORD},
        {"email": EMAIL, "password": "a long passphrase \udfff"},
        {"email": EMAIL, "password": "a long passphrase \u0000"},
    ],
    ids=["nul-email", "surrogate-email", "surrogate-password", "nul-password"],
)
async def test_unstorable_login_and_registration_input_is_422(
    client: AsyncClient, body: dict[str, str]
) -> None:
    # As a client sends them: JSON escapes (\u0000, \ud800), never raw bytes.
    content, headers = json.dumps(body), {"content-type": "application/json"}

    login = await client.post("/api/v1/auth/login", content=content, headers=headers)
    registration = await client.post("/api/v1/auth/register", content=content, headers=headers)

    for answer in (login, registration):
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == PROBLEM
