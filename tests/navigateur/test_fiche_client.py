"""In Chromium: the client sheet a sales rep relies on, disputes from it, and the letter approval."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from litiges.models import Litige
from recouvrement.tenancy.context import organisation_scope
from relances.models import Canal, Envoi, Relance, StatutEnvoi
from relances.services.planification import organisation_planifier
from tests.navigateur.conftest import capture, connecter
from tests.smtp import ServeurSMTP
from tests.worker import Worker, attendre, env_du_worker

pytestmark = pytest.mark.e2e


def test_a_sales_rep_sees_when_each_unpaid_invoice_was_last_chased_and_not_another_reps_client(
    page, live_server, portefeuille
):
    p = portefeuille
    connecter(page, live_server, p.commercial.user.email)
    page.goto(f"{live_server.url}/clients/")
    expect(page.get_by_role("link", name="Mes clients", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Transports Durand SARL")).to_have_count(0)
    page.get_by_role("link", name="Boulangeries Martin SAS").click()
    expect(page.get_by_role("heading", name="Boulangeries Martin SAS")).to_be_visible()
    aujourd_hui = timezone.localdate()
    attendus = {
        "FA-1001": (aujourd_hui - datetime.timedelta(days=25)).strftime("%d/%m/%Y"),
        "FA-1002": (aujourd_hui - datetime.timedelta(days=4)).strftime("%d/%m/%Y"),
    }
    for numero, date in attendus.items():
        cellule = page.locator(f'tr[data-facture="{numero}"] td.derniere-relance')
        expect(cellule).to_contain_text(date)
    expect(page.locator('tr[data-facture="FA-1003"] td.derniere-relance')).to_contain_text("jamais relancée")
    expect(page.locator('tr[data-facture="FA-1003"] td.prochaine-etape')).to_contain_text("Préventive")
    # Amounts are read-only for him: no edit, no payment.
    expect(page.get_by_role("link", name="Modifier")).to_have_count(0)
    expect(page.get_by_role("link", name="Enregistrer un paiement")).to_have_count(0)
    capture(page, "fiche-client-commercial")
    # The tabs load in place (HTMX) and each has its address.
    page.get_by_role("tab", name="Historique").click()
    expect(page.get_by_label("Note")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/clients/{p.client_du_commercial.pk}/?onglet=historique")
    page.get_by_label("Note").fill("Appelé au salon, paiement promis pour la fin du mois.")
    page.get_by_role("button", name="Ajouter la note").click()
    expect(page.locator(".chronologie")).to_contain_text("Appelé au salon")
    # Another rep's client: the same answer as a client that does not exist.
    reponse = page.goto(f"{live_server.url}/clients/{p.client_de_l_autre.pk}/")
    assert reponse is not None
    assert reponse.status == 404


def test_opening_a_dispute_from_the_client_sheet_takes_the_invoice_out_of_the_next_planning(
    page, live_server, portefeuille
):
    p = portefeuille
    connecter(page, live_server, p.charge.user.email)
    page.goto(f"{live_server.url}/clients/{p.client_du_commercial.pk}/")
    page.get_by_text("Ouvrir un litige", exact=True).click()
    page.get_by_role("link", name="Choisir les factures contestées…").click()
    page.get_by_label("Type").select_option(label="Qualité")
    page.get_by_label("Description").fill("Deux palettes livrées abîmées.")
    page.get_by_role("checkbox", name="FA-1001").check()
    capture(page, "litige-ouverture")
    page.get_by_role("button", name="Ouvrir le litige").click()
    expect(page.get_by_text("Litige ouvert : les relances des factures contestées sont suspendues.")).to_be_visible()
    with organisation_scope(p.r.tenant.organisation):
        litige = Litige.objects.get()
        assert list(litige.lignes.values_list("facture__numero", flat=True)) == ["FA-1001"]
        # 45 days after the due date of FA-1001 the letter step would be due; it is not planned.
        jour = timezone.localdate() + datetime.timedelta(days=7)
        organisation_planifier(jour=jour, forcer=True)
        planifiees = set(Relance.objects.filter(date_prevue=jour).values_list("facture__numero", flat=True))
    assert "FA-1001" not in planifiees
    assert "FA-1003" in planifiees  # the other invoices of the client are still chased
    page.goto(f"{live_server.url}/clients/{p.client_du_commercial.pk}/?onglet=factures")
    expect(page.locator('tr[data-facture="FA-1001"]')).to_contain_text("en litige")


def test_a_credit_manager_approves_a_letter_and_downloads_its_pdf(
    page, live_server, portefeuille, tmp_path, settings, file_isolee, taux_2026_s2
):
    p = portefeuille
    settings.MEDIA_ROOT = tmp_path
    with organisation_scope(p.r.tenant.organisation):
        # 50 days late: the planning makes the « Mise en demeure » letter, which waits for approval.
        facture = p.r.facture(
            p.client_du_commercial, echeance=timezone.localdate() - datetime.timedelta(days=50), numero="FA-0950"
        )
        organisation_planifier(jour=timezone.localdate(), forcer=True)
        envoi = Envoi.objects.get(client=facture.client, date_prevue=timezone.localdate())
        assert (envoi.canal, envoi.statut) == (Canal.COURRIER, StatutEnvoi.A_VALIDER)
    connecter(page, live_server, p.charge.user.email)
    page.goto(f"{live_server.url}/relances/")
    capture(page, "relances-a-valider")
    page.goto(f"{live_server.url}/relances/envois/{envoi.pk}/")
    capture(page, "relance-apercu")
    with ServeurSMTP() as smtp:
        env = env_du_worker(
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(smtp.port),
            CELERY_TASK_DEFAULT_QUEUE=file_isolee,
            MEDIA_ROOT=str(tmp_path),
        )
        with Worker(env=env, journal=tmp_path / "worker.log", queues=file_isolee) as worker:
            page.get_by_role("button", name="Valider et envoyer").click()
            expect(page.get_by_text("Relance validée : elle part maintenant.")).to_be_visible()

            def envoyee() -> bool:
                with organisation_scope(p.r.tenant.organisation):
                    envoi.refresh_from_db()
                return envoi.statut == StatutEnvoi.ENVOYE

            attendre(envoyee, worker=worker, message="the approved letter")
    assert envoi.courrier_pdf
    page.goto(f"{live_server.url}/relances/envois/{envoi.pk}/")
    with page.expect_download() as telechargement:
        page.get_by_role("link", name="Courrier (PDF)").click()
    chemin = tmp_path / "courrier.pdf"
    telechargement.value.save_as(chemin)
    assert chemin.read_bytes()[:5] == b"%PDF-"
