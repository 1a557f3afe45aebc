"""System checks that keep every tenant-owned model fail-closed."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core import checks
from django.db.models import Model

from recouvrement.tenancy.managers import TenantManager


def tenant_models() -> list[type[Model]]:
    from recouvrement.tenancy.models import TenantModel

    return [m for m in apps.get_models() if issubclass(m, TenantModel)]


@checks.register(checks.Tags.models)
def check_tenant_models(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for model in tenant_models():
        label = model._meta.label
        if not isinstance(model._default_manager, TenantManager):
            errors.append(
                checks.Error(
                    f"{label}: its default manager must be a TenantManager.",
                    id="tenancy.E001",
                    obj=model,
                )
            )
        if not isinstance(model._base_manager, TenantManager):
            errors.append(
                checks.Error(
                    f"{label}: its base manager must be a TenantManager; declare "
                    "`class Meta(TenantModel.Meta)` instead of `class Meta`.",
                    id="tenancy.E002",
                    obj=model,
                )
            )
        for constraint in model._meta.constraints:
            fields = list(getattr(constraint, "fields", ()) or ())
            if fields and fields[0] != "tenant":
                errors.append(
                    checks.Error(
                        f"{label}: constraint {constraint.name} must start with tenant.",
                        id="tenancy.E003",
                        obj=model,
                    )
                )
        for index in model._meta.indexes:
            fields = [f.lstrip("-") for f in index.fields]
            if len(fields) > 1 and fields[0] != "tenant":
                errors.append(
                    checks.Error(
                        f"{label}: composite index {index.name} must start with tenant.",
                        id="tenancy.E004",
                        obj=model,
                    )
                )
        for field in model._meta.concrete_fields:
            if field.unique and not field.primary_key:
                errors.append(
                    checks.Error(
                        f"{label}.{field.name}: unique=True is global; use a UniqueConstraint starting with tenant.",
                        id="tenancy.E005",
                        obj=model,
                    )
                )
    return errors
