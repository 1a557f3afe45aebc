"""Writes of the bank reconciliation: import a statement, match its credit lines to open
invoices (automatically or by hand), record a client's credit, ignore a line, undo a match.

Payments and allocations go through ``factures.services`` (``paiement_create``,
``lettrage_create``, ``lettrage_annuler``): they lock the rows, check the amounts, write
the client's timeline and send the signals (``facture_payee`` stops dunning at once).
Every service here runs inside the organisation's scope.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext as _

from banque import error_codes
from banque.models import ComptePayeur, LigneReleve, ModeRapprochement, Releve, Sens, StatutLigne
from banque.parseurs import ReleveLu, releve_lire
from clients.events import evenement_record
from clients.models import Client
from factures.models import STATUTS_OUVERTS, Facture, Lettrage, MoyenPaiement, Nature, Paiement
from factures.services import lettrage_annuler, lettrage_create, paiement_create
from recouvrement.core.errors import ApplicationError
from recouvrement.core.formats import montant_texte

MAX_SOUS_ENSEMBLE = 12  # open invoices of a client tried in the subset-sum search (2^12 sums at most)
TYPE_EVENEMENT_ANNULE = "banque.rapprochement_annule"

_JETON = re.compile(r"[A-Z0-9](?:[A-Z0-9_./\-]*[A-Z0-9])?")
_FORMES = {"SA", "SAS", "SASU", "SARL", "EURL", "SNC", "SCI", "SCOP", "SE", "STE", "SOCIETE", "ETS", "GMBH", "LTD"}


def jetons(texte: str) -> set[str]:
    """The words of a remittance text that could be invoice numbers: upper case, with a digit,
    3 characters or more; « F1/F2 » gives « F1/F2 », « F1 » and « F2 »."""
    trouves: set[str] = set()
    for jeton in _JETON.findall((texte or "").upper()):
        for morceau in {jeton, *jeton.split("/")}:
            partie = morceau.strip("._-")
            if len(partie) >= 3 and any(c.isdigit() for c in partie):
                trouves.add(partie)
    return trouves


def nom_normaliser(nom: str) -> str:
    """« Bêta Services S.A.R.L. » and « BETA SERVICES SARL » both give « BETA SERVICES »."""
    sans_accents = unicodedata.normalize("NFKD", nom or "").encode("ascii", "ignore").decode().upper()
    mots = re.sub(r"[^A-Z0-9]+", " ", sans_accents.replace(".", "")).split()
    return " ".join(m for m in mots if m not in _FORMES)


@dataclass
class ResultatImport:
    releve: Releve | None
    nouvelles: int = 0
    doublons: int = 0
    rapprochees: int = 0
    a_rapprocher: int = 0
    debits: int = 0
    deja_importe: bool = False


def _empreinte(contenu: bytes) -> str:
    return hashlib.sha256(contenu).hexdigest()


@transaction.atomic
def releve_importer(
    *, contenu: bytes, nom_fichier: str = "", correspondance: dict[str, str] | None = None, auteur: Any = None
) -> ResultatImport:
    """Import a statement file and match its credit lines automatically.

    Idempotent: the same file again returns the statement already imported; lines already
    imported (same bank reference, from any file) are counted as duplicates, not created.
    A malformed file raises ``ApplicationError`` and writes nothing.
    """
    empreinte = _empreinte(contenu)
    existant = Releve.objects.filter(empreinte=empreinte).first()
    if existant is not None:
        return ResultatImport(releve=existant, deja_importe=True, doublons=existant.lignes.count())
    lu = releve_lire(contenu, nom_fichier=nom_fichier, correspondance=correspondance)
    return _releve_enregistrer(lu, empreinte=empreinte, nom_fichier=nom_fichier, auteur=auteur)


def _releve_enregistrer(lu: ReleveLu, *, empreinte: str, nom_fichier: str, auteur: Any) -> ResultatImport:
    references = [ligne.reference_banque for ligne in lu.lignes]
    connues = set(
        LigneReleve.objects.filter(reference_banque__in=references).values_list("reference_banque", flat=True)
    )
    nouvelles, vues = [], set(connues)
    for ligne in lu.lignes:
        if ligne.reference_banque not in vues:
            vues.add(ligne.reference_banque)
            nouvelles.append(ligne)
    doublons = len(lu.lignes) - len(nouvelles)
    if not nouvelles:
        return ResultatImport(releve=None, doublons=doublons)
    releve = Releve.objects.create(
        format=lu.format,
        nom_fichier=nom_fichier[:255],
        empreinte=empreinte,
        identifiant=lu.identifiant[:140],
        iban=lu.iban,
        date_debut=lu.date_debut,
        date_fin=lu.date_fin,
        lignes_doublons=doublons,
        importe_par=auteur if getattr(auteur, "is_authenticated", False) else None,
    )
    lignes = LigneReleve.objects.bulk_create(
        [
            LigneReleve(
                releve=releve,
                position=ligne.position,
                sens=ligne.sens,
                montant=ligne.montant,
                devise=ligne.devise,
                date_operation=ligne.date_operation,
                date_valeur=ligne.date_valeur,
                libelle=ligne.libelle,
                references=ligne.references,
                payeur_nom=ligne.payeur_nom,
                payeur_iban=ligne.payeur_iban,
                reference_banque=ligne.reference_banque,
                statut=StatutLigne.A_RAPPROCHER if ligne.sens == Sens.CREDIT else StatutLigne.DEBIT,
            )
            for ligne in nouvelles
        ]
    )
    credits = [ligne for ligne in lignes if ligne.sens == Sens.CREDIT]
    rapprochees = lignes_rapprocher_auto(lignes=credits, auteur=auteur)
    return ResultatImport(
        releve=releve,
        nouvelles=len(lignes),
        doublons=doublons,
        rapprochees=rapprochees,
        a_rapprocher=len(credits) - rapprochees,
        debits=len(lignes) - len(credits),
    )


# --- automatic matching ---------------------------------------------------------------------


def factures_par_numero(textes: Iterable[str]) -> dict[str, Facture]:
    """The open invoices whose number appears in ``textes`` (case aside): one query for the
    words of a whole statement, never one per invoice."""
    tous: set[str] = set()
    for texte in textes:
        tous |= jetons(texte)
    if not tous:
        return {}
    factures = (
        Facture.objects.filter(nature=Nature.FACTURE, statut__in=STATUTS_OUVERTS)
        .annotate(numero_maj=Upper("numero"))
        .filter(numero_maj__in=sorted(tous))
        .select_related("client")
    )
    return {f.numero.upper(): f for f in factures}


def clients_payeurs(lignes: list[LigneReleve]) -> dict[int, int]:
    """Line id → client id when the payer is known: its IBAN was learnt from an earlier match,
    or its name is a client's name (normalised, and only one client has it). Two queries."""
    ibans = {ligne.payeur_iban for ligne in lignes if ligne.payeur_iban}
    par_iban = dict(ComptePayeur.objects.filter(iban__in=ibans).values_list("iban", "client_id")) if ibans else {}
    par_nom: dict[str, int | None] = {}
    if any(ligne.payeur_nom and ligne.payeur_iban not in par_iban for ligne in lignes):
        for pk, raison_sociale in Client.objects.values_list("pk", "raison_sociale"):
            cle = nom_normaliser(raison_sociale)
            par_nom[cle] = None if cle in par_nom else pk  # an ambiguous name identifies nobody
    trouves: dict[int, int] = {}
    for ligne in lignes:
        client_id = par_iban.get(ligne.payeur_iban) if ligne.payeur_iban else None
        if client_id is None and ligne.payeur_nom:
            client_id = par_nom.get(nom_normaliser(ligne.payeur_nom))
        if client_id is not None:
            trouves[ligne.pk] = client_id
    return trouves


