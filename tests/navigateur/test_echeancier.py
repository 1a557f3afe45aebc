"""In Chromium: a credit manager proposes a 3-installment payment plan from the client
sheet, checks the schedule before confirming, and downloads the agreement PDF."""

from __future__ import annotations

import datetime
import subprocess
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from recouvrement.tenancy.context import organisation_scope
from relances.models import Echeancier, Pause, StatutEcheancier
from tests.navigateur.conftest import capture, connecter

pytestmark = pytest.mark.e2e


def test_a_credit_manager_creates_a_payment_plan_from_the_client_sheet(page, live_server, portefeuille):
    p = portefeuille
    premiere = timezone.localdate() + datetime.timedelta(days=10)
    connecter(page, live_server, p.charge.user.email)
    page.goto(f"{live_server.url}/clients/{p.client_du_commercial.pk}/?onglet=echeancier")
    expect(page.get_by_text("Aucun échéancier pour ce client.")).to_be_visible()
    page.get_by_text("Proposer un échéancier", exact=True).click()
    # FA-1001 (1,800.00) and FA-1002 (960.00): 2,760.00 in 3 installments of 920.00.
    page.get_by_role("checkbox", name="FA-1001").check()
    page.get_by_role("checkbox", name="FA-1002").check()
    page.get_by_label("Nombre de versements").fill("3")
    page.get_by_label("Premier versement le").fill(premiere.isoformat())
    page.get_by_role("button", name="Voir l'échéancier").click()
    apercu = page.locator("#tableau-apercu-echeancier tbody tr")
    expect(apercu).to_have_count(3)
    expect(apercu.nth(0)).to_contain_text(premiere.strftime("%d/%m/%Y"))
    expect(apercu.nth(2)).to_contain_text("920,00")
    with organisation_scope(p.r.tenant.organisation):
        assert not Echeancier.objects.exists()  # a preview writes nothing
    capture(page, "echeancier-apercu")
    page.get_by_role("button", name="Confirmer et créer l'échéancier").click()
    expect(page.get_by_text("créé : les relances de ses factures sont suspendues.")).to_be_visible()
    carte = page.locator("article.echeancier")
    expect(carte).to_have_count(1)
    expect(carte.locator("tbody tr")).to_have_count(3)
    expect(carte).to_contain_text("En cours")
    capture(page, "echeancier-cree")
    with organisation_scope(p.r.tenant.organisation):
        echeancier = Echeancier.objects.get()
        assert echeancier.statut == StatutEcheancier.ACTIF
        assert (
            list(echeancier.versements.order_by("numero").values_list("principal", flat=True))
            == [Decimal("920.00")] * 3
        )
        assert sorted(
            Pause.objects.filter(origine=f"echeancier:{echeancier.pk}").values_list("facture__numero", flat=True)
        ) == ["FA-1001", "FA-1002"]
    with page.expect_download() as telechargement:
        carte.get_by_role("link", name="Accord (PDF)").click()
    chemin = telechargement.value.path()
    contenu = open(chemin, "rb").read()  # noqa: SIM115
    assert contenu.startswith(b"%PDF")
    texte = subprocess.run(["pdftotext", "-layout", chemin, "-"], capture_output=True, check=True).stdout.decode()
    texte = texte.replace("\u202f", " ").replace("\xa0", " ")
    assert "FA-1001" in texte
    assert "2 760,00" in texte
    assert texte.count("920,00") >= 3
