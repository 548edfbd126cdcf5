"""The OpenAPI document tells the error contract: what each route answers, and as what."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from ..helpers.clients import running_client
from ..helpers.openapi import ITEM, PROBLEM, assert_documented, openapi
from ..helpers.settings import SettingsFactory

PROBLEM_CONTENT = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, path_item in document["paths"].items()
        for method, operation in path_item.items()
    ]


async def test_problem_schema_is_a_component(client: AsyncClient) -> None:
    problem = (await openapi(client))["components"]["schemas"]["Problem"]

    assert set(problem["required"]) == {
        "type",
        "title",
        "status",
        "detail",
        "instance",
        "request_id",
    }
    assert problem["additionalProperties"] is True  # errors on a 422, checks on readiness


async def test_every_operation_documents_its_errors_as_problems(client: AsyncClient) -> None:
    document = await openapi(client)

    assert "HTTPValidationError" not in document["components"]["schemas"]
    for method, path, operation in operations(document):
        responses = operation["responses"]
        assert "500" in responses, (method, path)
        if path not in {"/health/live", "/metrics"}:  # need nothing that could be down
            assert "503" in responses, (method, path)
        # What FastAPI validates: not the headers the tus routes read (400, as tus says).
        validated = [p for p in operation.get("parameters", []) if p["in"] != "header"]
        if validated or "application/json" in operation.get("requestBody", {}).get("content", {}):
            assert "422" in responses, (method, path)
        if "requestBody" in operation:
            assert "413" in responses, (method, path)
        for status, response in responses.items():
            if int(status) >= 400:
                assert response["content"] == PROBLEM_CONTENT, (method, path, status)


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("GET", "/health/ready", {"503"}),
        ("GET", "/api/v1/items", {"304", "401"}),
        ("POST", "/api/v1/items", {"401", "409", "413"}),
        ("GET", ITEM, {"304", "401", "404"}),
        ("PUT", ITEM, {"401", "404", "409", "413"}),
        ("PATCH", ITEM, {"401", "404", "409", "413"}),
        ("DELETE", ITEM, {"401", "404"}),
        ("GET", "/api/v1/accounts/{account_id}", {"401", "404"}),
        ("POST", "/api/v1/accounts/transfer", {"401", "404", "409"}),
        ("POST", "/api/v1/auth/register", {"409", "429"}),
        ("POST", "/api/v1/auth/login", {"401", "429"}),
        ("POST", "/api/v1/auth/logout", {"401"}),
        ("GET", "/api/v1/users/me", {"401"}),
        ("POST", "/api/v1/users/me/password", {"401", "429"}),
        ("GET", "/api/v1/uploads/{upload_id}", {"401", "404"}),
    ],
)
async def test_routes_document_their_own_statuses(
    client: AsyncClient, method: str, path: str, statuses: set[str]
) -> None:
    responses = (await openapi(client))["paths"][path][method.lower()]["responses"]

    assert statuses <= set(responses)


async def test_metrics_are_documented_as_they_answer(
    client: AsyncClient, make_settings: SettingsFactory
) -> None:
    document = await openapi(client)
    exposed = await client.get("/metrics")
    async with running_client(make_settings(metrics_token="m" * 48)) as guarded:
        refused = await guarded.get("/metrics")

    assert exposed.status_code == 200
    assert refused.status_code == 401
    for response in (exposed, refused):
        assert_documented(document, "GET", "/metrics", response)