def factures_ouvertes_par_client(client_ids: Iterable[int]) -> dict[int, list[Facture]]:
    """Open invoices of those clients, oldest due first: one query."""
    par_client: dict[int, list[Facture]] = {}
    ids = sorted(set(client_ids))
    if not ids:
        return par_client
    for facture in Facture.objects.filter(
        client_id__in=ids, nature=Nature.FACTURE, statut__in=STATUTS_OUVERTS, reste_du__gt=0
    ).order_by("date_echeance", "numero", "pk"):
        par_client.setdefault(facture.client_id, []).append(facture)
    return par_client


def sous_ensemble(factures: list[Facture], montant: Decimal) -> list[Facture] | None:
    """The open invoices whose remaining dues add up to ``montant`` exactly: one invoice if
    one fits (the oldest), else the smallest set among the ``MAX_SOUS_ENSEMBLE`` oldest."""
    for facture in factures:
        if facture.reste_du == montant:
            return [facture]
    candidates = [f for f in factures[:MAX_SOUS_ENSEMBLE] if f.reste_du < montant]
    for taille in range(2, len(candidates) + 1):
        for combinaison in itertools.combinations(candidates, taille):
            if sum((f.reste_du for f in combinaison), Decimal(0)) == montant:
                return list(combinaison)
    return None


