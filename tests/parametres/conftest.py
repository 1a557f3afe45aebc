"""The published reference rates, and a rate for November 2026 (the legal floor of the contractual rate)."""

from tests.relances.conftest import _taux_publies, taux_2026_s2  # noqa: F401
