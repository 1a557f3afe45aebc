"""Helpers for the statements written in SQL, and the zero amount of ORM expressions.

Raw statements return what the database gives: PostgreSQL (production, tests)
``Decimal`` and ``date``; SQLite (``make demo``) ``int``, ``float`` or text for
the same columns. These helpers turn either into the Python types.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
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


@contextmanager
def plans_ensemblistes(actif: bool = True) -> Iterator[None]:
    """Hash joins, not nested loops, inside the block (PostgreSQL; ``SET LOCAL`` then back on).

    With the row-level security predicate (a range on ``tenant_id``) on top of the
    explicit ``tenant_id = N`` of set-based statements, the planner estimates about one
    row per table for an organisation that has thousands, and picks nested loops whose
    inner side rescans the organisation's rows for every outer row. Measured: a planning
    day of one organisation with 1,000 open invoices, 233 ms with nested loops and 27 ms
    without (bench/README.md); the risk score of 100,000 invoices of 2,000 clients, more
    than 10 minutes with them and about 2 s without. For statements that touch a whole
    organisation (``actif``); hash joins are then the right plan whatever the estimate.
    """
    if not actif or connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_nestloop = off")
    try:
        yield
    finally:
        if connection.connection is not None and not connection.needs_rollback:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_nestloop = on")
