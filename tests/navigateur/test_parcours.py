"""In Chromium: each role logs in and lands on its page; the dashboard's figures are the
data's sums and its aging chart renders; a credit manager edits a template with the live
preview; the language switch turns the page to English; a screenshot of every main page."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from factures.models import STATUTS_OUVERTS, Facture, Nature
from recouvrement.core.formats import montant_texte
from recouvrement.tenancy.context import organisation_scope
from relances.models import ModeleMessage
from tests.navigateur.conftest import capture, connecter

pytestmark = pytest.mark.e2e


def _espaces(texte: str) -> str:
    """French number formatting uses no-break spaces: compare on plain ones."""
    return re.sub(r"[\u00a0\u202f ]+", " ", texte).strip()


@pytest.mark.parametrize(
    ("role", "page_attendue", "titre"),
    [
        ("admin", "/tableau-de-bord/", "Tableau de bord"),
        ("charge", "/tableau-de-bord/", "Tableau de bord"),
        ("daf", "/tableau-de-bord/", "Tableau de bord"),
        ("lecture", "/tableau-de-bord/", "Tableau de bord"),
        ("commercial", "/clients/", "Mes clients"),
    ],
)
def test_each_role_logs_in_and_lands_on_its_page(page, live_server, portefeuille, role, page_attendue, titre):
    membre = {
        "admin": portefeuille.r.tenant.membre,
        "charge": portefeuille.charge,
        "daf": portefeuille.daf,
        "lecture": portefeuille.lecture,
        "commercial": portefeuille.commercial,
    }[role]
    connecter(page, live_server, membre.user.email)
    expect(page).to_have_url(f"{live_server.url}{page_attendue}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(titre)
    expect(page.locator(".utilisateur")).to_contain_text(membre.get_role_display())
    navigation = page.get_by_role("navigation", name="Navigation principale")
    assert (navigation.get_by_role("link", name="Paramètres").count() == 1) == (role == "admin")
    assert (navigation.get_by_role("link", name="Scénarios").count() == 1) == (role in ("admin", "charge", "daf"))


def test_the_dashboard_shows_the_sums_of_the_data_and_its_aging_chart(page, live_server, portefeuille):
    p = portefeuille
    aujourd_hui = timezone.localdate()
    with organisation_scope(p.r.tenant.organisation):
        # A credit note, a partly paid invoice and a factored one, for the sums to mean something.
        p.r.facture(
            p.client_de_l_autre,
            echeance=aujourd_hui - datetime.timedelta(days=50),
            ttc="700.00",
            numero="FA-2002",
            support_paiement="affacturage",
            affactureur="Factor SA",
        )
        avoir = p.r.facture(p.client_du_commercial, echeance=aujourd_hui, ttc="300.00", numero="AV-0001")
        Facture.objects.filter(pk=avoir.pk).update(nature=Nature.AVOIR)
        pieces = list(Facture.objects.filter(statut__in=STATUTS_OUVERTS))
    factures = [f for f in pieces if f.nature == Nature.FACTURE]
    encours = sum((f.reste_du for f in factures), Decimal(0)) - sum(
        (f.reste_du for f in pieces if f.nature == Nature.AVOIR), Decimal(0)
    )
    echu = sum((f.reste_du for f in factures if f.date_echeance < aujourd_hui), Decimal(0))
    affacture_echu = sum(
        (f.reste_du for f in factures if f.date_echeance < aujourd_hui and f.support_paiement == "affacturage"),
        Decimal(0),
    )
    tranches = dict.fromkeys(["Non échu", "0–30 jours", "30–45 jours", "45–60 jours", "Plus de 60 jours"], Decimal(0))
    for f in factures:
        retard = (aujourd_hui - f.date_echeance).days
        if retard <= 0:
            cle = "Non échu"
        elif retard <= 30:
            cle = "0–30 jours"
        elif retard <= 45:
            cle = "30–45 jours"
        elif retard <= 60:
            cle = "45–60 jours"
        else:
            cle = "Plus de 60 jours"
        tranches[cle] += f.reste_du

    connecter(page, live_server, p.charge.user.email)
    expect(page).to_have_url(f"{live_server.url}/tableau-de-bord/")
    chiffres = page.get_by_role("region", name="Chiffres clés")
    assert _espaces(chiffres.locator(".chiffre", has_text="Encours total").locator(".valeur").inner_text()) == (
        _espaces(montant_texte(encours))
    )
    assert _espaces(
        chiffres.get_by_role("link", name=re.compile(r"^Échu ")).locator(".valeur").inner_text()
    ) == _espaces(montant_texte(echu))
    assert _espaces(
        chiffres.locator(".chiffre", has_text="Affacturées échues").locator(".valeur").inner_text()
    ) == _espaces(montant_texte(affacture_echu))
    balance = page.get_by_role("region", name="Balance âgée")
    lignes = balance.locator("tbody tr")
    lues = {}
    for i in range(lignes.count()):
        cellules = lignes.nth(i)
        lues[_espaces(cellules.locator("th").inner_text())] = _espaces(cellules.locator("td").nth(1).inner_text())
    for libelle, montant in tranches.items():
        assert lues[libelle] == _espaces(montant_texte(montant)), (libelle, lues)
    # The chart: one bar per bucket, drawn, the tallest for the largest amount.
    barres = balance.locator("svg rect.barre")
    expect(barres).to_have_count(len(tranches))
    hauteurs = [float(barres.nth(i).get_attribute("height") or 0) for i in range(barres.count())]
    plus_grosse = max(range(len(tranches)), key=lambda i: list(tranches.values())[i])
    assert hauteurs[plus_grosse] == max(hauteurs) > 0
    assert balance.locator("svg").bounding_box()["height"] > 50
    capture(page, "tableau-de-bord")


def test_a_credit_manager_edits_a_template_and_sees_the_preview_update(page, live_server, portefeuille):
    p = portefeuille
    with organisation_scope(p.r.tenant.organisation):
        etape = p.r.standard.etapes.get(nom="Rappel")
    connecter(page, live_server, p.charge.user.email)
    page.goto(f"{live_server.url}/relances/etapes/{etape.pk}/modele/fr/")
    expect(page.locator("#apercu .apercu-sujet")).to_be_visible()
    page.get_by_label("Objet").fill("Rappel amical pour {{ client.raison_sociale }}")
    expect(page.locator("#apercu .apercu-sujet")).to_contain_text("Rappel amical pour")
    # An unknown variable: refused next to the field, with its line and name.
    page.get_by_label("Message").fill("Bonjour,\n{{ client.inconnue }}")
    expect(page.locator("#erreurs-corps")).to_contain_text("inconnue")
    expect(page.locator("#erreurs-corps")).to_contain_text("2")
    capture(page, "modele-erreur")
    page.get_by_label("Message").fill("Bonjour {{ contact.prenom }},\n\n{{ tableau_factures }}\n\nMerci.")
    expect(page.locator("#erreurs-corps")).to_be_empty()
    expect(page.frame_locator("#apercu iframe").locator("body")).to_contain_text("Merci.")
    capture(page, "modele-apercu")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_load_state("networkidle")
    with organisation_scope(p.r.tenant.organisation):
        modele = ModeleMessage.objects.get(etape=etape, langue="fr")
    assert modele.sujet == "Rappel amical pour {{ client.raison_sociale }}"
    assert modele.corps.endswith("Merci.")


def test_the_language_switch_turns_the_page_to_english(page, live_server, portefeuille):
    connecter(page, live_server, portefeuille.charge.user.email)
    page.goto(f"{live_server.url}/clients/{portefeuille.client_du_commercial.pk}/")
    expect(page.get_by_role("tab", name="Factures")).to_be_visible()
    page.get_by_label("Langue").select_option("en")
    page.wait_for_load_state("networkidle")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("tab", name="Invoices")).to_be_visible()
    expect(page.get_by_role("link", name="Dashboard")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    capture(page, "fiche-client-anglais")
    page.goto(f"{live_server.url}/tableau-de-bord/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")


MAIN_PAGES = {
    "clients": "/clients/",
    "factures": "/factures/",
    "relances": "/relances/",
    "taches": "/relances/taches/",
    "litiges": "/litiges/",
    "scenarios": "/relances/scenarios/",
    "parametres": "/organisation/parametres/",
    "membres": "/organisation/membres/",
    "demarrage": "/demarrage/",
    "exports": "/exports/",
}


def test_every_main_page_renders_in_the_browser(page, live_server, portefeuille):
    """A screenshot of each main page (test-artifacts/screenshots/), and no server error on any."""
    connecter(page, live_server, portefeuille.r.tenant.admin.email)
    erreurs: list[str] = []
    page.on("pageerror", lambda erreur: erreurs.append(str(erreur)))
    for nom, chemin in MAIN_PAGES.items():
        reponse = page.goto(f"{live_server.url}{chemin}")
        assert reponse is not None
        assert reponse.status == 200, (nom, reponse.status)
        page.wait_for_load_state("networkidle")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        capture(page, f"page-{nom}")
    page.goto(f"{live_server.url}/clients/{portefeuille.client_du_commercial.pk}/")
    capture(page, "fiche-client")
    assert erreurs == []