def allocations_par_reference(
    factures: list[Facture], montant: Decimal, reste_du: dict[int, Decimal] | None = None
) -> list[tuple[Facture, Decimal]]:
    """Oldest first, as much as each invoice still owes (``reste_du``: what earlier lines of
    the same statement left); what is left of the money stays unallocated (a credit)."""
    reste_du = reste_du if reste_du is not None else {}
    allocations: list[tuple[Facture, Decimal]] = []
    reste = montant
    for facture in sorted(factures, key=lambda f: (f.date_echeance, f.numero)):
        if reste <= 0:
            break
        part = min(reste, reste_du.get(facture.pk, facture.reste_du))
        if part > 0:
            allocations.append((facture, part))
            reste_du[facture.pk] = reste_du.get(facture.pk, facture.reste_du) - part
            reste -= part
    return allocations


def lignes_rapprocher_auto(*, lignes: list[LigneReleve], auteur: Any = None) -> int:
    """Match what can be matched without a person; returns how many lines were matched.

    (1) invoice numbers in the remittance information; (2) a known payer and an amount equal
    to one open invoice of that client, or to a set of them. The others stay « to match ».
    A line that a concurrent change makes impossible to allocate also stays « to match ».
    """
    lignes = [ligne for ligne in lignes if ligne.statut == StatutLigne.A_RAPPROCHER and ligne.sens == Sens.CREDIT]
    if not lignes:
        return 0
    par_numero = factures_par_numero(ligne.texte_remise for ligne in lignes)
    plan: dict[int, tuple[int, list[tuple[Facture, Decimal]], str]] = {}
    restantes = []
    reste_du: dict[int, Decimal] = {}
    for ligne in lignes:
        trouvees = [par_numero[j] for j in jetons(ligne.texte_remise) if j in par_numero]
        trouvees = [f for f in trouvees if f.devise == ligne.devise]
        if trouvees:
            client_id = min(trouvees, key=lambda f: (f.date_echeance, f.numero)).client_id
            du_client = list({f.pk: f for f in trouvees if f.client_id == client_id}.values())
            allocations = allocations_par_reference(du_client, ligne.montant, reste_du)
            if allocations:
                plan[ligne.pk] = (client_id, allocations, ModeRapprochement.REFERENCE)
                continue
        restantes.append(ligne)
    if restantes:
        payeurs = clients_payeurs(restantes)
        ouvertes = factures_ouvertes_par_client(payeurs.values())
        for ligne in restantes:
            if ligne.pk not in payeurs:
                continue
            client_id = payeurs[ligne.pk]
            factures = [f for f in ouvertes.get(client_id, []) if f.devise == ligne.devise and f.pk not in reste_du]
            choisies = sous_ensemble(factures, ligne.montant)
            if choisies:
                plan[ligne.pk] = (client_id, [(f, f.reste_du) for f in choisies], ModeRapprochement.MONTANT)
                # an invoice is paid once: a later line of the same statement cannot use it again
                ouvertes[client_id] = [f for f in ouvertes[client_id] if f not in choisies]
    rapprochees = 0
    for ligne in lignes:
        if ligne.pk not in plan:
            continue
        client_id, allocations, mode = plan[ligne.pk]
        try:
            with transaction.atomic():
                _affecter(ligne, client_id=client_id, allocations=allocations, mode=mode, auteur=auteur)
        except ApplicationError:
            continue
        rapprochees += 1
    return rapprochees


# --- the writes of one line -----------------------------------------------------------------


