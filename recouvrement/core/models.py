"""Small model helpers shared by the apps."""

from __future__ import annotations

from collections.abc import Collection
from typing import ClassVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models


class ConstraintErrorsOnFieldsMixin(models.Model):
    """Show a database check constraint's error next to the field it is about.

    ``constraint_fields`` maps a constraint's ``violation_error_code`` to a
    field name; ``full_clean()`` then reports the violation on that field, so
    forms display it beside the input instead of at the top of the page. The
    constraint itself stays in the database as the last line of defence.
    """

    constraint_fields: ClassVar[dict[str, str]] = {}

    class Meta:
        abstract = True

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            moved: dict[str, list[ValidationError]] = {}
            for field, errors in error.error_dict.items():
                for item in errors:
                    target = self.constraint_fields.get(item.code or "", field) if field == NON_FIELD_ERRORS else field
                    moved.setdefault(target, []).append(item)
            raise ValidationError(moved) from error
