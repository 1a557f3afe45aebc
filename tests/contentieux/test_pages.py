"""Litigation pages: escalate from the client sheet and an invoice, the list, the
detail, transmit and close; the dossier PDF (pdftotext); access, isolation and query counts."""

from __future__ import annotations

import datetime
import subprocess
from decimal import Decimal

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.urls import reverse
from weasyprint import HTML

from contentieux.models import DossierContentieux, StatutDossier
from contentieux.services import dossier_ouvrir
from factures.models import Statut
from litiges.models import LigneLitige, Litige
from recouvrement.tenancy.models import Role
from relances.models import Livraison, Pause, Promesse, StatutPromesse, StatutTache, Tache, TauxReference
from tests.conftest import compter_requetes
from tests.relances.conftest import relance_envoyee

D = datetime.date
J = datetime.timedelta(days=1)
AUJOURD_HUI = D(2026, 11, 27)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _aujourd_hui():
    """The pages compute the claim at the dossier date: a fixed day, whose half-years have rates."""
    with time_machine.travel(datetime.datetime(2026, 11, 27, 10, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture(autouse=True)
def taux_2026(db):
    TauxReference.objects.update_or_create(
        semestre_debut=D(2026, 1, 1), defaults={"taux_bce": Decimal("2.15"), "taux_legal": Decimal("2.62")}
    )
    TauxReference.objects.update_or_create(
        semestre_debut=D(2026, 7, 1), defaults={"taux_bce": Decimal("2.00"), "taux_legal": Decimal("2.50")}
    )


def _texte(pdf: bytes, tmp_path) -> str:
    chemin = tmp_path / "dossier.pdf"
    chemin.write_bytes(pdf)
    sortie = subprocess.run(["pdftotext", str(chemin), "-"], capture_output=True, check=True, text=True).stdout
    return " ".join(sortie.replace("\u00a0", " ").replace("\u202f", " ").split())


def _dossier(r, *, factures=2, jour=None):
    with r.tenant.scope():
        client = r.client()
        liste = [r.facture(client, echeance=AUJOURD_HUI - (40 + i) * J) for i in range(factures)]
        return dossier_ouvrir(
            client=client, factures=liste, destination="avocat", auteur=None, jour=jour or AUJOURD_HUI
        )


def test_the_dossier_pdf_has_the_claim_history_formal_notice_and_invoices(relances, client, tmp_path, taux_2026):
    r = relances
    with r.tenant.scope():
        c = r.client(adresse_complement="Bâtiment C")
        a = r.facture(c, echeance=D(2026, 5, 31), ttc="1200.00", numero="FA-A")
        b = r.facture(c, echeance=D(2026, 3, 15), ttc="2500.00", numero="FA-B")
        b.reste_du = Decimal("2000.00")
        b.statut = Statut.PARTIELLEMENT_PAYEE
        b.save(update_fields=["reste_du", "statut"])
        # A's own PDF was uploaded; B has none (a summary page stands for it)
        a.pdf.save("fa-a.pdf", ContentFile(HTML(string="<p>FACTURE ORIGINALE FA-A 777</p>").write_pdf()))
        relance_envoyee(r, b, "Rappel", le=datetime.datetime(2026, 3, 16, 9, tzinfo=datetime.UTC))
        mise_en_demeure = relance_envoyee(
            r, b, "Mise en demeure", le=datetime.datetime(2026, 5, 4, 9, tzinfo=datetime.UTC)
        ).envoi
        mise_en_demeure.corps_texte = "Nous vous mettons en demeure de régler sous huit jours."
        mise_en_demeure.destinataires = {"a": [f"compta@{c.pk}.client.example"], "cc": []}
        mise_en_demeure.livraison = Livraison.DELIVRE
        mise_en_demeure.courrier_pdf.save(
            "med.pdf", ContentFile(HTML(string="<p>COURRIER IMPRIME DE MISE EN DEMEURE</p>").write_pdf())
        )
        Tache.objects.create(
            client=c,
            facture=b,
            type="appel",
            titre="Appeler",
            echeance=D(2026, 4, 1),
            statut=StatutTache.FAITE,
            resultat="pas_de_reponse",
            note="Messagerie vocale",
            fait_le=datetime.datetime(2026, 4, 1, 10, tzinfo=datetime.UTC),
        )
        Promesse.objects.create(
            client=c, facture=b, montant=Decimal("500.00"), date_promise=D(2026, 4, 15), statut=StatutPromesse.ROMPUE
        )
        litige = Litige.objects.create(client=c, type="prix", description="Prix contesté", statut="resolu_rejete")
        LigneLitige.objects.create(litige=litige, facture=b, montant=Decimal("100.00"))
        dossier = dossier_ouvrir(client=c, factures=[a, b], destination="injonction", auteur=None, jour=D(2026, 11, 20))
    r.tenant.login(client)
    response = client.get(reverse("contentieux:pdf", args=[dossier.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    texte = _texte(response.content, tmp_path)
    # Cover: creditor, debtor with SIREN and address, destination
    assert "Dossier de recouvrement contentieux" in texte
    assert "Destination : Injonction de payer" in texte
    assert r.tenant.organisation.raison_sociale in texte
    assert f"SIREN {c.siren}" in texte
    assert "Bâtiment C" in texte
    assert "69002 LYON" in texte
    # The claim: each half-year with its rate, the indemnities, the totals (hand-computed)
    assert "Du 16/03/2026 au 30/06/2026 (1er semestre 2026) : 2 000,00 € × 12,15 % × 107 j / 365 = 71,24 €" in texte
    assert "Du 01/07/2026 au 20/11/2026 (2e semestre 2026) : 1 200,00 € × 12,00 % × 143 j / 365 = 56,42 €" in texte
    assert "Total du principal 3 200,00 €" in texte
    assert "Total des intérêts de retard 233,67 €" in texte
    assert "Total des indemnités forfaitaires 80,00 €" in texte
    assert "Total réclamé 3 513,67 €" in texte
    # The history: every send with its step, tone, recipients and delivery; the call, promise, dispute
    assert "16/03/2026" in texte
    assert "Rappel (Rappel aimable)" in texte
    assert "Mise en demeure (Mise en demeure)" in texte
    assert f"compta@{c.pk}.client.example" in texte
    assert "Messagerie vocale" in texte
    assert "Pas de réponse" in texte
    assert "500,00 €" in texte
    assert "Rompue" in texte
    assert "Résolu : rejeté" in texte
    # The formal notice, its date, delivery status and text
    assert "3. Mise en demeure" in texte
    assert "Envoyée le 04/05/2026" in texte
    assert "Délivré" in texte
    assert "Nous vous mettons en demeure de régler sous huit jours." in texte
    assert "Aucune mise en demeure" not in texte
    # The invoices: A's own PDF appended, B summarised
    assert "FACTURE ORIGINALE FA-A 777" in texte
    assert "Facture FA-B — résumé" in texte
    assert "Facture FA-A — résumé" not in texte
    # In order: the dossier, its summary pages, the printed formal notice, then the invoices' own PDFs
    assert (
        texte.index("4. Factures")
        < texte.index("Facture FA-B — résumé")
        < texte.index("COURRIER IMPRIME DE MISE EN DEMEURE")
        < texte.index("FACTURE ORIGINALE FA-A 777")
    )


def test_an_unreadable_uploaded_pdf_gets_a_summary_page(relances, client, tmp_path):
    r = relances
    with r.tenant.scope():
        c = r.client()
        f = r.facture(c, echeance=D(2026, 9, 30), numero="FA-CASSE")
        f.pdf.save("casse.pdf", ContentFile(b"%PDF-1.4 ceci n'est pas un PDF"))
        dossier = dossier_ouvrir(client=c, factures=[f], destination="avocat", auteur=None)
    r.tenant.login(client)
    texte = _texte(client.get(reverse("contentieux:pdf", args=[dossier.pk])).content, tmp_path)
    assert "Facture FA-CASSE — résumé" in texte


def test_the_pdf_says_clearly_when_there_is_no_formal_notice(relances, client, tmp_path):
    r = relances
    dossier = _dossier(r, factures=1)
    r.tenant.login(client)
    texte = _texte(client.get(reverse("contentieux:pdf", args=[dossier.pk])).content, tmp_path)
    assert "Aucune mise en demeure n'a été envoyée au débiteur pour ces factures." in texte


def test_escalating_from_the_client_sheet(relances, client):
    r = relances
    with r.tenant.scope():
        c = r.client()
        f1 = r.facture(c, echeance=AUJOURD_HUI - 50 * J)
        f2 = r.facture(c, echeance=AUJOURD_HUI - 20 * J)
        pas_echue = r.facture(c, echeance=AUJOURD_HUI + 10 * J)
    r.tenant.login(client)
    fiche = client.get(reverse("clients:detail", args=[c.pk])).content.decode()
    assert reverse("contentieux:ouvrir", args=[c.pk]) in fiche
    url = reverse("contentieux:ouvrir", args=[c.pk])
    page = client.get(url).content.decode()
    assert f1.numero in page
    assert f2.numero in page
    assert pas_echue.numero not in page
    assert "Aucune mise en demeure n&#x27;a été envoyée" in page or "Aucune mise en demeure n'a été envoyée" in page
    # An injonction without formal notice needs the confirmation
    response = client.post(url, {"destination": "injonction", "factures": [f1.pk, f2.pk], "note": "Client injoignable"})
    assert response.status_code == 200
    with r.tenant.scope():
        assert not DossierContentieux.objects.exists()
    response = client.post(
        url,
        {
            "destination": "injonction",
            "factures": [f1.pk, f2.pk],
            "note": "Client injoignable",
            "sans_mise_en_demeure": "on",
        },
    )
    assert response.status_code == 302
    with r.tenant.scope():
        dossier = DossierContentieux.objects.get()
        assert response["Location"] == reverse("contentieux:detail", args=[dossier.pk])
        assert sorted(dossier.lignes.values_list("facture_id", flat=True)) == sorted([f1.pk, f2.pk])
        assert dossier.note == "Client injoignable"
        assert Pause.objects.filter(levee_le__isnull=True, motif="contentieux").count() == 2


def test_escalating_from_an_invoice_page_preselects_it(relances, client):
    r = relances
    with r.tenant.scope():
        c = r.client()
        f1 = r.facture(c, echeance=AUJOURD_HUI - 50 * J)
        f2 = r.facture(c, echeance=AUJOURD_HUI - 20 * J)
    r.tenant.login(client)
    page = client.get(reverse("factures:detail", args=[f1.pk])).content.decode()
    bouton = reverse("contentieux:ouvrir_facture", args=[f1.pk])
    assert bouton in page
    response = client.get(bouton)
    assert response["Location"] == f"{reverse('contentieux:ouvrir', args=[c.pk])}?facture={f1.pk}"
    formulaire = client.get(response["Location"]).content.decode()
    assert f'value="{f1.pk}" id="facture-{f1.pk}" checked' in formulaire
    assert f'value="{f2.pk}" id="facture-{f2.pk}">' in formulaire


def test_transmit_and_close_from_the_detail(relances, client):
    r = relances
    dossier = _dossier(r)
    r.tenant.login(client)
    detail = reverse("contentieux:detail", args=[dossier.pk])
    assert client.get(detail).status_code == 200
    client.post(
        reverse("contentieux:transmettre", args=[dossier.pk]), {"intervenant": "Cabinet Lex", "reference": "LX-9"}
    )
    with r.tenant.scope():
        dossier.refresh_from_db()
    assert (dossier.statut, dossier.intervenant, dossier.reference) == (StatutDossier.TRANSMIS, "Cabinet Lex", "LX-9")
    assert dossier.transmis_le is not None
    client.post(
        reverse("contentieux:clore", args=[dossier.pk]),
        {"issue": "recouvre_partiellement", "montant_recouvre": "1 000,00", "commentaire": "Saisie"},
    )
    with r.tenant.scope():
        dossier.refresh_from_db()
        assert dossier.statut == StatutDossier.CLOS
        assert dossier.montant_recouvre == Decimal("1000.00")
        assert Pause.objects.filter(levee_le__isnull=True).count() == 2  # not asked to resume
    page = client.get(detail).content.decode()
    assert reverse("contentieux:reprendre", args=[dossier.pk]) in page
    client.post(reverse("contentieux:reprendre", args=[dossier.pk]))
    with r.tenant.scope():
        assert not Pause.objects.filter(levee_le__isnull=True).exists()


def test_the_list_filters(relances, client):
    r = relances
    ouvert = _dossier(r, factures=1)
    with r.tenant.scope():
        c = r.client(raison_sociale="Zèbre Transports")
        f = r.facture(c, echeance=AUJOURD_HUI - 60 * J)
        autre = dossier_ouvrir(client=c, factures=[f], destination="societe_recouvrement", auteur=None)
    r.tenant.login(client)
    url = reverse("contentieux:liste")

    def dossiers(**parametres):
        page = client.get(url, parametres).content.decode()
        return {d.pk for d in (ouvert, autre) if f'data-dossier="{d.pk}"' in page}

    assert dossiers() == {ouvert.pk, autre.pk}
    assert dossiers(destination="avocat") == {ouvert.pk}
    assert dossiers(q="zèbre") == {autre.pk}
    assert dossiers(statut="clos") == set()


@pytest.mark.parametrize("role", [Role.COMMERCIAL, Role.LECTURE])
def test_commercials_and_read_only_members_are_refused(relances, client, role):
    r = relances
    dossier = _dossier(r, factures=1)
    r.tenant.login(client, role)
    for url in (
        reverse("contentieux:liste"),
        reverse("contentieux:detail", args=[dossier.pk]),
        reverse("contentieux:pdf", args=[dossier.pk]),
        reverse("contentieux:ouvrir", args=[dossier.client_id]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("contentieux:clore", args=[dossier.pk]), {"issue": "abandonne"}).status_code == 403
    with r.tenant.scope():
        assert DossierContentieux.objects.get().statut == StatutDossier.OUVERT


@pytest.mark.parametrize("role", [Role.CHARGE, Role.DAF])
def test_credit_managers_and_finance_directors_may(relances, client, role):
    dossier = _dossier(relances, factures=1)
    relances.tenant.login(client, role)
    assert client.get(reverse("contentieux:detail", args=[dossier.pk])).status_code == 200


def test_another_organisations_dossier_is_not_found(relances, client, tenant_b):
    dossier = _dossier(relances, factures=1)
    tenant_b.login(client)
    for nom in ("contentieux:detail", "contentieux:pdf"):
        assert client.get(reverse(nom, args=[dossier.pk])).status_code == 404
    assert client.post(reverse("contentieux:clore", args=[dossier.pk]), {"issue": "abandonne"}).status_code == 404
    with relances.tenant.scope():
        assert DossierContentieux.objects.get().statut == StatutDossier.OUVERT


def test_pages_keep_a_fixed_number_of_queries(relances, client):
    r = relances
    petit = _dossier(r, factures=1)
    r.tenant.login(client)
    liste = reverse("contentieux:liste")
    client.get(liste)  # the first request of a session reads what later ones cache
    avant_liste = compter_requetes(client, liste)
    avant_detail = compter_requetes(client, reverse("contentieux:detail", args=[petit.pk]))
    avant_formulaire = compter_requetes(client, reverse("contentieux:ouvrir", args=[petit.client_id]))
    grand = _dossier(r, factures=6)
    with r.tenant.scope():
        for facture in [ligne.facture for ligne in grand.lignes.select_related("facture")]:
            relance_envoyee(
                r, facture, "Rappel", le=datetime.datetime(2026, 1, 5, 9, tzinfo=datetime.UTC) + facture.pk * J
            )
        for i in range(5):
            r.facture(grand.client, echeance=AUJOURD_HUI - (100 + i) * J)
    for _ in range(4):
        _dossier(r, factures=2)
    assert compter_requetes(client, liste) == avant_liste
    assert compter_requetes(client, reverse("contentieux:detail", args=[grand.pk])) == avant_detail
    assert compter_requetes(client, reverse("contentieux:ouvrir", args=[grand.client_id])) == avant_formulaire


def test_a_missing_reference_rate_is_said_not_guessed(relances, client):
    dossier = _dossier(relances, factures=1, jour=D(2027, 3, 1))  # no rate for 2027-H1 in the tests
    relances.tenant.login(client)
    page = client.get(reverse("contentieux:detail", args=[dossier.pk])).content.decode()
    assert "Taux de référence manquant pour le 1er semestre 2027" in page
    assert reverse("contentieux:pdf", args=[dossier.pk]) not in page
    response = client.get(reverse("contentieux:pdf", args=[dossier.pk]))
    assert response.status_code == 302


def test_the_menu_shows_litigation_to_credit_managers_only(relances, client):
    relances.tenant.login(client, Role.CHARGE)
    assert reverse("contentieux:liste") in client.get(reverse("clients:liste")).content.decode()
    relances.tenant.login(client, Role.COMMERCIAL)
    assert reverse("contentieux:liste") not in client.get(reverse("clients:liste")).content.decode()
