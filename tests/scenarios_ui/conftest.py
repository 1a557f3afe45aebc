"""The dunning fixtures (an organisation with the Standard scenario, members of each role)."""

from tests.relances.conftest import _taux_publies, relances  # noqa: F401
