# ruff: noqa: E501  (the CII XML of the MINIMUM fixture is kept one element per line)
"""Factur-X imports: PDFs generated in the test with the ``factur-x`` package (a CII XML of
profile EN 16931 or MINIMUM embedded in a WeasyPrint PDF), and broken ones; each file of a
batch on its own; the buyer matched among the organisation's clients only."""

from __future__ import annotations

import datetime
import functools
import io
from decimal import Decimal

import facturx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfWriter

from clients.models import Client
from factures.models import Facture, Lettrage, Nature, Paiement, Statut
from imports import facturx as service
from imports.facturx import StatutImport, facturx_importer
from imports.facturx_demo import cii_xml, facturx_demo_creer
from recouvrement.tenancy.models import Role
from tests.factories import ClientFactory, siren_valide

SIREN_ACHETEUR = siren_valide(777)
TVA_ACHETEUR = f"FR{(12 + 3 * (int(SIREN_ACHETEUR) % 97)) % 97:02d}{SIREN_ACHETEUR}"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@functools.cache
def pdf_de_base() -> bytes:
    from weasyprint import HTML

    return HTML(string="<h1>Facture</h1><p>Le PDF lisible par un humain.</p>").write_pdf()


def cii(*, acheteur_siren: str = SIREN_ACHETEUR, acheteur_tva: str = TVA_ACHETEUR, **champs) -> bytes:
    return cii_xml(acheteur_siren=acheteur_siren, acheteur_tva=acheteur_tva, **champs)


def facturx_pdf(xml: bytes) -> bytes:
    """A real Factur-X PDF/A-3: the package checks the XML against the XSD as it embeds it."""
    return facturx.generate_from_binary(pdf_de_base(), xml)


def pdf_avec_piece(nom: str, contenu: bytes) -> bytes:
    """A PDF with any file attached (no check): for the broken cases."""
    ecrivain = PdfWriter(clone_from=io.BytesIO(pdf_de_base()))
    ecrivain.add_attachment(nom, contenu)
    sortie = io.BytesIO()
    ecrivain.write(sortie)
    return sortie.getvalue()


def importer(tenant, nom: str, contenu: bytes):
    with tenant.scope():
        return facturx_importer(organisation=tenant.organisation, nom=nom, contenu=contenu, auteur=tenant.admin)


def test_a_factur_x_pdf_creates_the_invoice_with_its_figures_and_pdf(tenant_a):
    xml = cii(vendeur_siren=tenant_a.organisation.siren)
    assert facturx.xml_check_xsd(xml) is True
    resultat = importer(tenant_a, "F-2026-001.pdf", facturx_pdf(xml))
    assert (resultat.statut, resultat.client_cree) == (StatutImport.CREEE, True), resultat.message
    with tenant_a.scope():
        facture = Facture.objects.select_related("client").get()
        assert facture.numero == "F-2026-001"
        assert facture.nature == Nature.FACTURE
        assert (facture.date_emission, facture.date_echeance) == (
            datetime.date(2026, 11, 1),
            datetime.date(2026, 12, 1),
        )
        assert (facture.montant_ht, facture.montant_tva, facture.montant_ttc) == (
            Decimal("1000.00"),
            Decimal("200.00"),
            Decimal("1200.00"),
        )
        assert (facture.reste_du, facture.statut, facture.devise) == (Decimal("1200.00"), Statut.OUVERTE, "EUR")
        assert facture.numero_commande == "BC-77"
        # The buyer party became the client.
        client = facture.client
        assert (client.raison_sociale, client.siren, client.tva_intracom) == (
            "Acheteur Industries SA",
            SIREN_ACHETEUR,
            TVA_ACHETEUR,
        )
        assert facture.pdf.name.endswith(".pdf")


def test_the_attached_pdf_is_the_uploaded_file(tenant_a):
    contenu = facturx_pdf(cii(vendeur_siren=tenant_a.organisation.siren))
    importer(tenant_a, "a.pdf", contenu)
    with tenant_a.scope():
        facture = Facture.objects.get()
        with facture.pdf.open("rb") as fichier:
            assert fichier.read() == contenu


