"""Access and refresh tokens: what the jwt and hybrid strategies share."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from httpx import AsyncClient, Response

from {{ cookiecutter.package_name }}.sessions.tokens import ACCESS, REFRESH, TokenCodec
from {{ cookiecutter.package_name }}.settings import Settings

from .conftest import SettingsFactory
from .support import EMAIL, PASSWORD, register, running_client, set_cookies

LOGIN = {"email": EMAIL, "password": PASSWORD}


async def login(client: AsyncClient) -> dict[str, Any]:
    response = await client.post("/api/v1/auth/login", json=LOGIN)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def refresh(client: AsyncClient, token: str) -> Response:
    return await client.post("/api/v1/auth/refresh", json={"refresh_token": token})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def unverified(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


async def test_login_answers_a_token_pair_with_the_configured_lifetimes(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(access_token_ttl=600, refresh_token_ttl=86400)
    async with running_client(settings) as client:
        await register(client)
        response = await client.post("/api/v1/auth/login", json=LOGIN)

    body = response.json()
    access, refresh = unverified(body["access_token"]), unverified(body["refresh_token"])
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 600
    assert access["exp"] - access["iat"] == 600
    assert refresh["exp"] - refresh["iat"] == 86400
    assert (access["type"], refresh["type"]) == (ACCESS, REFRESH)
    assert access["sid"] == refresh["sid"]
    assert access["jti"] != refresh["jti"]
    assert access["iss"] == access["aud"] == settings.service_name
    assert access["sub"].isdigit()
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"


async def test_refresh_cookie_is_http_only_strict_and_scoped_to_refresh(
    client: AsyncClient,
) -> None:
    await register(client)
    response = await client.post("/api/v1/auth/login", json=LOGIN)

    cookie = set_cookies(response)["refresh_token"]
    assert cookie.value == response.json()["refresh_token"]
    assert cookie["httponly"] is True
    assert cookie["secure"] is True
    assert cookie["samesite"] == "strict"
    assert cookie["path"] == "/api/v1/auth/refresh"
    assert int(cookie["max-age"]) == 7 * 24 * 3600


async def test_refresh_rotates_and_reuse_ends_the_session(client: AsyncClient) -> None:
    await register(client)
    first = await login(client)

    rotated = await refresh(client, first["refresh_token"])
    second = rotated.json()
    reused = await refresh(client, first["refresh_token"])
    after_reuse = await refresh(client, second["refresh_token"])

    assert rotated.status_code == 200
    assert second["refresh_token"] != first["refresh_token"]
    assert unverified(second["access_token"])["sid"] == unverified(first["access_token"])["sid"]
    assert reused.status_code == 401
    assert reused.headers["content-type"] == "application/problem+json"
    assert after_reuse.status_code == 401  # the thief's token died with the session


async def test_refresh_from_the_cookie(client: AsyncClient) -> None:
    await register(client)
    await login(client)  # the client's cookie jar keeps the refresh cookie

    first = await client.post("/api/v1/auth/refresh")
    second = await client.post("/api/v1/auth/refresh")

    assert first.status_code == 200, first.text
    assert second.status_code == 200, second.text
    assert second.json()["refresh_token"] != first.json()["refresh_token"]


async def test_refresh_without_a_token_is_401(client: AsyncClient) -> None:
    response = await client.post("/api/v1/auth/refresh")

    assert response.status_code == 401


async def test_tokens_of_the_wrong_type_are_refused(client: AsyncClient) -> None:
    await register(client)
    pair = await login(client)

    refresh_as_access = await client.get("/api/v1/users/me", headers=bearer(pair["refresh_token"]))
    access_as_refresh = await refresh(client, pair["access_token"])

    assert refresh_as_access.status_code == 401
    assert access_as_refresh.status_code == 401


def segment(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def tampered(token: str) -> str:
    """The token with another user's id, and its original signature."""
    header, _, signature = token.split(".")
    return ".".join((header, segment(unverified(token) | {"sub": "999999"}), signature))


