"""Helpers for the statements written in SQL, and the zero amount of ORM expressions.

Raw statements return what the database gives: PostgreSQL (production, tests)
``Decimal`` and ``date``; SQLite (``make demo``) ``int``, ``float`` or text for
the same columns. These helpers turn either into the Python types.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import DecimalField, Value

CENTIME = Decimal("0.01")

# The zero of a money expression (``Coalesce(Sum(...), ZERO)``): the amounts' own type.
ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=14, decimal_places=2))


def en_decimal(valeur: Any, pas: Decimal = CENTIME) -> Decimal:
    """A raw SQL number (``Decimal``, ``int``, ``float`` or text; None is zero), rounded to ``pas``."""
    return Decimal(str(valeur or 0)).quantize(pas)


def en_date(valeur: Any) -> datetime.date | None:
    """A raw SQL date (SQLite returns ISO text), or None."""
    if valeur is None or isinstance(valeur, datetime.date):
        return valeur
    return datetime.date.fromisoformat(str(valeur)[:10])


def executer(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Every row of a raw statement, run on the default connection."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


class InstructionSql:
    """A statement built in pieces, each with its positional parameters, in order
    (the planning's and the risk score's set-based statements)."""

    def __init__(self) -> None:
        self.morceaux: list[str] = []
        self.params: list[Any] = []

    def __call__(self, morceau: str, *params: Any) -> InstructionSql:
        self.morceaux.append(morceau)
        self.params.extend(params)
        return self

    def texte(self) -> str:
        return "\n".join(self.morceaux)

    def executer(self) -> int:
        """Run it; return the number of rows written."""
        with connection.cursor() as cursor:
            cursor.execute(self.texte(), self.params)
            if cursor.rowcount < 0 and connection.vendor == "sqlite":
                # Python's sqlite3 gives no rowcount for a statement starting with WITH.
                cursor.execute("SELECT changes()")
                return int(cursor.fetchone()[0])
            return max(cursor.rowcount, 0)
