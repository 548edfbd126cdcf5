"""Reading the service's OpenAPI document, and what it says of an answer."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient, Response

PROBLEM = "application/problem+json"
ITEM = "/api/v1/items/{item_id}"


async def openapi(client: AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def assert_documented(document: dict[str, Any], method: str, path: str, response: Response) -> None:
    """The answer's status is documented for the operation, with the content type sent."""
    documented = document["paths"][path][method.lower()]["responses"]
    assert str(response.status_code) in documented, (method, path, response.status_code)
    content_type = response.headers["content-type"].partition(";")[0]
    assert content_type in documented[str(response.status_code)]["content"]
