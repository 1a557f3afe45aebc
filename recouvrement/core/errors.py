"""One error base class for the whole application.

Services raise ``ApplicationError`` (or a subclass with its own codes, kept in
each app's ``error_codes.py``); views turn it into a form error or a message,
and the API into JSON with the code, the field and a human message.
"""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A business rule refused the operation. Safe to show to the user."""

    default_code = "invalide"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field
        self.extra = extra or {}

    def __str__(self) -> str:
        return str(self.message)


class TenantScopeError(RuntimeError):
    """Programming error: tenant-owned rows touched without, or outside, the right scope.

    Never shown to users as such: it means code forgot to enter a scope, and it
    must fail loudly rather than read or write another organisation's rows.
    """
