"""In Chromium: a credit manager opens a dispute from the client sheet, comments on it, and
resolves it with a credit note; the invoice is then settled and the dispute resolved."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from factures.models import Facture, Nature, Statut
from litiges.models import CommentaireLitige, Litige
from recouvrement.tenancy.context import organisation_scope
from relances.models import Pause
from tests.navigateur.conftest import capture, connecter

pytestmark = pytest.mark.e2e


def test_a_credit_manager_opens_comments_and_resolves_a_dispute_with_a_credit_note(
    page, live_server, portefeuille, file_isolee, settings, tmp_path
):
    p = portefeuille
    settings.MEDIA_ROOT = tmp_path
    connecter(page, live_server, p.charge.user.email)
    page.goto(f"{live_server.url}/clients/{p.client_du_commercial.pk}/")
    page.get_by_text("Ouvrir un litige", exact=True).click()
    page.get_by_role("link", name="Choisir les factures contestées…").click()
    page.get_by_label("Type").select_option(label="Prix")
    page.get_by_label("Description").fill("Remise de 10 % non appliquée.")
    page.get_by_role("checkbox", name="FA-1001").check()
    page.get_by_role("button", name="Ouvrir le litige").click()
    expect(page.get_by_text("Litige ouvert : les relances des factures contestées sont suspendues.")).to_be_visible()
    expect(page.locator("#statut-litige")).to_have_text("Ouvert")

    # A comment, appended in place by HTMX; the form comes back empty.
    page.get_by_role("textbox", name="Commentaire").fill("Le client confirme : remise oubliée sur la commande.")
    page.get_by_role("button", name="Ajouter le commentaire").click()
    expect(page.locator("#commentaires")).to_contain_text("Le client confirme : remise oubliée sur la commande.")
    expect(page.get_by_role("textbox", name="Commentaire")).to_have_value("")
    expect(page.locator("#aucun-commentaire")).to_have_count(0)

    # Resolved with a credit note for the whole disputed amount (the default).
    page.get_by_label("Nouveau statut").select_option(label="Résolu : avoir émis")
    page.get_by_label("Résolution").fill("Avoir de la totalité accordé.")
    capture(page, "litige-resolution")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_text("Litige mis à jour.")).to_be_visible()
    expect(page.locator("#statut-litige")).to_have_text("Résolu : avoir émis")
    ligne = page.locator('tr[data-facture="FA-1001"]')
    expect(ligne).to_contain_text("Payée")
    expect(ligne).to_contain_text("0,00")
    expect(page.locator("#commentaires")).to_contain_text("remise oubliée")
    capture(page, "litige-resolu")

    with organisation_scope(p.r.tenant.organisation):
        litige = Litige.objects.get()
        assert litige.statut == "resolu_avoir"
        facture = Facture.objects.get(numero="FA-1001")
        assert (facture.reste_du, facture.statut) == (Decimal("0.00"), Statut.PAYEE)
        avoir = Facture.objects.get(nature=Nature.AVOIR)
        assert (avoir.facture_origine_id, avoir.montant_ttc) == (facture.pk, Decimal("1800.00"))
        assert CommentaireLitige.objects.get().auteur_id == p.charge.user_id
        assert not Pause.objects.filter(levee_le__isnull=True).exists()

    # The invoice's own page says it is settled.
    page.goto(f"{live_server.url}/factures/{facture.pk}/")
    expect(page.locator(".badge.payee").first).to_be_visible()

    # The list shows it among all the disputes; the settings page is one click away.
    page.goto(f"{live_server.url}/litiges/?statut=tous")
    expect(page.locator(f'tr[data-litige="{litige.pk}"]')).to_contain_text("Résolu : avoir émis")
    capture(page, "litiges-liste")
    page.get_by_role("link", name="Délais de résolution").click()
    expect(page.get_by_label("Livraison")).to_have_value("10")
    capture(page, "litiges-parametres")
