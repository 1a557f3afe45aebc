# ruff: noqa: E501  (the CII XML is kept one element per line)
"""Factur-X samples: a CII invoice of profile EN 16931 written from a few figures, embedded in
a PDF with the ``factur-x`` package. For the demo (``facturx_demo_creer``) and the tests.

In the demo, two invoices of the organisation arrive as Factur-X PDFs (one for a known
client, one for a buyer the organisation does not know yet) and the same PDFs are left in
``MEDIA_ROOT/demo/facturx/`` to be dropped again on the import page (they then update).
"""

from __future__ import annotations

import datetime
from pathlib import Path
from xml.sax.saxutils import escape

import facturx
from django.conf import settings

from clients.models import Client
from imports.facturx import ResultatFichier, facturx_importer
from recouvrement.tenancy.models import Organisation


def cii_xml(
    *,
    vendeur_siren: str,
    numero: str = "F-2026-001",
    type_code: str = "380",
    emission: str = "20261101",
    echeance: str | None = "20261201",
    acheteur_siren: str,
    acheteur_nom: str = "Acheteur Industries SA",
    acheteur_tva: str = "",
    ht: str = "1000.00",
    tva: str = "200.00",
    ttc: str = "1200.00",
    du: str | None = None,
    devise: str = "EUR",
    commande: str = "BC-77",
) -> bytes:
    """A CII invoice of profile EN 16931 (one line, VAT 20 %)."""
    du = ttc if du is None else du
    tva_acheteur = (
        f'<ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">{escape(acheteur_tva)}</ram:ID></ram:SpecifiedTaxRegistration>'
        if acheteur_tva
        else ""
    )
    terme = (
        f'<ram:SpecifiedTradePaymentTerms><ram:DueDateDateTime><udt:DateTimeString format="102">{echeance}'
        "</udt:DateTimeString></ram:DueDateDateTime></ram:SpecifiedTradePaymentTerms>"
        if echeance
        else ""
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>{escape(numero)}</ram:ID>
    <ram:TypeCode>{type_code}</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">{emission}</udt:DateTimeString></ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct><ram:Name>Prestation</ram:Name></ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>{ht}</ram:ChargeAmount></ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="C62">1</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>20</ram:RateApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>{ht}</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty>
        <ram:Name>Vendeur SAS</ram:Name>
        <ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">{vendeur_siren}</ram:ID></ram:SpecifiedLegalOrganization>
        <ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty>
        <ram:Name>{escape(acheteur_nom)}</ram:Name>
        <ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">{acheteur_siren}</ram:ID></ram:SpecifiedLegalOrganization>
        <ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>
        {tva_acheteur}
      </ram:BuyerTradeParty>
      <ram:BuyerOrderReferencedDocument><ram:IssuerAssignedID>{escape(commande)}</ram:IssuerAssignedID></ram:BuyerOrderReferencedDocument>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>{devise}</ram:InvoiceCurrencyCode>
      <ram:ApplicableTradeTax><ram:CalculatedAmount>{tva}</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode><ram:BasisAmount>{ht}</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>20</ram:RateApplicablePercent></ram:ApplicableTradeTax>
      {terme}
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>{ht}</ram:LineTotalAmount>
        <ram:TaxBasisTotalAmount>{ht}</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="{devise}">{tva}</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>{ttc}</ram:GrandTotalAmount>
        <ram:DuePayableAmount>{du}</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
""".encode()


def facturx_pdf_exemple(xml: bytes, *, titre: str = "Facture") -> bytes:
    """A Factur-X PDF/A-3 of ``xml`` (the package checks it against the XSD as it embeds it)."""
    from weasyprint import HTML

    pdf = HTML(string=f"<h1>{escape(titre)}</h1><p>PDF lisible ; le XML Factur-X est joint.</p>").write_pdf()
    resultat: bytes = facturx.generate_from_binary(pdf, xml)
    return resultat


def facturx_demo_creer(*, organisation: Organisation, jour: datetime.date) -> list[ResultatFichier]:
    """Import two Factur-X invoices dated ``jour`` (inside the organisation's scope; works on
    SQLite) and keep their PDFs in ``MEDIA_ROOT/demo/facturx/``. Idempotent: a second call
    updates the same two invoices."""
    connu = Client.objects.exclude(siren="").order_by("pk").first()
    emission = jour - datetime.timedelta(days=2)
    echeance = emission + datetime.timedelta(days=30)
    pieces = []
    if connu is not None:
        pieces.append(
            (
                "FX-DEMO-001.pdf",
                cii_xml(
                    vendeur_siren=organisation.siren,
                    numero="FX-DEMO-001",
                    emission=f"{emission:%Y%m%d}",
                    echeance=f"{echeance:%Y%m%d}",
                    acheteur_siren=connu.siren,
                    acheteur_nom=connu.raison_sociale,
                    ht="2500.00",
                    tva="500.00",
                    ttc="3000.00",
                    commande="BC-2026-118",
                ),
            )
        )
    pieces.append(
        (
            "FX-DEMO-002.pdf",
            cii_xml(
                vendeur_siren=organisation.siren,
                numero="FX-DEMO-002",
                emission=f"{emission:%Y%m%d}",
                echeance=f"{echeance:%Y%m%d}",
                acheteur_siren="732829320",
                acheteur_nom="Nouvel Acheteur Factur-X SAS",
                acheteur_tva="FR44732829320",
                ht="840.00",
                tva="168.00",
                ttc="1008.00",
            ),
        )
    )
    dossier = Path(settings.MEDIA_ROOT) / "demo" / "facturx"
    dossier.mkdir(parents=True, exist_ok=True)
    resultats = []
    for nom, xml in pieces:
        contenu = facturx_pdf_exemple(xml, titre=nom.removesuffix(".pdf"))
        (dossier / nom).write_bytes(contenu)
        resultats.append(facturx_importer(organisation=organisation, nom=nom, contenu=contenu))
    return resultats
