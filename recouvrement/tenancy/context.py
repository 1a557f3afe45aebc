"""The current organisation (the tenant) of a request, an API call or a task.

One context variable holds it. Middleware sets it for requests, the API key
authentication for API calls and ``TenantTask`` for Celery tasks. Everything
that reads tenant-owned rows goes through it: the scoped manager filters on it
and raises without it, and the PostgreSQL backend copies it into the
``app.tenant_id`` setting that the row-level security policies check.

``unscoped()`` is the one escape hatch, for platform jobs (the Django admin of
the platform staff, schedulers that iterate over organisations, migrations).
Grep for it: every use must say why.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recouvrement.tenancy.models import Organisation


@dataclass(frozen=True)
class Scope:
    """What the database and the managers are allowed to see right now."""

    organisation_id: int | None = None
    user_id: int | None = None
    platform: bool = False
    reason: str = ""


_scope: contextvars.ContextVar[Scope] = contextvars.ContextVar("recouvrement_scope", default=Scope())  # noqa: B039  (frozen)


def current_scope() -> Scope:
    return _scope.get()


def current_organisation_id() -> int | None:
    return _scope.get().organisation_id


@contextmanager
def organisation_scope(organisation: Organisation | int, *, user_id: int | None = None) -> Iterator[None]:
    """Run the block as ``organisation``: managers filter on it, RLS allows only its rows.

    Nested scopes replace the outer one for the duration of the block; an
    ``unscoped()`` block around it does not leak in.
    """
    organisation_id = organisation if isinstance(organisation, int) else organisation.pk
    if organisation_id is None:
        raise ValueError("organisation_scope() needs a saved organisation.")
    token = _scope.set(Scope(organisation_id=organisation_id, user_id=user_id))
    try:
        yield
    finally:
        _scope.reset(token)


@contextmanager
def user_scope(user_id: int | None) -> Iterator[None]:
    """No organisation, but the user's own memberships are readable (login, switching)."""
    token = _scope.set(Scope(user_id=user_id))
    try:
        yield
    finally:
        _scope.reset(token)


@contextmanager
def unscoped(*, reason: str) -> Iterator[None]:
    """The escape hatch: see every organisation's rows. For platform jobs only.

    ``reason`` is mandatory so that every use documents itself.
    """
    if not reason:
        raise ValueError("unscoped() needs a reason.")
    token = _scope.set(Scope(platform=True, reason=reason))
    try:
        yield
    finally:
        _scope.reset(token)
