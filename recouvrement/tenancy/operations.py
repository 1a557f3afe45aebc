"""Migration operations that lock a tenant table down on PostgreSQL.

``SecureTenantTable("facture")`` in a migration:

- enables **and forces** row-level security (the owner is subject to it too),
  with one policy: a row is visible and writable only when its ``tenant_id``
  equals the ``app.tenant_id`` setting, or under the platform escape hatch
  (``app.platform = 'on'``, set only by ``unscoped()``);
- adds a unique index on ``(tenant_id, id)`` so that other tenant tables can
  reference the row together with its organisation;
- replaces nothing Django made, but adds, for every foreign key to another
  tenant table, a composite foreign key ``(tenant_id, <fk>_id)`` →
  ``(tenant_id, id)``: a row can never point at another organisation's row.

``NULLIF(current_setting(..., true), '')`` makes an unset or reset setting
give no rows instead of an error. On other databases (the SQLite demo) the
operation does nothing; the scoped manager is the guard there.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.migrations.operations.base import Operation

# Written as a range so that it is indexable: the bounds are stable expressions,
# evaluated once per statement, and every index starts with tenant_id. In an
# organisation's scope both bounds are its id; under unscoped() they span every
# id; with no scope they are NULL and no row qualifies. (An equality OR-ed with
# the platform flag would read the same, but no index could serve it, so a
# query that forgets to filter a joined table on tenant_id would scan it whole.)
_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::bigint"
_PLATFORM = "current_setting('app.platform', true) = 'on'"
TENANT_PREDICATE = (
    f"(tenant_id >= COALESCE({_TENANT}, CASE WHEN {_PLATFORM} THEN 0 END) "
    f"AND tenant_id <= COALESCE({_TENANT}, CASE WHEN {_PLATFORM} THEN 9223372036854775807 END))"
)


def _tenant_unique_index_sql(table: str) -> str:
    return f'CREATE UNIQUE INDEX IF NOT EXISTS "{table}_tenant_id_id_uniq" ON "{table}" (tenant_id, id)'


def _add_tenant_fk(schema_editor: Any, table: str, column: str, target_table: str) -> None:
    schema_editor.execute(_tenant_unique_index_sql(target_table))
    schema_editor.execute(
        f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_{column}_meme_tenant" '
        f'FOREIGN KEY (tenant_id, "{column}") REFERENCES "{target_table}" (tenant_id, id) '
        "DEFERRABLE INITIALLY DEFERRED"
    )


def _drop_tenant_fk(schema_editor: Any, table: str, column: str) -> None:
    schema_editor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS "{table}_{column}_meme_tenant"')


def _is_tenant_model(model: Any) -> bool:
    try:
        field = model._meta.get_field("tenant")
    except FieldDoesNotExist:
        return False
    return field.is_relation and field.related_model._meta.label == "tenancy.Organisation"


class SecureTenantTable(Operation):
    reduces_to_sql = True
    reversible = True

    def __init__(self, model_name: str, extra_select_policies: dict[str, str] | None = None) -> None:
        self.model_name = model_name
        self.extra_select_policies = extra_select_policies or {}

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        kwargs: dict[str, Any] = {}
        if self.extra_select_policies:
            kwargs["extra_select_policies"] = self.extra_select_policies
        return (self.__class__.__qualname__, [self.model_name], kwargs)

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def describe(self) -> str:
        return f"Row-level security and tenant foreign keys on {self.model_name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"secure_{self.model_name.lower()}"

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        table = model._meta.db_table
        execute = schema_editor.execute
        execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
        execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
        execute(
            f'CREATE POLICY tenant_isolation ON "{table}" FOR ALL '
            f"USING {TENANT_PREDICATE} WITH CHECK {TENANT_PREDICATE}"
        )
        for name, predicate in self.extra_select_policies.items():
            execute(f'CREATE POLICY "{name}" ON "{table}" FOR SELECT USING ({predicate})')
        execute(_tenant_unique_index_sql(table))
        for field in model._meta.concrete_fields:
            if not field.is_relation or field.name == "tenant":
                continue
            target = field.related_model
            if target is None or not _is_tenant_model(target):
                continue
            _add_tenant_fk(schema_editor, table, field.column, target._meta.db_table)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        model = from_state.apps.get_model(app_label, self.model_name)
        table = model._meta.db_table
        execute = schema_editor.execute
        for field in model._meta.concrete_fields:
            if field.is_relation and field.name != "tenant" and _is_tenant_model(field.related_model):
                _drop_tenant_fk(schema_editor, table, field.column)
        for name in self.extra_select_policies:
            execute(f'DROP POLICY IF EXISTS "{name}" ON "{table}"')
        execute(f'DROP POLICY IF EXISTS tenant_isolation ON "{table}"')
        execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
        execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')


class TenantForeignKey(Operation):
    """The composite foreign key of one field added after its table was secured."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, model_name: str, field_name: str) -> None:
        self.model_name = model_name
        self.field_name = field_name

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.model_name, self.field_name], {})

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def describe(self) -> str:
        return f"Tenant foreign key on {self.model_name}.{self.field_name}"

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.field_name)
        _add_tenant_fk(schema_editor, model._meta.db_table, field.column, field.related_model._meta.db_table)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        model = from_state.apps.get_model(app_label, self.model_name)
        _drop_tenant_fk(schema_editor, model._meta.db_table, model._meta.get_field(self.field_name).column)
