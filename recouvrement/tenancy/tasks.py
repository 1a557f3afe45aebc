"""Celery base class for tasks that work inside one organisation."""

from __future__ import annotations

from typing import Any

from celery import Task

from recouvrement.core.errors import TenantScopeError
from recouvrement.tenancy.context import organisation_scope


class TenantTask(Task):
    """Every tenant task takes ``organisation_id`` as a keyword argument and runs in its scope.

    The scope (manager filter and RLS setting) is entered before the task body
    and left after it, so a worker never carries one organisation's scope into
    the next task.
    """

    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        organisation_id = kwargs.get("organisation_id")
        if organisation_id is None:
            raise TenantScopeError(f"{self.name}: a tenant task needs organisation_id=.")
        with organisation_scope(int(organisation_id)):
            return super().__call__(*args, **kwargs)
