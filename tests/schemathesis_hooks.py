"""Schemathesis hooks of tests/test_fuzz.py (SCHEMATHESIS_HOOKS names this file)."""

import schemathesis

# tus PATCH bodies are bytes like any application/octet-stream body.
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
