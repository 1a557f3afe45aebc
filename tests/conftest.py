"""Fixtures shared by the whole suite.

The suite runs on real PostgreSQL, connected as a role that is neither
superuser nor BYPASSRLS (checked once per session), so that the row-level
security policies are exercised by every test, not only by the isolation ones.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from recouvrement.celery import app
from recouvrement.tenancy.context import organisation_scope, unscoped
from recouvrement.tenancy.models import Membre, Organisation, Role, User
from tests.factories import MembreFactory, OrganisationFactory, UserFactory
from tests.smtp import ServeurSMTP

# The longest files (real workers, the SQLite demo, the browser), started first under pytest-xdist
# (make test: -n 2 --dist loadfile --no-loadscope-reorder): a process does not end alone on one of them.
FICHIERS_LONGS = (
    "tests/core/test_demo.py",
    "tests/relances/test_bout_en_bout.py",
    "tests/imports/test_gros_fichier.py",
    "tests/navigateur/test_parcours.py",
    "tests/tenancy/test_isolation.py",
    "tests/relances/test_planification.py",
    "tests/navigateur/test_fiche_client.py",
    "tests/exports/test_exports.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    rang = {fichier: i for i, fichier in enumerate(FICHIERS_LONGS)}
    # A stable sort: the tests of a file keep their order, the other files theirs.
    items.sort(key=lambda item: rang.get(item.nodeid.split("::")[0], len(rang)))


@pytest.fixture(scope="session", autouse=True)
def _role_does_not_bypass_rls(django_db_setup, django_db_blocker) -> None:
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            pytest.exit("The test suite needs PostgreSQL (make test provides it).", returncode=2)
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        superuser, bypass = cursor.fetchone()
    if superuser or bypass:
        pytest.exit(
            "DATABASE_URL connects as a role with SUPERUSER or BYPASSRLS: row-level security would "
            "not be tested. Use a role created NOSUPERUSER NOBYPASSRLS CREATEDB.",
            returncode=2,
        )


@pytest.fixture(autouse=True)
def _langue_par_defaut() -> Iterator[None]:
    """Each test starts in the default language: a request in English (LocaleMiddleware) leaves it active
    in the thread, and the next test, whichever file it comes from under pytest-xdist, would see English."""
    translation.deactivate()
    yield
    translation.deactivate()


@dataclass
class Tenant:
    organisation: Organisation
    admin: User
    membre: Membre

    def scope(self):
        return organisation_scope(self.organisation, user_id=self.admin.pk)

    def login(self, client: HttpClient, role: str | None = None) -> User:
        """Log ``client`` in as the admin, or as a new member with ``role``."""
        user = self.admin if role is None else self.member(role).user
        client.force_login(user)
        return user

    def member(self, role: str) -> Membre:
        with self.scope():
            return MembreFactory(role=role)


def make_tenant(nom: str) -> Tenant:
    organisation = OrganisationFactory(raison_sociale=nom)
    admin = UserFactory()
    with organisation_scope(organisation):
        membre = MembreFactory(user=admin, role=Role.ADMIN)
    return Tenant(organisation=organisation, admin=admin, membre=membre)


@pytest.fixture
def tenant_a(db) -> Tenant:
    return make_tenant("Alpha Industrie")


@pytest.fixture
def tenant_b(db) -> Tenant:
    return make_tenant("Bêta Services")


@pytest.fixture
def scope_a(tenant_a: Tenant) -> Iterator[Tenant]:
    """Run the test body inside organisation A's scope."""
    with tenant_a.scope():
        yield tenant_a


@pytest.fixture
def platform() -> Iterator[None]:
    with unscoped(reason="tests"):
        yield


@pytest.fixture
def smtp(settings) -> Iterator[ServeurSMTP]:
    """A real SMTP server on loopback, which this process's mailers send to."""
    with ServeurSMTP() as serveur:
        settings.MAILERS = serveur.mailers
        yield serveur


@pytest.fixture
def file_isolee() -> Iterator[str]:
    """A queue of our own on the shared Redis, for the worker a test starts: nothing of another run is consumed."""
    nom = f"e2e-{uuid.uuid4().hex[:8]}"
    avant = app.conf.task_default_queue
    app.conf.task_default_queue = nom
    yield nom
    app.conf.task_default_queue = avant


def compter_requetes(client: HttpClient, url: str, parametres: dict | None = None) -> int:
    """The SQL queries of ``client.get(url, parametres)``, which must answer 200."""
    with CaptureQueriesContext(connection) as requetes:
        response = client.get(url, parametres)
    assert response.status_code == 200
    return len(requetes)
