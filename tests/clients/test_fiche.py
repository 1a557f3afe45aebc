"""The client sheet: its tabs, the next planned step of each invoice, the actions a
credit manager and a sales rep take from it, and the account statement PDF."""

from __future__ import annotations

import datetime
import shutil
import subprocess
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.services import note_add
from litiges.models import LigneLitige, Litige
from recouvrement.tenancy.context import organisation_scope
from recouvrement.tenancy.models import Role
from relances.models import (
    Pause,
    Promesse,
    Relance,
    ResultatAppel,
    ScenarioImpose,
)
from relances.services.pauses import pause_create
from relances.services.planification import organisation_planifier, prochaines_etapes
from tests.factories import FactureFactory
from tests.relances.conftest import STANDARD, creer_scenario, relance_envoyee

JEUDI = datetime.date(2026, 11, 26)
pytestmark = pytest.mark.usefixtures("_jour_fixe")


@pytest.fixture
def _jour_fixe():
    with time_machine.travel(datetime.datetime(2026, 11, 26, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


# ---------------------------------------------------------------------------
# The next step of each invoice
# ---------------------------------------------------------------------------


def test_next_step_follows_the_last_reminder_sent(scope_relances):
    r = scope_relances
    client = r.client()
    # Due 5 days ago, "Rappel" (J+1) sent: next is "Relance ferme" (J+15) on the due date + 15,
    # Friday 11 December 2026.
    facture = r.facture(client, echeance=JEUDI - datetime.timedelta(days=5))
    relance_envoyee(r, facture, "Rappel", le=datetime.datetime(2026, 11, 22, 9, tzinfo=datetime.UTC))
    prochaine = prochaines_etapes(client_id=client.pk, jour=JEUDI)[facture.pk]
    assert (prochaine.nom, prochaine.date) == ("Relance ferme", datetime.date(2026, 12, 6) + datetime.timedelta(days=1))


def test_next_step_moves_to_a_business_day_and_respects_the_preventive_rule(scope_relances):
    r = scope_relances
    client = r.client()
    # Due in 12 days: the preventive (J-10) goes on Saturday 28 → Monday 30 November.
    a_echoir = r.facture(client, echeance=JEUDI + datetime.timedelta(days=12))
    # Due in 5 days: the preventive is due and not planned yet (today's planning has not run): today.
    bientot = r.facture(client, echeance=JEUDI + datetime.timedelta(days=5))
    # Due today, never reminded: a preventive never goes on or after the due date, so next is J+1.
    aujourd_hui = r.facture(client, echeance=JEUDI)
    prochaines = prochaines_etapes(client_id=client.pk, jour=JEUDI)
    assert (prochaines[a_echoir.pk].nom, prochaines[a_echoir.pk].date) == ("Préventive", datetime.date(2026, 11, 30))
    assert (prochaines[bientot.pk].nom, prochaines[bientot.pk].date) == ("Préventive", JEUDI)
    assert (prochaines[aujourd_hui.pk].nom, prochaines[aujourd_hui.pk].date) == ("Rappel", datetime.date(2026, 11, 27))


def test_next_step_after_a_gap_is_the_latest_due_one_at_once(scope_relances):
    """Catch-up, as the planning does it: 40 days late with only J+1 sent → J+30 today, not J+15."""
    r = scope_relances
    client = r.client()
    facture = r.facture(client, echeance=JEUDI - datetime.timedelta(days=40))
    relance_envoyee(r, facture, "Rappel", le=datetime.datetime(2026, 10, 19, 9, tzinfo=datetime.UTC))
    prochaine = prochaines_etapes(client_id=client.pk, jour=JEUDI)[facture.pk]
    assert (prochaine.nom, prochaine.date) == ("Dernier rappel", JEUDI)
    # And it is what the planning creates that day.
    organisation_planifier(jour=JEUDI)
    assert Relance.objects.filter(facture=facture, date_prevue=JEUDI).get().etape.nom == "Dernier rappel"


def test_paused_invoices_have_no_next_step_and_imposed_scenarios_count(scope_relances):
    r = scope_relances
    client = r.client()
    en_pause = r.facture(client, echeance=JEUDI + datetime.timedelta(days=20))
    pause_create(motif="manuelle", facture=en_pause)
    doux = creer_scenario("Doux", [("Premier rappel doux", 20, *STANDARD[1][2:])])
    imposee = r.facture(client, echeance=JEUDI - datetime.timedelta(days=3))
    ScenarioImpose.objects.create(facture=imposee, scenario=doux)
    prochaines = prochaines_etapes(client_id=client.pk, jour=JEUDI)
    assert en_pause.pk not in prochaines
    assert (prochaines[imposee.pk].nom, prochaines[imposee.pk].date) == (
        "Premier rappel doux",
        datetime.date(2026, 12, 14),
    )


# ---------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------


@pytest.fixture
def fiche(relances):
    """A client with an invoice reminded once, another never, and the credit manager's login."""
    with relances.tenant.scope():
        client = relances.client(commercial=relances.commercial)
        relancee = relances.facture(client, echeance=JEUDI - datetime.timedelta(days=5), numero="FA-RELANCEE")
        relance_envoyee(relances, relancee, "Rappel", le=datetime.datetime(2026, 11, 22, 9, 30, tzinfo=datetime.UTC))
        jamais = relances.facture(client, echeance=JEUDI + datetime.timedelta(days=12), numero="FA-JAMAIS")
    return relances, client, relancee, jamais


def test_the_invoices_tab_shows_the_last_and_next_reminder_of_each_invoice(client, fiche):
    r, cible, _relancee, _jamais = fiche
    client.force_login(r.charge.user)
    page = client.get(reverse("clients:detail", args=[cible.pk])).content.decode()
    ligne_relancee = page.split('data-facture="FA-RELANCEE"')[1].split("</tr>")[0]
    assert "22/11/2026" in ligne_relancee
    assert "Rappel · E-mail" in ligne_relancee
    assert "07/12/2026" in ligne_relancee
    assert "Relance ferme" in ligne_relancee
    ligne_jamais = page.split('data-facture="FA-JAMAIS"')[1].split("</tr>")[0]
    assert "jamais relancée" in ligne_jamais
    assert "30/11/2026" in ligne_jamais
    assert "Préventive" in ligne_jamais


@pytest.mark.parametrize("onglet", ["factures", "relances", "contacts", "litiges", "echeancier", "historique"])
def test_each_tab_is_a_page_and_an_htmx_partial(client, fiche, onglet):
    r, cible, _relancee, _jamais = fiche
    client.force_login(r.charge.user)
    url = reverse("clients:detail", args=[cible.pk]) + f"?onglet={onglet}"
    page = client.get(url)
    assert page.status_code == 200
    assert (
        f'id="onglet-{onglet}" href="?onglet={onglet}" aria-controls="onglet-contenu"\n         aria-selected="true"'
        in (page.content.decode())
    )
    partiel = client.get(url, headers={"HX-Request": "true", "HX-Target": "onglets"})
    assert partiel.status_code == 200
    html = partiel.content.decode()
    assert "<html" not in html
    assert 'id="onglets"' in html
    assert cible.raison_sociale not in html.split('id="onglet-contenu"')[0]  # not the header


def _grow(r, cible, n):
    with r.tenant.scope():
        for i in range(n):
            facture = r.facture(cible, echeance=JEUDI - datetime.timedelta(days=3 + i))
            le = datetime.datetime(2026, 11, 20, 9, tzinfo=datetime.UTC) - datetime.timedelta(days=i + 30 * (n > 5))
            relance_envoyee(r, facture, "Rappel", le=le)
            note_add(client=cible, auteur=r.tenant.admin, texte=f"Note {i}")
            Promesse.objects.create(client=cible, montant=Decimal("10.00"), date_promise=JEUDI)
            autre = r.client()
            r.facture(autre, echeance=JEUDI)
        # disputes on the client
        from litiges.services import litige_ouvrir

        litige_ouvrir(client=cible, factures=[(facture, None)], type="prix", description="Prix", auteur=None)


@pytest.mark.parametrize("onglet", ["factures", "relances", "contacts", "litiges", "echeancier", "historique"])
def test_each_tab_runs_a_fixed_number_of_queries(client, fiche, onglet):
    r, cible, _relancee, _jamais = fiche
    client.force_login(r.charge.user)
    url = reverse("clients:detail", args=[cible.pk]) + f"?onglet={onglet}"
    client.get(url)
    _grow(r, cible, 2)
    with CaptureQueriesContext(connection) as petit:
        assert client.get(url).status_code == 200
    _grow(r, cible, 12)
    with CaptureQueriesContext(connection) as grand:
        assert client.get(url).status_code == 200
    assert len(petit) == len(grand), f"{onglet}: {len(petit)} then {len(grand)} queries"
    assert len(grand) <= 30


# ---------------------------------------------------------------------------
# Sales reps
# ---------------------------------------------------------------------------


def test_a_sales_rep_sees_his_client_read_only_and_not_another_reps(client, fiche):
    r, cible, _relancee, _jamais = fiche
    with r.tenant.scope():
        autre = r.client(commercial=None)
    client.force_login(r.commercial.user)
    page = client.get(reverse("clients:detail", args=[cible.pk])).content.decode()
    assert "22/11/2026" in page  # the last reminder date of his client's invoice
    assert reverse("clients:modifier", args=[cible.pk]) not in page
    assert reverse("factures:paiement_creer") not in page
    assert reverse("clients:appel", args=[cible.pk]) in page  # he logs calls
    assert client.get(reverse("clients:detail", args=[autre.pk])).status_code == 404
    assert client.get(reverse("clients:releve", args=[autre.pk])).status_code == 404
    assert client.get(reverse("clients:modifier", args=[cible.pk])).status_code == 403


def test_a_sales_rep_adds_a_note_records_a_promise_and_opens_a_dispute(client, fiche):
    r, cible, relancee, jamais = fiche
    client.force_login(r.commercial.user)
    client.post(reverse("clients:note_ajouter", args=[cible.pk]), {"texte": "Vu le client au salon."})
    reponse = client.post(
        reverse("clients:promesse", args=[cible.pk]),
        {"montant": "1 200,00", "date_promise": "2026-12-10", "facture": relancee.numero, "note": "Virement"},
    )
    assert reponse.status_code == 302
    reponse = client.post(
        reverse("litiges:ouvrir", args=[cible.pk]),
        {"type": "qualite", "description": "Pièces abîmées", "factures": [jamais.pk], f"montant_{jamais.pk}": "300"},
    )
    assert reponse.status_code == 302
    with r.tenant.scope():
        promesse = Promesse.objects.get()
        assert (promesse.montant, promesse.prise_par_id, promesse.facture_id) == (
            Decimal("1200.00"),
            r.commercial.pk,
            relancee.pk,
        )
        assert Pause.objects.filter(facture=relancee, motif="promesse", jusqu_au__isnull=False).exists()
        ligne = LigneLitige.objects.get()
        assert (ligne.facture_id, ligne.montant, ligne.litige.responsable_id) == (jamais.pk, Decimal("300.00"), None)
        historique = " ".join(cible.evenements.values_list("message", flat=True))
    assert "Vu le client au salon." in historique
    assert "Promesse" in historique
    assert "Litige ouvert" in historique


def test_a_promise_in_the_past_is_refused_next_to_the_field(client, fiche):
    r, cible, _relancee, _jamais = fiche
    client.force_login(r.commercial.user)
    reponse = client.post(
        reverse("clients:promesse", args=[cible.pk]), {"montant": "100", "date_promise": "2026-11-01"}
    )
    assert reponse.status_code == 400
    html = reponse.content.decode()
    assert 'id="id_date_promise_erreurs"' in html
    assert "La date promise est passée." in html
    with r.tenant.scope():
        assert not Promesse.objects.exists()


def test_read_only_members_cannot_write_from_the_sheet(client, fiche):
    r, cible, _relancee, _jamais = fiche
    r.tenant.login(client, Role.LECTURE)
    assert client.get(reverse("clients:detail", args=[cible.pk])).status_code == 200
    assert client.post(reverse("clients:note_ajouter", args=[cible.pk]), {"texte": "x"}).status_code == 403
    assert client.get(reverse("litiges:ouvrir", args=[cible.pk])).status_code == 403


# ---------------------------------------------------------------------------
# Disputes and calls from the sheet
# ---------------------------------------------------------------------------


def test_a_dispute_opened_from_the_sheet_stops_only_that_invoice(client, fiche):
    r, cible, relancee, _jamais = fiche
    with r.tenant.scope():
        autre_facture = r.facture(cible, echeance=JEUDI - datetime.timedelta(days=20), numero="FA-AUTRE")
    client.force_login(r.charge.user)
    formulaire = client.get(reverse("litiges:ouvrir", args=[cible.pk]) + f"?facture={relancee.pk}").content.decode()
    assert f'value="{relancee.pk}" id="facture-{relancee.pk}" checked' in formulaire
    reponse = client.post(
        reverse("litiges:ouvrir", args=[cible.pk]),
        {"type": "prix", "description": "Remise oubliée", "factures": [relancee.pk], "responsable": r.charge.pk},
    )
    with r.tenant.scope():
        litige = Litige.objects.get()
        assert reponse["Location"] == reverse("litiges:detail", args=[litige.pk])
        organisation_planifier(jour=JEUDI + datetime.timedelta(days=1))
        planifiees = set(
            Relance.objects.filter(date_prevue=JEUDI + datetime.timedelta(days=1)).values_list(
                "facture__numero", flat=True
            )
        )
    assert planifiees == {"FA-AUTRE"}
    # Settled: the invoice is chased again at the next planning.
    client.post(reverse("litiges:statut", args=[litige.pk]), {"statut": "resolu_rejete", "resolution": "Prix justes"})
    with r.tenant.scope():
        # Monday 7 December: 16 days late, "Relance ferme" (J+15) is due.
        lundi = JEUDI + datetime.timedelta(days=11)
        organisation_planifier(jour=lundi)
        assert Relance.objects.get(facture=relancee, date_prevue=lundi).etape.nom == "Relance ferme"
        assert autre_facture.pk


def test_a_dispute_form_refuses_bad_amounts_and_foreign_invoices_next_to_the_field(client, fiche, tenant_b):
    r, cible, relancee, _jamais = fiche
    with tenant_b.scope():
        etrangere = FactureFactory()
    client.force_login(r.charge.user)
    url = reverse("litiges:ouvrir", args=[cible.pk])
    trop = client.post(
        url, {"type": "prix", "description": "x", "factures": [relancee.pk], f"montant_{relancee.pk}": "5000"}
    )
    assert trop.status_code == 200
    assert "Entre 0 et le reste dû de la facture." in trop.content.decode()
    illisible = client.post(
        url, {"type": "prix", "description": "x", "factures": [relancee.pk], f"montant_{relancee.pk}": "douze"}
    ).content.decode()
    assert f'id="erreur-montant-{relancee.pk}"' in illisible
    assert "Saisissez un montant, par exemple 1 250,50." in illisible
    assert "Montant contesté invalide pour FA-RELANCEE." in illisible
    aucune = client.post(url, {"type": "prix", "description": "x", "factures": [etrangere.pk]})
    assert "id_factures_erreurs" in aucune.content.decode()
    vide = client.post(url, {"type": "prix", "description": "x"})
    assert "Choisissez au moins une facture contestée." in vide.content.decode()
    with r.tenant.scope():
        assert not Litige.objects.exists()
        assert not Pause.objects.exists()


def test_a_call_with_a_dispute_outcome_opens_a_dispute_on_that_invoice(client, fiche):
    r, cible, relancee, _jamais = fiche
    client.force_login(r.charge.user)
    sans_facture = client.post(
        reverse("clients:appel", args=[cible.pk]), {"resultat": ResultatAppel.LITIGE, "note": "Conteste"}
    )
    assert sans_facture.status_code == 400
    assert "Indiquez la facture contestée" in sans_facture.content.decode()
    inconnue = client.post(
        reverse("clients:appel", args=[cible.pk]),
        {"resultat": ResultatAppel.LITIGE, "note": "Conteste", "facture": "FA-AUTRE-CLIENT"},
    )
    assert "Aucune facture ouverte de ce client ne porte ce numéro." in inconnue.content.decode()
    client.post(
        reverse("clients:appel", args=[cible.pk]),
        {"resultat": ResultatAppel.LITIGE, "note": "Quantités contestées", "facture": relancee.numero},
    )
    with r.tenant.scope():
        litige = Litige.objects.get()
        assert litige.description == "Quantités contestées"
        assert list(litige.lignes.values_list("facture_id", flat=True)) == [relancee.pk]
        assert Pause.objects.get().origine == f"litige:{litige.pk}"


# ---------------------------------------------------------------------------
# Account statement
# ---------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")
def test_the_account_statement_lists_open_pieces_and_the_balance(client, fiche, tmp_path):
    r, cible, _relancee, _jamais = fiche
    with organisation_scope(r.tenant.organisation, user_id=r.tenant.admin.pk):
        from factures.services import paiement_create

        paiement_create(client=cible, montant=Decimal("150.00"), date_paiement=JEUDI, reference="VIR-42")
        FactureFactory(client=cible, numero="FA-PAYEE", statut="payee", reste_du=Decimal("0.00"))
    client.force_login(r.commercial.user)
    reponse = client.get(reverse("clients:releve", args=[cible.pk]))
    assert reponse.status_code == 200
    assert reponse["Content-Type"] == "application/pdf"
    assert "attachment;" in reponse["Content-Disposition"]
    fichier = tmp_path / "releve.pdf"
    fichier.write_bytes(reponse.content)
    texte = subprocess.run(
        ["pdftotext", "-layout", str(fichier), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Relevé de compte au 26/11/2026" in texte
    assert "FA-RELANCEE" in texte
    assert "FA-JAMAIS" in texte
    assert "FA-PAYEE" not in texte
    assert "VIR-42" in texte
    # 2 × 1 200,00 due, 1 200,00 overdue, 150,00 unallocated payment → balance 2 250,00.
    lignes = [" ".join(ligne.replace("\u202f", " ").replace("\xa0", " ").split()) for ligne in texte.splitlines()]

    def ligne(debut: str) -> str:
        return next(x for x in lignes if x.startswith(debut))

    assert "2 400,00" in ligne("Total dû")
    assert "1 200,00" in ligne("dont échu")
    assert "150,00" in ligne("Crédits en votre faveur")
    assert "2 250,00" in ligne("Solde")


def test_the_invoices_tab_pages_through_a_client_with_many_invoices(client, fiche):
    r, cible, _relancee, _jamais = fiche
    with r.tenant.scope():
        for i in range(55):
            r.facture(cible, echeance=JEUDI + datetime.timedelta(days=20 + i), numero=f"FA-LOT-{i:03d}")
    client.force_login(r.charge.user)
    url = reverse("clients:detail", args=[cible.pk])
    premiere = client.get(url).content.decode()
    assert premiere.count("data-facture=") == 50
    assert "Page 1 sur 2" in premiere
    assert "57 pièces ouvertes" in premiere
    seconde = client.get(url, {"onglet": "factures", "page": 2}, headers={"HX-Request": "true", "HX-Target": "onglets"})
    html = seconde.content.decode()
    assert html.count("data-facture=") == 7
    # The next step is computed for the invoices of this page too.
    ligne = html.split('data-facture="FA-LOT-054"')[1].split("</tr>")[0]
    assert "Préventive" in ligne
