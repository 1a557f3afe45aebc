"""Browser tests: Playwright driving Debian's Chromium against Django's live server on real PostgreSQL.

Screenshots of the main pages go to ``test-artifacts/screenshots/`` (kept by
``.ci/run``, ignored by git). Without ``/usr/bin/chromium`` these tests are
skipped with the package to install.
"""

from __future__ import annotations

import datetime
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from recouvrement.tenancy.models import Role
from tests.factories import MembreFactory, UserFactory
from tests.relances.conftest import (  # noqa: F401
    Relances,
    _taux_publies,
    relance_envoyee,
    relances,
    taux_2026_s2,
)

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run
# in a thread with an event loop unless told it is safe (it is: one test at a time).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
MOT_DE_PASSE = "mot-de-passe-solide-42"  # tests.factories.UserFactory
CAPTURES = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"

pytestmark = pytest.mark.e2e


def pytest_collection_modifyitems(items):
    if shutil.which(CHROMIUM) is None and shutil.which("chromium") is None:
        sauter = pytest.mark.skip(reason="needs Chromium: apt-get install -y chromium")
        for item in items:
            if "navigateur" in str(item.fspath):
                item.add_marker(sauter)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": shutil.which(CHROMIUM) or shutil.which("chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1366, "height": 900}, "locale": "fr-FR"}


def capture(page, nom: str) -> Path:
    """Save a full-page screenshot of the current page as a test artifact."""
    CAPTURES.mkdir(parents=True, exist_ok=True)
    chemin = CAPTURES / f"{nom}.png"
    page.screenshot(path=str(chemin), full_page=True)
    return chemin


def connecter(page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(MOT_DE_PASSE)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state("networkidle")


@dataclass
class Portefeuille:
    """An organisation as a credit manager sees it: members of every role, two reps' clients, invoices."""

    r: Relances
    admin: object
    charge: object
    commercial: object
    autre_commercial: object
    daf: object
    lecture: object
    client_du_commercial: object
    client_de_l_autre: object
    factures: list


@pytest.fixture
def portefeuille(relances) -> Portefeuille:  # noqa: F811
    r = relances
    aujourd_hui = timezone.localdate()
    with r.tenant.scope():
        lecture = MembreFactory(role=Role.LECTURE, user=UserFactory(email="lecture@alpha.example"))
        autre = MembreFactory(role=Role.COMMERCIAL, user=UserFactory(email="autre.commercial@alpha.example"))
        client_du_commercial = r.client(commercial=r.commercial, raison_sociale="Boulangeries Martin SAS")
        client_de_l_autre = r.client(commercial=autre, raison_sociale="Transports Durand SARL")
        factures = [
            r.facture(
                client_du_commercial, echeance=aujourd_hui - datetime.timedelta(days=jours), ttc=ttc, numero=numero
            )
            for numero, jours, ttc in (
                ("FA-1001", 40, "1800.00"),
                ("FA-1002", 5, "960.00"),
                ("FA-1003", -12, "2400.00"),
            )
        ]
        relance_envoyee(
            r,
            factures[0],
            "Relance ferme",
            le=datetime.datetime.combine(
                aujourd_hui - datetime.timedelta(days=25), datetime.time(9, 30), tzinfo=datetime.UTC
            ),
        )
        relance_envoyee(
            r,
            factures[1],
            "Rappel",
            le=datetime.datetime.combine(
                aujourd_hui - datetime.timedelta(days=4), datetime.time(9, 30), tzinfo=datetime.UTC
            ),
        )
        r.facture(
            client_de_l_autre, echeance=aujourd_hui - datetime.timedelta(days=70), ttc="5000.00", numero="FA-2001"
        )
    return Portefeuille(
        r=r,
        admin=r.tenant.admin,
        charge=r.charge,
        commercial=r.commercial,
        autre_commercial=autre,
        daf=r.daf,
        lecture=lecture,
        client_du_commercial=client_du_commercial,
        client_de_l_autre=client_de_l_autre,
        factures=factures,
    )
