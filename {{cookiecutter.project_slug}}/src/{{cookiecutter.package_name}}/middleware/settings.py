"""HTTP settings: request size, and which other origins' pages may call the API."""

from __future__ import annotations

import re
from typing import Annotated, Self

from pydantic import BeforeValidator, Field, model_validator
from pydantic_settings import NoDecode

from ..environment import EnvironmentSettings

MIB = 1024 * 1024
# A web origin as browsers send it: scheme, host and optional port, no path.
WEB_ORIGIN = re.compile(r"https?://[^/?#\s]+")


def split_origins(value: object) -> object:
    if isinstance(value, str):
        return tuple(part.strip().rstrip("/") for part in value.split(",") if part.strip())
    return value


# Comma-separated in the environment: https://app.example.com,https://admin.example.com
Origins = Annotated[tuple[str, ...], NoDecode, BeforeValidator(split_origins)]


class HttpSettings(EnvironmentSettings):
    # Largest request body outside the upload routes (which stream up to MAX_UPLOAD_BYTES).
    max_request_bytes: int = Field(default=MIB, ge=1)
    # Web origins whose pages may call the API from a browser (CORS), e.g.
    # https://app.example.com; empty: none. "*" only without credentials.
    cors_origins: Origins = ()
    # Cross-origin pages send the access token, not cookies (true lets the refresh
    # cookie ride along too, and then refuses CORS_ORIGINS=*). A session strategy
    # whose session is a cookie turns it on.
    cors_allow_credentials: bool = False

    @model_validator(mode="after")
    def check_cors(self) -> Self:
        for origin in self.cors_origins:
            if origin != "*" and not WEB_ORIGIN.fullmatch(origin):
                msg = (
                    f"CORS_ORIGINS holds {origin!r}: give origins as browsers send them, "
                    "scheme://host[:port] without a path (https://app.example.com)"
                )
                raise ValueError(msg)
        if "*" in self.cors_origins and self.cors_allow_credentials:
            msg = (
                "CORS_ORIGINS=* would let every site act with a visitor's cookies: "
                "list the origins, or set CORS_ALLOW_CREDENTIALS=false"
            )
            raise ValueError(msg)
        return self
