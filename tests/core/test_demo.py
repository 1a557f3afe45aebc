"""``make demo`` loads its organisation on SQLite: the loader is run there, in a subprocess, as the demo does.

The suite's database is PostgreSQL; this test touches it not at all. It
migrates a throwaway SQLite file with the local settings and loads the demo
once (``demo_charged``); each test then works on its own copy of that file and
of its media folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from recouvrement.core.demo import TRANCHES
from recouvrement.tenancy.models import Role

RACINE = Path(__file__).resolve().parents[2]


def manage(*args: str, base: Path) -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "recouvrement.settings.local",
        "DATABASE_URL": f"sqlite:///{base}",
        "MAIL_FILE_PATH": str(base.parent / "mails"),
        "MEDIA_ROOT": str(base.parent / "media"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=RACINE,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def charger(base: Path) -> dict[str, Any]:
    return json.loads(manage("demo_charger", "--json", "--date", "2026-11-27", base=base))


@pytest.fixture(scope="module")
def demo_charged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """An empty SQLite database migrated, then the demo loaded on it (once for this module)."""
    base = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    manage("migrate", "--no-input", "-v", "0", base=base)
    return base, charger(base)


def copie(demo_charged: tuple[Path, dict[str, Any]], tmp_path: Path) -> Path:
    """A copy of the loaded demo (database and uploaded files) that a test may change."""
    source = demo_charged[0]
    shutil.copy(source, tmp_path / source.name)
    if (source.parent / "media").exists():
        shutil.copytree(source.parent / "media", tmp_path / "media")
    return tmp_path / source.name


def test_demo_loads_a_realistic_organisation_on_sqlite_and_a_second_run_changes_nothing(
    demo_charged: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    # given the demo loaded on an empty, migrated SQLite database
    base, resume = copie(demo_charged, tmp_path), demo_charged[1]

    # then it holds an organisation worth showing
    assert resume["cree"] is True
    assert 45 <= resume["clients"] <= 55
    assert resume["contacts"] >= resume["clients"]
    assert resume["factures"] >= 550
    assert 8 <= resume["avoirs"] <= 20
    assert resume["paiements"] >= 200
    assert resume["lettrages"] >= resume["paiements"] - 10
    assert resume["factures_affacturees"] > 0
    assert 0 < resume["factures_ouvertes"] < resume["factures"]
    assert resume["factures_payees"] > resume["factures"] / 2
    assert resume["factures_partiellement_payees"] > 0
    assert set(resume["par_tranche"]) == {cle for cle, *_ in TRANCHES}
    assert all(nombre > 0 for nombre in resume["par_tranche"].values()), resume["par_tranche"]
    assert sum(resume["par_tranche"].values()) == resume["factures_ouvertes"]
    roles = [u["role"] for u in resume["utilisateurs"]]
    assert sorted(set(roles)) == sorted(Role.values)
    assert roles.count(Role.COMMERCIAL) == 2
    assert all(u["email"].endswith("@demo.example") for u in resume["utilisateurs"])
    assert resume["mot_de_passe"] == "demo-recouvrement"

    # when it is loaded again
    encore = charger(base)

    # then nothing was added: the same counts, reported as already there
    assert encore["cree"] is False
    assert {**encore, "cree": True} == resume


def test_the_demo_day_is_planned_and_sent_on_sqlite(demo_charged: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    """What the demo's worker does at startup, through the operators' commands, on SQLite."""
    base = copie(demo_charged, tmp_path)

    planifie = manage("relances_planifier", "--date", "2026-11-26", base=base)
    envoye = manage("relances_envoyer", base=base)

    # "N relances, M envois, T tâches." then "E envoyés, X en échec."
    relances, envois = (int(mot) for mot in planifie.split("—")[1].split()[:4:2])
    assert relances > 20
    assert envois > 10
    nombre_envoyes = int(envoye.split(":")[1].split()[0])
    assert nombre_envoyes > 10
    assert " 0 en échec" in envoye
    fichiers = list((tmp_path / "mails").glob("*.log"))
    contenu = "".join(f.read_text(errors="replace") for f in fichiers)
    assert contenu.count("Message-ID: <recouvrement-") == nombre_envoyes


PAGES_SCRIPT = """
import json
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
from recouvrement.tenancy.context import unscoped
from recouvrement.tenancy.models import Membre
with unscoped(reason="test: the demo's pages"):
    membres = {m.role: m.user for m in Membre.objects.select_related("user").order_by("pk")}
    from clients.models import Client as Fiche
    premier = Fiche.objects.order_by("pk").values_list("pk", flat=True).first()
    from relances.models import Etape
    etape = Etape.objects.order_by("pk").values_list("pk", flat=True).first()
