"""PostgreSQL backend that hands the current scope to row-level security.

Before every statement run through Django (ORM or ``connection.cursor()``),
the connection's ``app.tenant_id``, ``app.user_id`` and ``app.platform``
settings are made equal to the current scope (``recouvrement.tenancy.context``).
What was last set is remembered per connection so that the extra round trip
only happens when the scope changes; a rollback (of a transaction or to a
savepoint) may undo a ``set_config``, so it forgets what it knew, and so does
a new connection. A statement therefore never runs with a stale organisation:
with no scope, the settings are empty and the policies return no rows.

The settings are session-level (``set_config(..., false)``) and re-applied on
change, which is equivalent to setting them per transaction here; behind a
transaction-pooling proxy (pgbouncer in transaction mode) use session pooling.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base

from recouvrement.tenancy.context import current_scope

_SET_SCOPE_SQL = (
    "SELECT set_config('app.tenant_id', %s, false), "
    "set_config('app.user_id', %s, false), "
    "set_config('app.platform', %s, false)"
)


def _wanted_settings() -> tuple[str, str, str]:
    scope = current_scope()
    return (
        "" if scope.organisation_id is None else str(scope.organisation_id),
        "" if scope.user_id is None else str(scope.user_id),
        "on" if scope.platform else "",
    )


def _apply_scope(execute: Any, sql: Any, params: Any, many: bool, context: dict[str, Any]) -> Any:
    wrapper = context["connection"]
    wanted = _wanted_settings()
    if wrapper.scope_settings != wanted and wrapper.connection is not None:
        with wrapper.connection.cursor() as cursor:
            cursor.execute(_SET_SCOPE_SQL, wanted)
        wrapper.scope_settings = wanted
    return execute(sql, params, many, context)


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope_settings: tuple[str, str, str] | None = None
        # Not a context manager on purpose: it stays for the life of the wrapper.
        self.execute_wrappers.append(_apply_scope)

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        self.scope_settings = None
        return super().get_new_connection(conn_params)

    def _rollback(self) -> Any:
        self.scope_settings = None
        return super()._rollback()  # type: ignore[misc]

    def _savepoint_rollback(self, sid: str) -> Any:
        result = super()._savepoint_rollback(sid)  # type: ignore[misc]
        self.scope_settings = None
        return result

    def _close(self) -> Any:
        self.scope_settings = None
        return super()._close()  # type: ignore[misc]
