"""The scoped manager of tenant-owned models: its querysets filter on the current
organisation and raise when there is none (fail closed).

The filter is an expression compiled with the SQL, so the scope that counts is
the one active when the query **runs** (querysets are lazy and are often built
at import time, in forms or in the admin). Under ``unscoped()`` the condition
disappears; with no scope at all, compiling it raises ``TenantScopeError``,
whatever path runs the query: iteration, ``count()``, ``exists()``,
``update()``, ``delete()``, or use as a subquery of another query.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FullResultSet
from django.db import models
from django.db.models import BooleanField, Expression, F

from recouvrement.core.errors import TenantScopeError
from recouvrement.tenancy.context import current_scope

if TYPE_CHECKING:
    from recouvrement.tenancy.models import TenantModel


def assign_tenant(obj: TenantModel) -> None:
    """Give a new row the current organisation, and refuse a row of another one.

    Under ``unscoped()`` the caller must have set the tenant itself: a platform
    job writes into an organisation it names, never into "whatever is current".
    """
    scope = current_scope()
    if scope.platform:
        if obj.tenant_id is None:
            raise TenantScopeError(f"{type(obj).__name__}: a platform job must set the organisation explicitly.")
        return
    if scope.organisation_id is None:
        raise TenantScopeError(f"{type(obj).__name__}: no active organisation, refusing to write.")
    if obj.tenant_id is None:
        obj.tenant_id = scope.organisation_id
    elif obj.tenant_id != scope.organisation_id:
        raise TenantScopeError(
            f"{type(obj).__name__}: row of organisation {obj.tenant_id} written "
            f"while organisation {scope.organisation_id} is active."
        )


class CurrentTenant(Expression):
    """``tenant_id = <organisation of the current scope>``, decided when compiled."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, model_name: str, column: Any = None) -> None:
        super().__init__(output_field=BooleanField())
        self.model_name = model_name
        self.column = column if column is not None else F("tenant_id")

    def __repr__(self) -> str:
        return f"CurrentTenant({self.model_name})"

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, exprs: Any) -> None:
        (self.column,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        scope = current_scope()
        if scope.platform:
            raise FullResultSet
        if scope.organisation_id is None:
            raise TenantScopeError(
                f"{self.model_name}: no active organisation. Enter organisation_scope() "
                "(or unscoped() for a platform job) before querying tenant-owned rows."
            )
        sql, params = compiler.compile(self.column)
        return f"{sql} = %s", [*params, scope.organisation_id]


class TenantQuerySet(models.QuerySet):
    def bulk_create(self, objs: Iterable[Any], *args: Any, **kwargs: Any) -> list[Any]:
        objs = list(objs)
        for obj in objs:
            assign_tenant(obj)
        return super().bulk_create(objs, *args, **kwargs)


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    """Default and base manager of every tenant-owned model."""

    def get_queryset(self) -> TenantQuerySet:
        return super().get_queryset().filter(CurrentTenant(self.model.__name__))
