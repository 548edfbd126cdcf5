"""Counting the statements that read the items table."""

from __future__ import annotations

import re
from typing import Any

# A read of the items table, however the dialect quotes it.
ITEM_SELECT = re.compile(r"\s*SELECT\b.*\bFROM\s+[`\"]?items\b", re.IGNORECASE | re.DOTALL)


class ItemQueryCounter:
    """A before_cursor_execute listener counting the statements that read items."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if ITEM_SELECT.match(statement):
            self.count += 1
