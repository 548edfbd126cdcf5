"""The session strategy this service was generated with: the one place that names it."""

from .base import SessionStrategy
from .strategies.{{ cookiecutter.session_strategy }} import (
    Credential,
    LoginResponse,
    Strategy,
    StrategySettings,
)

__all__ = ["Credential", "LoginResponse", "Strategy", "StrategySettings"]

# Type-checked: the strategy implements every method of the interface.
_IMPLEMENTS_INTERFACE: type[SessionStrategy] = Strategy