pages = ["/", "/tableau-de-bord/", "/clients/", "/clients/?tri=-encours", f"/clients/{premier}/",
         f"/clients/{premier}/?onglet=relances", f"/clients/{premier}/?onglet=echeancier",
         f"/clients/{premier}/releve.pdf", "/factures/", "/factures/?statut=impayees&tranche=60%2B", "/relances/",
         "/relances/taches/", "/litiges/", f"/litiges/clients/{premier}/nouveau/", "/relances/scenarios/",
         f"/relances/etapes/{etape}/modele/fr/", "/organisation/parametres/", "/demarrage/", "/exports/",
         "/litiges/parametres/", "/contentieux/", "/risque/clients-a-risque/", "/risque/factures-impayees/",
         "/risque/impayes-par-commercial/", "/risque/bareme/", "/synthese/", "/synthese/apercu/", "/synthese/pdf/"]
with unscoped(reason="test: the demo's issue-5 objects"):
    from contentieux.models import DossierContentieux
    from litiges.models import Litige
    from relances.models import Echeancier
    plan = Echeancier.objects.order_by("pk").first()
    dossier = DossierContentieux.objects.order_by("pk").first()
    litige = Litige.objects.order_by("pk").first()
pages += [f"/clients/{plan.client_id}/?onglet=echeancier", f"/relances/echeanciers/{plan.pk}/accord.pdf",
          f"/contentieux/{dossier.pk}/", f"/contentieux/{dossier.pk}/pdf/", f"/litiges/{litige.pk}/"]
resultats = {}
for role, user in membres.items():
    navigateur = Client(SERVER_NAME="127.0.0.1")
    navigateur.force_login(user)
    resultats[role] = {page: navigateur.get(page, follow=False).status_code for page in pages}
print(json.dumps(resultats))
"""


def test_every_page_answers_on_the_demo_data_on_sqlite(
    demo_charged: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """``make demo`` runs on SQLite: every main page renders there, for every role (no server error)."""
    base = copie(demo_charged, tmp_path)
    manage("relances_planifier", "--date", "2026-11-26", base=base)
    resultats = json.loads(manage("shell", "-c", PAGES_SCRIPT, base=base).strip().splitlines()[-1])
    assert set(resultats) == set(Role.values)
    for role, pages in resultats.items():
        # A commercial gets 404 on another rep's client (the first client need not be his).
        erreurs = {page: code for page, code in pages.items() if code >= 500 or (code == 404 and role != "commercial")}
        assert not erreurs, (role, erreurs)
    admin = resultats[Role.ADMIN]
    assert all(code in (200, 302) for code in admin.values()), admin
    assert resultats[Role.COMMERCIAL]["/tableau-de-bord/"] == 403


SUIVIS_SCRIPT = """
import datetime, json
from recouvrement.tenancy.context import organisation_scope
from recouvrement.tenancy.models import Organisation
from clients.models import Client
from relances.models import Echeancier, Promesse, Versement
from relances.services.echeanciers import echeanciers_imputer, echeanciers_suivre
from relances.services.promesses import promesses_suivre
from risque.services import scores_calculer
with organisation_scope(Organisation.objects.order_by("pk").first()):
    classes = sorted(set(Client.objects.values_list("classe_risque", flat=True)))
    promesses = sorted(Promesse.objects.values_list("statut", flat=True))
    plan = Echeancier.objects.get()
    factures = list(plan.lignes.values_list("facture_id", flat=True))
    echeanciers_imputer(jour=datetime.date(2026, 11, 28), facture_ids=factures)
    promesses_suivre(jour=datetime.date(2026, 11, 28), facture_ids=factures)
    premier = Versement.objects.filter(echeancier=plan).order_by("numero").first()
    manque = echeanciers_suivre(jour=premier.date_echeance + datetime.timedelta(days=4))
    rompu = echeanciers_suivre(jour=premier.date_echeance + datetime.timedelta(days=30))
    scores_calculer(aujourd_hui=datetime.date(2026, 11, 28))
resultat = {"classes": classes, "promesses": promesses, "messages": len(manque.messages), "rompus": rompu.rompus}
print(json.dumps(resultat))
"""


def test_the_demo_holds_disputes_plans_promises_every_risk_class_and_its_follow_ups_run_on_sqlite(
    demo_charged: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """The daily follow-ups of payment plans, promises and risk use portable SQL: ``make demo`` runs them."""
    base = copie(demo_charged, tmp_path)
    resultat = json.loads(manage("shell", "-c", SUIVIS_SCRIPT, base=base).strip().splitlines()[-1])
    assert resultat["classes"] == ["A", "B", "C", "D", "E"]
    assert resultat["promesses"] == ["en_cours", "rompue", "tenue"]
    # The first installment missed (grace 3 days): its level-1 reminder; 30 days on, the plan is broken.
    assert resultat["messages"] == 1
    assert len(resultat["rompus"]) == 1