def test_imported_again_it_is_updated_not_duplicated(tenant_a):
    siren = tenant_a.organisation.siren
    with tenant_a.scope():
        connu = ClientFactory(raison_sociale="Acheteur connu", siren=SIREN_ACHETEUR)
    assert importer(tenant_a, "v1.pdf", facturx_pdf(cii(vendeur_siren=siren))).statut == StatutImport.CREEE
    corrige = cii(vendeur_siren=siren, ht="1500.00", tva="300.00", ttc="1800.00", echeance="20261215")
    resultat = importer(tenant_a, "v2.pdf", facturx_pdf(corrige))
    assert resultat.statut == StatutImport.MISE_A_JOUR, resultat.message
    with tenant_a.scope():
        facture = Facture.objects.get()  # one invoice, not two
        assert facture.client_id == connu.pk
        assert (facture.montant_ht, facture.montant_ttc, facture.reste_du) == (
            Decimal("1500.00"),
            Decimal("1800.00"),
            Decimal("1800.00"),
        )
        assert facture.date_echeance == datetime.date(2026, 12, 15)
        assert Client.objects.count() == 1


def test_an_allocated_invoice_keeps_its_amounts(tenant_a):
    siren = tenant_a.organisation.siren
    importer(tenant_a, "v1.pdf", facturx_pdf(cii(vendeur_siren=siren)))
    with tenant_a.scope():
        facture = Facture.objects.get()
        paiement = Paiement.objects.create(
            client=facture.client,
            date_paiement=datetime.date(2026, 11, 20),
            montant=Decimal("200.00"),
            montant_non_affecte=Decimal("0.00"),
        )
        Lettrage.objects.create(facture=facture, paiement=paiement, montant=Decimal("200.00"))
        Facture.objects.filter(pk=facture.pk).update(reste_du=Decimal("1000.00"), statut=Statut.PARTIELLEMENT_PAYEE)
    resultat = importer(
        tenant_a, "v2.pdf", facturx_pdf(cii(vendeur_siren=siren, ht="900.00", tva="180.00", ttc="1080.00"))
    )
    assert (resultat.statut, resultat.code) == (StatutImport.REFUSEE, "facture_lettree")
    assert "déjà réglée ou lettrée" in resultat.message
    with tenant_a.scope():
        facture.refresh_from_db()
        assert (facture.montant_ttc, facture.reste_du) == (Decimal("1200.00"), Decimal("1000.00"))
    # The same amounts (a new PDF, a later due date): accepted.
    resultat = importer(tenant_a, "v3.pdf", facturx_pdf(cii(vendeur_siren=siren, echeance="20261231")))
    assert resultat.statut == StatutImport.MISE_A_JOUR, resultat.message
    with tenant_a.scope():
        facture.refresh_from_db()
        assert (facture.date_echeance, facture.reste_du) == (datetime.date(2026, 12, 31), Decimal("1000.00"))


def test_a_credit_note_381(tenant_a):
    siren = tenant_a.organisation.siren
    resultat = importer(
        tenant_a,
        "av.pdf",
        facturx_pdf(cii(vendeur_siren=siren, numero="AV-9", type_code="381", ht="100.00", tva="20.00", ttc="120.00")),
    )
    assert resultat.statut == StatutImport.CREEE, resultat.message
    with tenant_a.scope():
        avoir = Facture.objects.get()
        assert (avoir.numero, avoir.nature, avoir.montant_ttc) == ("AV-9", Nature.AVOIR, Decimal("120.00"))


def test_without_due_date_the_clients_terms_give_it(tenant_a):
    with tenant_a.scope():
        ClientFactory(siren=SIREN_ACHETEUR, delai_paiement_jours=45)
    importer(tenant_a, "f.pdf", facturx_pdf(cii(vendeur_siren=tenant_a.organisation.siren, echeance=None)))
    with tenant_a.scope():
        assert Facture.objects.get().date_echeance == datetime.date(2026, 12, 16)


