"""Factur-X imports: a PDF invoice with its CII XML embedded becomes an invoice (or a
credit note) of the organisation, with the PDF attached.

Each file is read with the ``factur-x`` package (the embedded ``factur-x.xml``, its
flavor and profile, the XSD of that profile), then parsed with lxml by a parser that
fetches nothing and expands no entity. A file is refused with its reason when it is
not a PDF, too big, carries no Factur-X XML, an Order-X order, an XML the XSD rejects,
totals that do not add up, a seller that is not the organisation, or an invoice whose
amounts may no longer change (paid or allocated). Each file is its own transaction:
the others of a batch go in.

The client is the buyer: found by SIRET, then SIREN, then VAT number among the
organisation's clients (the scoped manager and row-level security never reach another
organisation's), and created from the buyer party when unknown.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import facturx
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from lxml import etree

from clients.models import Client
from clients.services import client_create
from factures.models import Facture, Lettrage, Nature, Statut, statut_pour
from factures.services import facture_create, lock_factures
from recouvrement.core.errors import ApplicationError
from recouvrement.core.validators import normaliser_siren, normaliser_siret, normaliser_tva, siren_de_la_tva
from recouvrement.tenancy.models import Organisation

logger = logging.getLogger(__name__)

TAILLE_MAX = 10 * 1024 * 1024  # bytes; a Factur-X invoice is rarely over 1 MB
FICHIERS_MAX = 50  # per batch
TOLERANCE = Decimal("0.005")
CENTIME = Decimal("0.01")

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
NOMS_XML = ["factur-x.xml", "zugferd-invoice.xml", "order-x.xml", "xrechnung.xml"]
NATURES = {"380": Nature.FACTURE, "384": Nature.FACTURE, "381": Nature.AVOIR}
PROFILS = {
    "minimum": "MINIMUM",
    "basicwl": "BASIC WL",
    "basic": "BASIC",
    "en16931": "EN 16931",
    "extended": "EXTENDED",
}
# ISO 6523 identifiers of the legal registration (BT-30, BT-47): SIREN and SIRET.
SCHEMA_SIREN, SCHEMA_SIRET = "0002", "0009"


class StatutImport:
    CREEE = "creee"
    MISE_A_JOUR = "mise_a_jour"
    REFUSEE = "refusee"


@dataclass
class Partie:
    nom: str = ""
    siren: str = ""
    siret: str = ""
    tva: str = ""


@dataclass
class FactureFacturX:
    """What the CII XML says (amounts as Decimal, dates as dates)."""

    numero: str
    nature: str
    date_emission: datetime.date
    date_echeance: datetime.date | None
    devise: str
    montant_ht: Decimal
    montant_tva: Decimal
    montant_ttc: Decimal
    net_a_payer: Decimal
    deja_paye: Decimal
    numero_commande: str
    facture_origine: str
    vendeur: Partie
    acheteur: Partie
    profil: str


@dataclass
class ResultatFichier:
    """One file of a batch: its outcome, the reason when refused, the invoice otherwise."""

    nom: str
    statut: str
    message: str
    code: str = ""
    facture: Facture | None = None
    client_cree: bool = False
    avertissements: list[str] = field(default_factory=list)

    @property
    def refuse(self) -> bool:
        return self.statut == StatutImport.REFUSEE


def _refus(message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, field="fichier")


# Reading --------------------------------------------------------------------------------------


def _parser() -> etree.XMLParser:
    """No network, no entity expansion, no DTD: the XML is untrusted."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def xml_extraire(contenu: bytes) -> tuple[bytes, str]:
    """The embedded XML of a Factur-X PDF and its file name. Refuses what is not a PDF
    carrying one. The XSD is checked afterwards, with the reason kept (``facturx_lire``)."""
    if len(contenu) > TAILLE_MAX:
        raise _refus(
            _("Fichier trop volumineux (%(taille)s Mo, au plus %(max)s Mo).")
            % {"taille": round(len(contenu) / 1024 / 1024, 1), "max": TAILLE_MAX // 1024 // 1024},
            "fichier_trop_gros",
        )
    if b"%PDF-" not in contenu[:1024]:
        raise _refus(_("Ce fichier n'est pas un PDF."), "pas_un_pdf")
    try:
        nom_xml, xml = facturx.get_xml_from_pdf(contenu, check_xsd=False, filenames=NOMS_XML)
    except Exception as erreur:  # noqa: BLE001  (pypdf raises many kinds on a damaged file)
        logger.info("Unreadable PDF: %s", erreur)
        raise _refus(_("PDF illisible ou endommagé."), "pdf_illisible") from None
    if not nom_xml or not xml:
        raise _refus(
            _("Ce PDF ne contient pas de XML Factur-X : ce n'est pas une facture électronique."),
            "xml_absent",
        )
    return xml, str(nom_xml)


def _texte(racine: Any, chemin: str) -> str:
    valeurs = racine.xpath(chemin, namespaces=NS)
    if not valeurs:
        return ""
    valeur = valeurs[0]
    return (valeur if isinstance(valeur, str) else (valeur.text or "")).strip()


def _date(racine: Any, chemin: str, libelle: str, *, requise: bool) -> datetime.date | None:
    texte = _texte(racine, chemin)
    if not texte:
        if requise:
            raise _refus(_("Date absente : %(champ)s.") % {"champ": libelle}, "date_absente")
        return None
    try:
        if len(texte) != 8 or not texte.isdigit():
            raise ValueError(texte)
        return datetime.date(int(texte[:4]), int(texte[4:6]), int(texte[6:]))
    except ValueError:
        raise _refus(
            _("Date invalide (%(champ)s) : « %(valeur)s », format AAAAMMJJ attendu.")
            % {"champ": libelle, "valeur": texte[:20]},
            "date_invalide",
        ) from None


def _montant(racine: Any, chemin: str, libelle: str, *, devise: str = "", requis: bool = True) -> Decimal:
    elements = racine.xpath(chemin, namespaces=NS)
    if devise and len(elements) > 1:
        # The tax total may be given twice: in the invoice's currency and in the accounting one.
        elements = [e for e in elements if e.get("currencyID") in (None, devise)] or elements
    texte = (elements[0].text or "").strip() if elements else ""
    if not texte:
        if requis:
            raise _refus(_("Montant absent : %(champ)s.") % {"champ": libelle}, "montant_absent")
        return Decimal("0.00")
    try:
        valeur = Decimal(texte)
    except InvalidOperation:
        valeur = Decimal("NaN")
    if not valeur.is_finite():
        raise _refus(
            _("Montant invalide (%(champ)s) : « %(valeur)s ».") % {"champ": libelle, "valeur": texte[:20]},
            "montant_invalide",
        )
    return valeur


def _partie(racine: Any, chemin: str) -> Partie:
    partie = Partie(nom=_texte(racine, f"{chemin}/ram:Name")[:200])
    for identifiant in racine.xpath(f"{chemin}/ram:SpecifiedLegalOrganization/ram:ID", namespaces=NS):
        valeur = normaliser_siret(identifiant.text)
        schema = identifiant.get("schemeID", "")
        if schema == SCHEMA_SIRET or (not schema and len(valeur) == 14):
            partie.siret = valeur
            partie.siren = valeur[:9]
        elif schema == SCHEMA_SIREN or (not schema and len(valeur) == 9):
            partie.siren = valeur
    for identifiant in racine.xpath(f"{chemin}/ram:SpecifiedTaxRegistration/ram:ID", namespaces=NS):
        if identifiant.get("schemeID", "VA") == "VA":
            partie.tva = normaliser_tva(identifiant.text)
    if not partie.siren and partie.tva:
        partie.siren = siren_de_la_tva(partie.tva) or ""
    return partie


def facturx_lire(contenu: bytes) -> FactureFacturX:
    """Read and check one Factur-X PDF. Raises ``ApplicationError`` with the reason."""
    xml, _nom_xml = xml_extraire(contenu)
    if b"<!DOCTYPE" in xml[:2048].upper() or b"<!ENTITY" in xml.upper():
        raise _refus(_("XML refusé : les déclarations DOCTYPE et ENTITY ne sont pas admises."), "xml_dangereux")
    try:
        racine = etree.fromstring(xml, parser=_parser())
    except etree.XMLSyntaxError as erreur:
        raise _refus(_("XML mal formé : %(erreur)s") % {"erreur": str(erreur)[:200]}, "xml_mal_forme") from None
    try:
        flavor = facturx.get_flavor(racine)
    except Exception:  # noqa: BLE001  (the package raises a bare Exception: an unknown root element)
        flavor = ""
    if flavor == "order-x":
        raise _refus(
            _("Document Order-X : c'est une commande, pas une facture. Seules les factures Factur-X sont importées."),
            "order_x",
        )
    if flavor != "factur-x":
        raise _refus(
            _("Le XML embarqué n'est pas une facture Factur-X (CII) : format non pris en charge."),
            "format_non_pris_en_charge",
        )
    try:
        niveau = facturx.get_level(racine, flavor)
    except Exception:  # noqa: BLE001  (a bare Exception or ValueError from the package)
        raise _refus(_("Profil Factur-X inconnu (identifiant de contexte du document)."), "profil_inconnu") from None
    try:
        facturx.xml_check_xsd(racine, flavor=flavor, level=niveau)
    except Exception as erreur:  # noqa: BLE001  (the package wraps the XSD error in a bare Exception)
        detail = str(erreur).split("Here is the error, which may give you an idea on the cause of the problem:")[-1]
        raise _refus(
            _("XML non conforme au schéma Factur-X (profil %(profil)s) : %(erreur)s")
            % {"profil": PROFILS.get(niveau, niveau), "erreur": detail.strip()[:300]},
            "xsd_invalide",
        ) from None
    return _facture_du_xml(racine, PROFILS.get(niveau, niveau))


def _facture_du_xml(racine: Any, profil: str) -> FactureFacturX:
    document = "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument"
    transaction_ = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction"
    accord = f"{transaction_}/ram:ApplicableHeaderTradeAgreement"
    reglement = f"{transaction_}/ram:ApplicableHeaderTradeSettlement"
    totaux = f"{reglement}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"

    numero = _texte(racine, f"{document}/ram:ID")
    if not numero:
        raise _refus(_("Numéro de facture absent."), "numero_absent")
    if len(numero) > 50:
        raise _refus(_("Numéro de facture trop long (50 caractères au plus)."), "numero_trop_long")
    code = _texte(racine, f"{document}/ram:TypeCode")
    if code not in NATURES:
        raise _refus(
            _(
                "Type de document %(code)s non importé : seuls 380 (facture), "
                "384 (facture rectificative) et 381 (avoir)."
            )
            % {"code": code or "?"},
            "type_document",
        )
    devise = (_texte(racine, f"{reglement}/ram:InvoiceCurrencyCode") or "EUR").upper()[:3]
    ht = _montant(racine, f"{totaux}/ram:TaxBasisTotalAmount", "TaxBasisTotalAmount")
    tva = _montant(racine, f"{totaux}/ram:TaxTotalAmount", "TaxTotalAmount", devise=devise, requis=False)
    ttc = _montant(racine, f"{totaux}/ram:GrandTotalAmount", "GrandTotalAmount")
    net = _montant(racine, f"{totaux}/ram:DuePayableAmount", "DuePayableAmount")
    deja_paye = _montant(racine, f"{totaux}/ram:TotalPrepaidAmount", "TotalPrepaidAmount", requis=False)
    arrondi = _montant(racine, f"{totaux}/ram:RoundingAmount", "RoundingAmount", requis=False)
    for libelle, valeur in (("TaxBasisTotalAmount", ht), ("TaxTotalAmount", tva), ("GrandTotalAmount", ttc)):
        if valeur < 0 or valeur != valeur.quantize(CENTIME):
            raise _refus(
                _("Montant %(champ)s invalide : %(valeur)s (positif, au centime).")
                % {"champ": libelle, "valeur": valeur},
                "montant_invalide",
            )
    if abs(ht + tva - ttc) > TOLERANCE:
        raise _refus(
            _("Totaux incohérents : HT %(ht)s + TVA %(tva)s ≠ TTC %(ttc)s.") % {"ht": ht, "tva": tva, "ttc": ttc},
            "totaux_incoherents",
        )
    if abs(ttc - deja_paye + arrondi - net) > TOLERANCE:
        raise _refus(
            _("Totaux incohérents : TTC %(ttc)s − acompte %(acompte)s ≠ net à payer %(net)s.")
            % {"ttc": ttc, "acompte": deja_paye, "net": net},
            "totaux_incoherents",
        )
    return FactureFacturX(
        numero=numero,
        nature=NATURES[code],
        date_emission=_date(
            racine, f"{document}/ram:IssueDateTime/udt:DateTimeString", _("date d'émission"), requise=True
        ),  # type: ignore[arg-type]
        date_echeance=_date(
            racine,
            f"{reglement}/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString",
            _("date d'échéance"),
            requise=False,
        ),
        devise=devise,
        montant_ht=ht,
        montant_tva=tva,
        montant_ttc=ttc,
        net_a_payer=net,
        deja_paye=deja_paye,
        numero_commande=_texte(racine, f"{accord}/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID")[:60],
        facture_origine=_texte(racine, f"{reglement}/ram:InvoiceReferencedDocument/ram:IssuerAssignedID"),
        vendeur=_partie(racine, f"{accord}/ram:SellerTradeParty"),
        acheteur=_partie(racine, f"{accord}/ram:BuyerTradeParty"),
        profil=profil,
    )


# Writing --------------------------------------------------------------------------------------


def _verifier_vendeur(donnees: FactureFacturX, organisation: Organisation) -> None:
    siren_organisation = normaliser_siren(organisation.siren)
    if not siren_organisation:
        return
    if not donnees.vendeur.siren:
        raise _refus(
            _("Le vendeur de la facture n'est pas identifié par un SIREN, un SIRET ou un n° de TVA français."),
            "vendeur_inconnu",
        )
    if donnees.vendeur.siren != siren_organisation:
        raise _refus(
            _("Le vendeur de cette facture (SIREN %(siren)s) n'est pas votre société (SIREN %(votre)s).")
            % {"siren": donnees.vendeur.siren, "votre": siren_organisation},
            "vendeur_different",
        )


def _client_trouver(acheteur: Partie) -> Client | None:
    """The organisation's client that is the buyer (SIRET, then SIREN, then VAT). Inside the scope."""
    if acheteur.siret:
        client = Client.objects.filter(siret=acheteur.siret).first()
        if client is not None:
            return client
    for champ, valeur in (("siren", acheteur.siren), ("tva_intracom", acheteur.tva)):
        if not valeur:
            continue
        candidats = list(Client.objects.filter(**{champ: valeur}).order_by("pk")[:2])
        if len(candidats) > 1:
            raise _refus(
                _(
                    "Plusieurs clients ont l'identifiant %(valeur)s : indiquez le SIRET de l'acheteur dans la facture, "
                    "ou créez-la à la main."
                )
                % {"valeur": valeur},
                "client_ambigu",
            )
        if candidats:
            return candidats[0]
    return None


def _client_pour(acheteur: Partie, auteur: Any) -> tuple[Client, bool]:
    client = _client_trouver(acheteur)
    if client is not None:
        return client, False
    if not acheteur.nom or not (acheteur.siren or acheteur.tva):
        raise _refus(
            _("Acheteur inconnu : ni client correspondant, ni nom et SIREN ou n° de TVA pour le créer."),
            "acheteur_inconnu",
        )
    try:
        client = client_create(
            auteur=auteur,
            raison_sociale=acheteur.nom,
            siren=acheteur.siren,
            siret=acheteur.siret,
            tva_intracom=acheteur.tva,
        )
    except ValidationError as erreur:
        raise _refus(
            _("Impossible de créer le client « %(nom)s » : %(erreur)s")
            % {"nom": acheteur.nom, "erreur": " ".join(erreur.messages)},
            "client_invalide",
        ) from None
    return client, True


def _facture_mettre_a_jour(*, facture: Facture, client: Client, donnees: FactureFacturX, pdf: ContentFile) -> list[str]:
    """Update an invoice recorded before from its new Factur-X. Amounts change only while
    nothing is allocated to it; the PDF, the due date and the order reference always."""
    facture = lock_factures([facture.pk])[facture.pk]
    if facture.statut == Statut.ANNULEE:
        raise _refus(
            _("La facture %(numero)s est annulée : elle n'est pas mise à jour.") % {"numero": facture.numero},
            "facture_annulee",
        )
    if facture.client_id != client.pk:
        raise _refus(
            _("La facture %(numero)s est déjà enregistrée pour un autre client (%(client)s).")
            % {"numero": facture.numero, "client": facture.client.raison_sociale},
            "facture_autre_client",
        )
    if facture.nature != donnees.nature:
        raise _refus(
            _("%(numero)s est déjà enregistré comme %(nature)s.")
            % {"numero": facture.numero, "nature": facture.get_nature_display().lower()},
            "nature_differente",
        )
    montants = (donnees.montant_ht, donnees.montant_tva, donnees.montant_ttc, donnees.devise)
    changent = montants != (facture.montant_ht, facture.montant_tva, facture.montant_ttc, facture.devise)
    lettree = (
        Lettrage.objects.filter(facture=facture, annule_le__isnull=True).exists()
        or Lettrage.objects.filter(avoir=facture, annule_le__isnull=True).exists()
    )
    if changent and (lettree or facture.statut == Statut.PAYEE or facture.reste_du != facture.montant_ttc):
        raise _refus(
            _(
                "La facture %(numero)s est déjà réglée ou lettrée : ses montants ne peuvent plus changer "
                "(TTC enregistré %(avant)s, TTC du fichier %(apres)s)."
            )
            % {"numero": facture.numero, "avant": facture.montant_ttc, "apres": donnees.montant_ttc},
            "facture_lettree",
        )
    if changent:
        facture.montant_ht, facture.montant_tva, facture.montant_ttc, facture.devise = montants
        facture.reste_du = donnees.montant_ttc
        facture.statut = statut_pour(reste_du=facture.reste_du, montant_ttc=facture.montant_ttc)
    facture.date_emission = donnees.date_emission
    if donnees.date_echeance is not None:
        facture.date_echeance = donnees.date_echeance
    if donnees.numero_commande:
        facture.numero_commande = donnees.numero_commande
    facture.pdf.save(pdf.name or "facture.pdf", pdf, save=False)
    try:
        facture.full_clean()
    except ValidationError as erreur:
        raise _refus(" ".join(erreur.messages), "facture_invalide") from None
    facture.save()
    return []


def facturx_importer(*, organisation: Organisation, nom: str, contenu: bytes, auteur: Any = None) -> ResultatFichier:
    """Import one Factur-X PDF: create the invoice, or update the one with the same number.

    Precondition: inside ``organisation_scope(organisation)``. One transaction: a refused
    file writes nothing (not even the client it would have created). Never raises on bad
    input: the result says why.
    """
    nom = (nom or "facture.pdf").rsplit("/", 1)[-1][:100]
    try:
        donnees = facturx_lire(contenu)
        _verifier_vendeur(donnees, organisation)
        with transaction.atomic():
            return _enregistrer(nom=nom, contenu=contenu, donnees=donnees, auteur=auteur)
    except ApplicationError as erreur:
        return ResultatFichier(nom=nom, statut=StatutImport.REFUSEE, message=erreur.message, code=erreur.code)
    except IntegrityError:
        # The same number imported at the same moment by someone else: the other one won.
        return ResultatFichier(
            nom=nom,
            statut=StatutImport.REFUSEE,
            message=_("Cette facture vient d'être enregistrée par ailleurs : réessayez pour la mettre à jour."),
            code="conflit",
        )


def _enregistrer(*, nom: str, contenu: bytes, donnees: FactureFacturX, auteur: Any) -> ResultatFichier:
    client, client_cree = _client_pour(donnees.acheteur, auteur)
    pdf = ContentFile(contenu, name=nom if nom.lower().endswith(".pdf") else f"{nom}.pdf")
    avertissements = []
    if donnees.deja_paye:
        avertissements.append(
            _("Acompte de %(montant)s %(devise)s indiqué dans la facture : enregistrez-le comme paiement.")
            % {"montant": donnees.deja_paye, "devise": donnees.devise}
        )
    existante = Facture.objects.filter(numero=donnees.numero).select_related("client").first()
    if existante is not None:
        avertissements += _facture_mettre_a_jour(facture=existante, client=client, donnees=donnees, pdf=pdf)
        existante.refresh_from_db()
        return ResultatFichier(
            nom=nom,
            statut=StatutImport.MISE_A_JOUR,
            message=_("%(numero)s mise à jour (%(client)s).") % {"numero": donnees.numero, "client": client},
            facture=existante,
            avertissements=avertissements,
        )
    origine = None
    if donnees.nature == Nature.AVOIR and donnees.facture_origine:
        origine = Facture.objects.filter(numero=donnees.facture_origine, client=client, nature=Nature.FACTURE).first()
    try:
        facture = facture_create(
            client=client,
            numero=donnees.numero,
            nature=donnees.nature,
            facture_origine=origine,
            date_emission=donnees.date_emission,
            date_echeance=donnees.date_echeance,
            montant_ht=donnees.montant_ht,
            montant_tva=donnees.montant_tva,
            montant_ttc=donnees.montant_ttc,
            devise=donnees.devise,
            numero_commande=donnees.numero_commande,
            pdf=pdf,
            auteur=auteur,
        )
    except ValidationError as erreur:
        raise _refus(" ".join(erreur.messages), "facture_invalide") from None
    libelle = _("Avoir") if donnees.nature == Nature.AVOIR else _("Facture")
    return ResultatFichier(
        nom=nom,
        statut=StatutImport.CREEE,
        message=_("%(libelle)s %(numero)s créée (%(client)s%(nouveau)s).")
        % {
            "libelle": libelle,
            "numero": donnees.numero,
            "client": client,
            "nouveau": _(", nouveau client") if client_cree else "",
        },
        facture=facture,
        client_cree=client_cree,
        avertissements=avertissements,
    )


def facturx_importer_lot(
    *, organisation: Organisation, fichiers: Iterable[tuple[str, bytes]], auteur: Any = None
) -> list[ResultatFichier]:
    """Import each file on its own (one transaction each), in the order given."""
    return [
        facturx_importer(organisation=organisation, nom=nom, contenu=contenu, auteur=auteur)
        for nom, contenu in fichiers
    ]
