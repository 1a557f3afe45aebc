"""Property-based run of the whole API from its own OpenAPI schema (schemathesis): whatever the
generated request, no server error, and answers that match the schema (the error and bulk
shapes are in it). Bounded: a few examples per operation, the whole run well under a minute."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture
def meme_connexion() -> Iterator[None]:
    """The WSGI app runs in the test's thread: it must keep the test's connection and transaction
    (as Django's test client does), not close it at the end of each request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_the_api_never_answers_a_server_error(case, jeton_a, meme_connexion):
    reponse = case.call(headers={"Authorization": f"Bearer {jeton_a}"})
    case.validate_response(reponse, checks=[not_a_server_error, response_schema_conformance, content_type_conformance])
