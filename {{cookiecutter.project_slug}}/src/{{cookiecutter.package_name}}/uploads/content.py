"""What an upload is, judged from its bytes, and a display name safe to show and store."""

from __future__ import annotations

import unicodedata

import filetype

# filetype reads at most this many leading bytes.
SNIFF_BYTES = 261
MAX_NAME_LENGTH = 255
FALLBACK_NAME = "upload"


def sniff(head: bytes) -> str | None:
    """The media type the leading bytes (magic numbers) show, None when unknown."""
    mime: str | None = filetype.guess_mime(head)
    return mime


def display_name(name: str | None) -> str:
    """The client's file name without path parts, control characters or traversal.

    Only ever shown (and sent back in Content-Disposition); objects are stored
    under keys the service generates.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C")
    name = name.strip().lstrip(".").strip()
    return name[:MAX_NAME_LENGTH] or FALLBACK_NAME