def hs256_by_hand(claims: dict[str, Any], key: bytes) -> str:
    """HMAC-signed with any key: PyJWT itself refuses to sign with a public key."""
    signed = f"{segment({'alg': 'HS256', 'typ': 'JWT'})}.{segment(claims)}"
    mac = hmac.new(key, signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def encoded_by(settings: Settings, **claims: Any) -> Callable[[dict[str, Any]], str]:
    """A token for the logged-in session, signed by a service with these settings."""

    def make(pair: dict[str, Any]) -> str:
        real = unverified(pair["access_token"])
        codec = TokenCodec(settings)
        return codec.encode(
            user_id=int(real["sub"]),
            session_id=real["sid"],
            kind=claims.get("kind", ACCESS),
            ttl=claims.get("ttl", 60),
        )

    return make


def unsigned(pair: dict[str, Any]) -> str:
    claims = unverified(pair["access_token"])
    return f"{segment({'alg': 'none', 'typ': 'JWT'})}.{segment(claims)}."


@pytest.mark.parametrize(
    "forge",
    [
        "expired",
        "tampered",
        "wrong-key",
        "alg-none",
        "wrong-audience",
        "wrong-issuer",
        "garbage",
    ],
)
async def test_bad_access_tokens_are_401(make_settings: SettingsFactory, forge: str) -> None:
    settings = make_settings()
    makers: dict[str, Callable[[dict[str, Any]], str]] = {
        "expired": encoded_by(settings, ttl=-60),  # past the few seconds of leeway
        "tampered": lambda pair: tampered(pair["access_token"]),
        "wrong-key": encoded_by(make_settings(secret_key="another secret key, 32 chars long")),
        "alg-none": unsigned,
        "wrong-audience": encoded_by(make_settings(jwt_audience="another-service")),
        "wrong-issuer": encoded_by(make_settings(jwt_issuer="someone-else")),
        "garbage": lambda pair: "not.a.token",
    }
    async with running_client(settings) as client:
        await register(client)
        pair = await login(client)
        valid = await client.get("/api/v1/users/me", headers=bearer(pair["access_token"]))
        forged = await client.get("/api/v1/users/me", headers=bearer(makers[forge](pair)))

    assert valid.status_code == 200
    assert forged.status_code == 401
    assert forged.headers["content-type"] == "application/problem+json"
    assert forged.headers["WWW-Authenticate"] == "Bearer"
    assert forged.json()["type"] == "urn:problem-type:invalid-token"


def es256_keys() -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


async def test_asymmetric_keys_sign_and_an_hmac_forgery_is_refused(
    make_settings: SettingsFactory,
) -> None:
    private, public = es256_keys()
    settings = make_settings(jwt_algorithm="ES256", jwt_private_key=private, jwt_public_key=public)
    async with running_client(settings) as client:
        await register(client)
        pair = await login(client)
        valid = await client.get("/api/v1/users/me", headers=bearer(pair["access_token"]))
        # The classic confusion: HMAC-signed with the public key, which is no secret.
        claims = unverified(pair["access_token"])
        confused = hs256_by_hand(claims, public.encode())
        forged = await client.get("/api/v1/users/me", headers=bearer(confused))

    assert jwt.get_unverified_header(pair["access_token"])["alg"] == "ES256"
    assert valid.status_code == 200
    assert forged.status_code == 401


def test_asymmetric_algorithm_without_keys_is_refused(make_settings: SettingsFactory) -> None:
    with pytest.raises(ValueError, match="JWT_PRIVATE_KEY and JWT_PUBLIC_KEY"):
        TokenCodec(make_settings(jwt_algorithm="RS256"))


async def test_logout_ends_the_refresh_token(client: AsyncClient) -> None:
    await register(client)
    pair = await login(client)

    logout = await client.post("/api/v1/auth/logout", headers=bearer(pair["access_token"]))
    refreshed = await refresh(client, pair["refresh_token"])

    assert logout.status_code == 204
    assert refreshed.status_code == 401


async def test_logout_everywhere_ends_every_refresh_token(client: AsyncClient) -> None:
    await register(client)
    sessions = [await login(client) for _ in range(3)]

    logout = await client.post(
        "/api/v1/auth/logout-all", headers=bearer(sessions[0]["access_token"])
    )
    refreshes = [await refresh(client, pair["refresh_token"]) for pair in sessions]

    assert logout.status_code == 204
    assert [response.status_code for response in refreshes] == [401, 401, 401]