ORDER_X = b"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:SCRDMCCBDACIOMessageStructure xmlns:rsm="urn:un:unece:uncefact:data:SCRDMCCBDACIOMessageStructure:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:128">
<rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:order-x.eu:1p0:basic</ram:ID>
</ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext></rsm:SCRDMCCBDACIOMessageStructure>"""


@pytest.mark.parametrize(
    ("cas", "code", "extrait"),
    [
        ("pdf_sans_xml", "xml_absent", "ne contient pas de XML Factur-X"),
        ("pas_un_pdf", "pas_un_pdf", "n'est pas un PDF"),
        ("xsd", "xsd_invalide", "non conforme au schéma Factur-X (profil EN 16931)"),
        ("vendeur", "vendeur_different", "n'est pas votre société"),
        ("totaux", "totaux_incoherents", "HT 1000.00 + TVA 200.00 ≠ TTC 1250.00"),
        ("net", "totaux_incoherents", "net à payer 1100.00"),
        ("order_x", "order_x", "c'est une commande, pas une facture"),
        ("entite", "xml_dangereux", "DOCTYPE"),
        ("pdf_casse", "pdf_illisible", "PDF illisible"),
    ],
)
def test_a_broken_file_is_refused_with_its_reason(tenant_a, cas, code, extrait):
    siren = tenant_a.organisation.siren
    bon = cii(vendeur_siren=siren)
    contenus = {
        "pdf_sans_xml": pdf_de_base,
        "pas_un_pdf": lambda: b"numero;montant\nF1;12\n",
        # The document's ID after its type code: the XSD wants them in order.
        "xsd": lambda: pdf_avec_piece(
            "factur-x.xml",
            bon.replace(b"<ram:ID>F-2026-001</ram:ID>", b"").replace(
                b"</ram:TypeCode>", b"</ram:TypeCode><ram:ID>F-2026-001</ram:ID>"
            ),
        ),
        "vendeur": lambda: facturx_pdf(cii(vendeur_siren=siren_valide(4242))),
        "totaux": lambda: pdf_avec_piece("factur-x.xml", cii(vendeur_siren=siren, ttc="1250.00")),
        "net": lambda: pdf_avec_piece("factur-x.xml", cii(vendeur_siren=siren, du="1100.00")),
        "order_x": lambda: pdf_avec_piece("order-x.xml", ORDER_X),
        "entite": lambda: pdf_avec_piece(
            "factur-x.xml", bon.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>', 1)
        ),
        "pdf_casse": lambda: b"%PDF-1.7\n" + b"\x00" * 200,
    }
    resultat = importer(tenant_a, f"{cas}.pdf", contenus[cas]())
    assert (resultat.statut, resultat.code) == (StatutImport.REFUSEE, code), resultat.message
    assert extrait in resultat.message
    with tenant_a.scope():
        assert not Facture.objects.exists()
        assert not Client.objects.exists()


def test_a_too_big_file_is_refused(tenant_a, monkeypatch):
    monkeypatch.setattr(service, "TAILLE_MAX", 1000)
    resultat = importer(tenant_a, "gros.pdf", facturx_pdf(cii(vendeur_siren=tenant_a.organisation.siren)))
    assert (resultat.statut, resultat.code) == (StatutImport.REFUSEE, "fichier_trop_gros")


def test_another_tenants_client_is_never_matched(tenant_a, tenant_b):
    with tenant_b.scope():
        autre = ClientFactory(raison_sociale="Client de B", siren=SIREN_ACHETEUR)
    resultat = importer(tenant_a, "f.pdf", facturx_pdf(cii(vendeur_siren=tenant_a.organisation.siren)))
    assert (resultat.statut, resultat.client_cree) == (StatutImport.CREEE, True)
    with tenant_a.scope():
        facture = Facture.objects.get()
        assert facture.client_id != autre.pk
        assert facture.client.raison_sociale == "Acheteur Industries SA"
    with tenant_b.scope():
        assert not Facture.objects.exists()
    # The same number in B is B's own invoice: created there, A's untouched.
    resultat_b = importer(tenant_b, "f.pdf", facturx_pdf(cii(vendeur_siren=tenant_b.organisation.siren)))
    assert (resultat_b.statut, resultat_b.client_cree) == (StatutImport.CREEE, False)
    with tenant_b.scope():
        assert Facture.objects.get().client_id == autre.pk


def test_the_page_imports_a_batch_each_file_on_its_own(client, tenant_a):
    siren = tenant_a.organisation.siren
    tenant_a.login(client)
    assert client.get(reverse("imports:facturx")).status_code == 200
    fichiers = [
        SimpleUploadedFile("bonne-1.pdf", facturx_pdf(cii(vendeur_siren=siren, numero="F-1")), "application/pdf"),
        SimpleUploadedFile("sans-xml.pdf", pdf_de_base(), "application/pdf"),
        SimpleUploadedFile("bonne-2.pdf", facturx_pdf(cii(vendeur_siren=siren, numero="F-2")), "application/pdf"),
    ]
    response = client.post(reverse("imports:facturx"), {"fichiers": fichiers})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('data-statut="creee"') == 2
    assert page.count('data-statut="refusee"') == 1
    assert "ne contient pas de XML Factur-X" in page
    with tenant_a.scope():
        assert sorted(Facture.objects.values_list("numero", flat=True)) == ["F-1", "F-2"]
    # HTMX: the results fragment only.
    fragment = client.post(
        reverse("imports:facturx"),
        {"fichiers": [SimpleUploadedFile("x.pdf", b"pas un pdf")]},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert fragment.startswith('<section id="resultats-facturx"')
    assert "n&#x27;est pas un PDF" in fragment or "n'est pas un PDF" in fragment
    assert client.post(reverse("imports:facturx"), {}).status_code == 400


@pytest.mark.parametrize("role", [Role.COMMERCIAL, Role.LECTURE])
def test_only_members_who_manage_receivables_import(client, tenant_a, role):
    tenant_a.login(client, role=role)
    assert client.get(reverse("imports:facturx")).status_code == 403


def test_the_demo_imports_two_factur_x_invoices(tenant_a, settings, tmp_path):
    jour = datetime.date(2026, 11, 27)
    with tenant_a.scope():
        connu = ClientFactory(raison_sociale="Client connu")
        premiers = facturx_demo_creer(organisation=tenant_a.organisation, jour=jour)
        assert [(r.nom, r.statut) for r in premiers] == [
            ("FX-DEMO-001.pdf", StatutImport.CREEE),
            ("FX-DEMO-002.pdf", StatutImport.CREEE),
        ], [r.message for r in premiers]
        again = facturx_demo_creer(organisation=tenant_a.organisation, jour=jour)
        assert [r.statut for r in again] == [StatutImport.MISE_A_JOUR] * 2
        factures = {f.numero: f for f in Facture.objects.select_related("client")}
        assert set(factures) == {"FX-DEMO-001", "FX-DEMO-002"}
        assert factures["FX-DEMO-001"].client_id == connu.pk
        assert factures["FX-DEMO-001"].montant_ttc == Decimal("3000.00")
        assert factures["FX-DEMO-002"].client.raison_sociale == "Nouvel Acheteur Factur-X SAS"
        assert factures["FX-DEMO-002"].date_echeance == datetime.date(2026, 12, 25)
    assert (tmp_path / "demo" / "facturx" / "FX-DEMO-002.pdf").read_bytes().startswith(b"%PDF")


def minimum_xml(*, vendeur_siren: str) -> bytes:
    """Profile MINIMUM: no lines, no due date, the buyer by its SIREN only."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:factur-x.eu:1p0:minimum</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument><ram:ID>M-1</ram:ID><ram:TypeCode>380</ram:TypeCode><ram:IssueDateTime><udt:DateTimeString format="102">20261101</udt:DateTimeString></ram:IssueDateTime></rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty><ram:Name>Vendeur</ram:Name><ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">{vendeur_siren}</ram:ID></ram:SpecifiedLegalOrganization><ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress></ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>Acheteur minimum</ram:Name><ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">{SIREN_ACHETEUR}</ram:ID></ram:SpecifiedLegalOrganization></ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:TaxBasisTotalAmount>100.00</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">5.50</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>105.50</ram:GrandTotalAmount>
        <ram:DuePayableAmount>105.50</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>""".encode()


def test_a_minimum_profile_invoice(tenant_a):
    with tenant_a.scope():
        connu = ClientFactory(siren=SIREN_ACHETEUR, delai_paiement_jours=30)
    resultat = importer(tenant_a, "m.pdf", facturx_pdf(minimum_xml(vendeur_siren=tenant_a.organisation.siren)))
    assert (resultat.statut, resultat.client_cree) == (StatutImport.CREEE, False), resultat.message
    with tenant_a.scope():
        facture = Facture.objects.get()
        assert (facture.numero, facture.client_id) == ("M-1", connu.pk)
        assert (facture.montant_ht, facture.montant_tva, facture.montant_ttc) == (
            Decimal("100.00"),
            Decimal("5.50"),
            Decimal("105.50"),
        )
        assert facture.date_echeance == datetime.date(2026, 12, 1)