def _reference_affichee(ligne: LigneReleve) -> str:
    ref = ligne.reference_banque.split(":", 1)[-1] if ":" in ligne.reference_banque else ligne.reference_banque
    return "" if ligne.reference_banque.startswith(("csv:", "h:")) or ref.startswith("h:") else ref[:140]


def _external_id(ligne: LigneReleve) -> str:
    brut = f"banque:{ligne.reference_banque}"
    return brut if len(brut) <= 100 else "banque:" + hashlib.sha256(brut.encode()).hexdigest()


def _paiement_pour(ligne: LigneReleve, client_id: int, auteur: Any) -> Paiement:
    """The line's payment: created on its first match (its external id comes from the bank
    reference, so there is never a second one), or given back to ``client_id`` after an undo."""
    if ligne.paiement_id is None:
        existant = Paiement.objects.filter(external_id=_external_id(ligne)).first()
        if existant is not None:
            ligne.paiement = existant
    if ligne.paiement_id is None:
        return paiement_create(
            montant=ligne.montant,
            date_paiement=ligne.date_operation,
            client=Client.objects.get(pk=client_id),
            devise=ligne.devise,
            moyen=MoyenPaiement.VIREMENT,
            reference=_reference_affichee(ligne),
            libelle=ligne.texte_remise[:500],
            external_id=_external_id(ligne),
            auteur=auteur,
        )
    paiement = Paiement.objects.select_for_update().get(pk=ligne.paiement_id)
    if paiement.client_id != client_id:
        if paiement.montant_non_affecte != paiement.montant:
            raise ApplicationError(
                _("Ce virement est encore lettré : annulez d'abord son rapprochement."),
                code=error_codes.LIGNE_TRAITEE,
            )
        # The payment was detached from its client by an undo (nothing allocated): it goes to
        # the client chosen now. factures.services has no « move a payment » service because
        # only an unallocated bank payment may move, and only here.
        paiement.client_id = client_id
        paiement.save(update_fields=["client"])
    return paiement


def _affecter(
    ligne: LigneReleve,
    *,
    client_id: int,
    allocations: list[tuple[Facture, Decimal]],
    mode: str,
    auteur: Any,
) -> LigneReleve:
    """Precondition: inside a transaction. The payment, its allocations, the line's state and
    the payer's IBAN learnt for the client."""
    ligne = LigneReleve.objects.select_for_update().get(pk=ligne.pk)
    if ligne.statut != StatutLigne.A_RAPPROCHER:
        raise ApplicationError(_("Cette ligne a déjà été traitée."), code=error_codes.LIGNE_TRAITEE)
    if ligne.sens != Sens.CREDIT:
        raise ApplicationError(_("Une ligne de débit ne se rapproche pas."), code=error_codes.LIGNE_DEBIT)
    total = sum((montant for _f, montant in allocations), Decimal(0))
    if total > ligne.montant:
        raise ApplicationError(
            _("Les montants affectés (%(total)s) dépassent le virement (%(montant)s).")
            % {"total": montant_texte(total, ligne.devise), "montant": montant_texte(ligne.montant, ligne.devise)},
            code=error_codes.DEPASSE_LIGNE,
            field="montant",
        )
    if any(f.client_id != client_id for f, _m in allocations):
        raise ApplicationError(
            _("Un virement se rapproche des factures d'un seul client."), code=error_codes.PLUSIEURS_CLIENTS
        )
    paiement = _paiement_pour(ligne, client_id, auteur)
    for facture, montant in allocations:
        lettrage_create(
            facture=facture, paiement=paiement, montant=montant, date_lettrage=ligne.date_operation, auteur=auteur
        )
    ligne.paiement = paiement
    ligne.client_id = client_id
    ligne.statut = StatutLigne.RAPPROCHEE if allocations else StatutLigne.AVOIR_CLIENT
    ligne.mode = mode
    ligne.traitee_le = timezone.now()
    ligne.traitee_par = auteur if getattr(auteur, "is_authenticated", False) else None
    ligne.save(update_fields=["paiement", "client", "statut", "mode", "traitee_le", "traitee_par"])
    if ligne.payeur_iban:
        ComptePayeur.objects.update_or_create(iban=ligne.payeur_iban, defaults={"client_id": client_id})
    return ligne


