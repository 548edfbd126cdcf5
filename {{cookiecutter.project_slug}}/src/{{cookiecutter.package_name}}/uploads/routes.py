"""The routes of the upload strategy this service was generated with (uploads/strategy.py
names the rest of it)."""

from .{{ cookiecutter.upload_strategy }} import router

__all__ = ["router"]
