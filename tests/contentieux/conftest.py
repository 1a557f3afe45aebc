# The dunning fixtures (an organisation with its Standard scenario) serve the litigation tests too.
from tests.relances.conftest import _taux_publies, relances, scope_relances  # noqa: F401