@transaction.atomic
def ligne_rapprocher(
    *, ligne: LigneReleve, allocations: list[tuple[Facture, Decimal]], auteur: Any = None
) -> LigneReleve:
    """A person matches a line to one or several invoices of one client, with the amounts
    chosen; what the invoices do not take stays on the payment as the client's credit."""
    allocations = [(f, m) for f, m in allocations if m]
    if not allocations:
        raise ApplicationError(
            _("Choisissez au moins une facture et un montant."), code=error_codes.AFFECTATION_INVALIDE, field="factures"
        )
    if any(m < 0 for _f, m in allocations):
        raise ApplicationError(
            _("Un montant affecté est positif."), code=error_codes.AFFECTATION_INVALIDE, field="montant"
        )
    return _affecter(
        ligne,
        client_id=allocations[0][0].client_id,
        allocations=allocations,
        mode=ModeRapprochement.MANUEL,
        auteur=auteur,
    )


@transaction.atomic
def ligne_avoir_client(*, ligne: LigneReleve, client: Client, auteur: Any = None) -> LigneReleve:
    """The money is a client's, but for no invoice yet: a payment with nothing allocated,
    which the client sheet shows as a credit and which can be allocated later."""
    return _affecter(ligne, client_id=client.pk, allocations=[], mode=ModeRapprochement.MANUEL, auteur=auteur)


@transaction.atomic
def ligne_ignorer(*, ligne: LigneReleve, auteur: Any = None) -> LigneReleve:
    """Not a client's payment (a refund, an internal transfer…): leave the « to match » list."""
    ligne = LigneReleve.objects.select_for_update().get(pk=ligne.pk)
    if ligne.statut != StatutLigne.A_RAPPROCHER:
        raise ApplicationError(_("Cette ligne a déjà été traitée."), code=error_codes.LIGNE_TRAITEE)
    ligne.statut = StatutLigne.IGNOREE
    ligne.traitee_le = timezone.now()
    ligne.traitee_par = auteur if getattr(auteur, "is_authenticated", False) else None
    ligne.save(update_fields=["statut", "traitee_le", "traitee_par"])
    return ligne


@transaction.atomic
def ligne_annuler(*, ligne: LigneReleve, auteur: Any = None) -> LigneReleve:
    """Undo a match (or a credit, or an « ignore »): every active allocation of the line's
    payment is cancelled with ``lettrage_annuler`` (the invoices owe it again, dunning may
    resume), the payment stays with its history but no longer belongs to a client, and the
    line goes back to « to match »."""
    ligne = LigneReleve.objects.select_for_update().get(pk=ligne.pk)
    if ligne.statut not in (StatutLigne.RAPPROCHEE, StatutLigne.AVOIR_CLIENT, StatutLigne.IGNOREE):
        raise ApplicationError(_("Cette ligne n'est pas rapprochée."), code=error_codes.LIGNE_NON_TRAITEE)
    if ligne.paiement_id is not None:
        lettrages = list(Lettrage.objects.filter(paiement_id=ligne.paiement_id, annule_le__isnull=True).order_by("pk"))
        for lettrage in lettrages:
            lettrage_annuler(lettrage=lettrage, auteur=auteur)
        paiement = Paiement.objects.select_for_update().get(pk=ligne.paiement_id)
        if paiement.client is not None:
            evenement_record(
                client=paiement.client,
                type=TYPE_EVENEMENT_ANNULE,
                message=_("Rapprochement bancaire annulé : virement de %(montant)s du %(date)s")
                % {
                    "montant": montant_texte(paiement.montant, paiement.devise),
                    "date": ligne.date_operation.strftime("%d/%m/%Y"),
                },
                auteur=auteur,
                donnees={"ligne_releve_id": ligne.pk, "paiement_id": paiement.pk},
            )
            paiement.client = None
            paiement.save(update_fields=["client"])
    ligne.statut = StatutLigne.A_RAPPROCHER
    ligne.mode = ""
    ligne.client = None
    ligne.traitee_le = timezone.now()
    ligne.traitee_par = auteur if getattr(auteur, "is_authenticated", False) else None
    ligne.save(update_fields=["statut", "mode", "client", "traitee_le", "traitee_par"])
    return ligne
