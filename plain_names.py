"""Names without Jinja render as themselves, without compiling a template.

A render builds a template for every file and folder name (`Environment.from_string`),
about 270 of them, most with no Jinja at all; compiling those took about a quarter of a
render's time. Cookiecutter loads this extension from the template's folder.

A module of its own, not a class in local_extensions.py: `cruft update` renders two
releases in one process, and Python keeps the local_extensions module of the first, so
the second release can only name extensions that the first one's module also had.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment
from jinja2.ext import Extension


class PlainText:
    """What Environment.from_string returns for text without Jinja: it renders as itself."""

    def __init__(self, source: str) -> None:
        self.source = source

    def render(self, *args: Any, **kwargs: Any) -> str:
        return self.source


class PlainNames(Extension):
    """Text with no Jinja delimiter (each starts with "{") and no line break (Jinja may
    drop a trailing one) skips compiling; anything else compiles as before."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        compile_text = environment.from_string

        def from_string(source: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(source, str) and "{" not in source and "\n" not in source:
                return PlainText(source)
            return compile_text(source, *args, **kwargs)

        environment.from_string = from_string  # type: ignore[method-assign]
