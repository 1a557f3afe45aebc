"""Invoice and payment pages, end to end through the views."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from factures.models import Facture, Paiement, Statut
from recouvrement.tenancy.models import Role
from tests.factories import ClientFactory, MembreFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_an_invoice_entered_in_the_page_gets_its_due_date_and_pdf(client, tenant_a):
    with tenant_a.scope():
        rep = MembreFactory(role=Role.COMMERCIAL)
        acheteur = ClientFactory(delai_paiement_jours=45, fin_de_mois=True, commercial=rep)
    tenant_a.login(client)
    response = client.post(
        reverse("factures:creer"),
        {
            "client": acheteur.pk,
            "numero": "FA-2026-0001",
            "nature": "facture",
            "date_emission": "2026-11-02",
            "montant_ht": "1 250,50",
            "montant_tva": "250,10",
            "support_paiement": "virement",
            "pdf": SimpleUploadedFile("fa.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    with tenant_a.scope():
        facture = Facture.objects.get(numero="FA-2026-0001")
    assert facture.montant_ttc == Decimal("1500.60")
    assert facture.date_echeance == datetime.date(2026, 12, 31)  # 17 December, then month end
    download = client.get(reverse("factures:pdf", args=[facture.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF
    # The sales rep of the client may read it; another rep may not.
    client.force_login(rep.user)
    assert client.get(reverse("factures:pdf", args=[facture.pk])).status_code == 200
    with tenant_a.scope():
        autre = MembreFactory(role=Role.COMMERCIAL)
    client.force_login(autre.user)
    assert client.get(reverse("factures:pdf", args=[facture.pk])).status_code == 404


def test_a_duplicate_invoice_number_is_reported_on_the_field(client, tenant_a):
    with tenant_a.scope():
        acheteur = ClientFactory()
    tenant_a.login(client)
    data = {
        "client": acheteur.pk,
        "numero": "FA-1",
        "nature": "facture",
        "date_emission": "2026-11-02",
        "montant_ht": "100",
        "montant_tva": "20",
        "support_paiement": "virement",
    }
    assert client.post(reverse("factures:creer"), data).status_code == 302
    response = client.post(reverse("factures:creer"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["numero"] == ["Ce numéro de facture existe déjà dans votre organisation."]


def test_record_a_payment_then_allocate_it_from_the_invoice_page(client, tenant_a):
    with tenant_a.scope():
        acheteur = ClientFactory()
    tenant_a.login(client)
    client.post(
        reverse("factures:creer"),
        {
            "client": acheteur.pk,
            "numero": "FA-9",
            "nature": "facture",
            "date_emission": "2026-10-01",
            "montant_ht": "1000",
            "montant_tva": "200",
            "support_paiement": "virement",
        },
    )
    response = client.post(
        reverse("factures:paiement_creer"),
        {
            "client": acheteur.pk,
            "date_paiement": "2026-11-20",
            "montant": "700,00",
            "moyen": "virement",
            "reference": "VIR 123",
        },
    )
    assert response.status_code == 302
    with tenant_a.scope():
        facture = Facture.objects.get(numero="FA-9")
        paiement = Paiement.objects.get()
    page = client.get(reverse("factures:detail", args=[facture.pk])).content.decode()
    assert f"paiement:{paiement.pk}" in page
    response = client.post(
        reverse("factures:lettrer", args=[facture.pk]), {"source": f"paiement:{paiement.pk}", "montant": "700,00"}
    )
    assert response.status_code == 302
    with tenant_a.scope():
        facture.refresh_from_db()
    assert (facture.reste_du, facture.statut) == (Decimal("500.00"), Statut.PARTIELLEMENT_PAYEE)
    # Too much: refused next to the amount, nothing changes.
    response = client.post(
        reverse("factures:lettrer", args=[facture.pk]), {"source": f"paiement:{paiement.pk}", "montant": "10,00"}
    )
    assert response.status_code == 400
    assert "source" in response.context["lettrage_form"].errors


@pytest.mark.parametrize(
    ("saisie", "valeur"),
    [
        ("1 250,50", "1250.50"),
        ("1\u202f250,50\u00a0€", "1250.50"),
        ("1250.5", "1250.50"),
        ("0,01", "0.01"),
        ("1.250,50", "1250.50"),
        ("1,250.50", "1250.50"),
    ],
)
def test_amounts_are_read_as_people_type_them(saisie, valeur):
    from recouvrement.core.forms import MontantField

    assert MontantField().clean(saisie) == Decimal(valeur)


@pytest.mark.parametrize("saisie", ["douze", "1.2.3", "12,345", "1,2,3.4.5"])
def test_ambiguous_or_wrong_amounts_are_refused(saisie):
    from django.core.exceptions import ValidationError

    from recouvrement.core.forms import MontantField

    with pytest.raises(ValidationError):
        MontantField().clean(saisie)
