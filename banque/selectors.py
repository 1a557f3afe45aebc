"""Reads of the bank reconciliation: statements with their counts, lines, and the ranked
suggestions for the lines waiting to be matched (a fixed number of queries per page)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from decimal import Decimal
from functools import reduce
from operator import or_

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from banque.models import ComptePayeur, LigneReleve, Releve, Sens, StatutLigne
from banque.services import clients_payeurs, factures_par_numero, jetons, nom_normaliser
from clients.models import Client
from factures.models import STATUTS_OUVERTS, Facture, Nature, Paiement

ECART_MONTANT = Decimal("0.10")  # an invoice within 10 % of the amount is a candidate
MAX_CANDIDATES = 500
JOURS_PROXIMITE = 90


def releve_list() -> QuerySet[Releve]:
    """Statements, newest first, each with its count of lines per state (one query)."""
    return (
        Releve.objects.select_related("importe_par")
        .order_by("-created_at", "-id")
        .annotate(
            nb_lignes=Count("lignes"),
            nb_a_rapprocher=Count("lignes", filter=Q(lignes__statut=StatutLigne.A_RAPPROCHER)),
            nb_rapprochees=Count("lignes", filter=Q(lignes__statut=StatutLigne.RAPPROCHEE)),
            nb_avoirs=Count("lignes", filter=Q(lignes__statut=StatutLigne.AVOIR_CLIENT)),
            nb_ignorees=Count("lignes", filter=Q(lignes__statut__in=(StatutLigne.IGNOREE, StatutLigne.DEBIT))),
        )
    )


def compteurs() -> dict[str, int]:
    """Lines per state over every statement (one query)."""
    compte = dict(LigneReleve.objects.values_list("statut").annotate(n=Count("pk")).values_list("statut", "n"))
    return {statut: compte.get(statut, 0) for statut in StatutLigne.values}


def ligne_list(*, releve: Releve | None = None) -> QuerySet[LigneReleve]:
    lignes = LigneReleve.objects.select_related("client", "paiement", "releve")
    return lignes.filter(releve=releve) if releve is not None else lignes


def lignes_a_rapprocher() -> QuerySet[LigneReleve]:
    """Credit lines waiting for a person, oldest first."""
    return (
        LigneReleve.objects.filter(statut=StatutLigne.A_RAPPROCHER, sens=Sens.CREDIT)
        .select_related("releve")
        .order_by("date_operation", "pk")
    )


def credit_client(*, client: Client) -> Decimal:
    """What the client paid that no invoice uses yet (its credit), in one query."""
    total = Paiement.objects.filter(client=client, montant_non_affecte__gt=0).aggregate(t=Sum("montant_non_affecte"))
    return total["t"] or Decimal(0)


@dataclass
class Suggestion:
    facture: Facture
    score: int
    montant: Decimal  # what the form proposes to allocate
    raisons: list[str] = field(default_factory=list)


def _score(ligne: LigneReleve, facture: Facture, *, reference: bool, iban_connu: bool) -> Suggestion:
    score, raisons = 0, []
    if reference:
        score += 50
        raisons.append(_("n° de facture dans le libellé"))
    if facture.reste_du == ligne.montant:
        score += 30
        raisons.append(_("montant égal au reste dû"))
    else:
        ecart = abs(facture.reste_du - ligne.montant) / ligne.montant
        if ecart <= ECART_MONTANT:
            score += round(20 * (1 - float(ecart) / float(ECART_MONTANT)))
            raisons.append(_("montant proche"))
    if iban_connu:
        score += 20
        raisons.append(_("compte du payeur connu"))
    elif ligne.payeur_nom:
        ratio = difflib.SequenceMatcher(
            None, nom_normaliser(ligne.payeur_nom), nom_normaliser(facture.client.raison_sociale)
        ).ratio()
        if ratio >= 0.5:
            score += round(20 * ratio)
            raisons.append(_("payeur ressemblant au client"))
    jours = abs((ligne.date_operation - facture.date_echeance).days)
    score += round(10 * max(0.0, 1 - jours / JOURS_PROXIMITE))
    return Suggestion(facture=facture, score=score, montant=min(facture.reste_du, ligne.montant), raisons=raisons)


def suggestions(lignes: list[LigneReleve], *, limite: int = 5) -> dict[int, list[Suggestion]]:
    """For each line, the open invoices that could be what it pays, best first.

    Candidates: invoices whose number is in the remittance text, invoices of the payer's
    client (IBAN learnt, or same name), invoices whose remaining due is within 10 % of the
    amount. Four queries whatever the number of lines.
    """
    lignes = [ligne for ligne in lignes if ligne.sens == Sens.CREDIT]
    if not lignes:
        return {}
    par_numero = factures_par_numero(ligne.texte_remise for ligne in lignes)
    payeurs = clients_payeurs(lignes)
    ibans = {ligne.payeur_iban for ligne in lignes if ligne.payeur_iban}
    iban_client = dict(ComptePayeur.objects.filter(iban__in=ibans).values_list("iban", "client_id")) if ibans else {}
    proches = reduce(
        or_,
        (
            Q(reste_du__gte=ligne.montant * (1 - ECART_MONTANT), reste_du__lte=ligne.montant * (1 + ECART_MONTANT))
            for ligne in lignes
        ),
    )
    if payeurs:
        proches |= Q(client_id__in=set(payeurs.values()))
    candidates = list(
        Facture.objects.filter(proches, nature=Nature.FACTURE, statut__in=STATUTS_OUVERTS, reste_du__gt=0)
        .select_related("client")
        .order_by("date_echeance", "pk")[:MAX_CANDIDATES]
    )
    connues = {f.pk for f in candidates}
    candidates += [f for f in par_numero.values() if f.pk not in connues]
    resultat: dict[int, list[Suggestion]] = {}
    for ligne in lignes:
        mes_jetons = jetons(ligne.texte_remise)
        client_payeur = payeurs.get(ligne.pk)
        proposees = []
        for facture in candidates:
            if facture.devise != ligne.devise:
                continue
            reference = facture.numero.upper() in mes_jetons
            proche = abs(facture.reste_du - ligne.montant) <= ligne.montant * ECART_MONTANT
            if not (reference or proche or facture.client_id == client_payeur):
                continue
            iban_connu = bool(ligne.payeur_iban) and iban_client.get(ligne.payeur_iban) == facture.client_id
            proposees.append(_score(ligne, facture, reference=reference, iban_connu=iban_connu))
        proposees.sort(key=lambda s: (-s.score, s.facture.date_echeance, s.facture.numero))
        resultat[ligne.pk] = proposees[:limite]
    return resultat
