"""Reads of litigation: what may be escalated, the dossiers, a dossier's claim and history.

Every function reads in the active organisation's scope. The detail and the PDF use
``dossier_contenu``: a fixed number of queries whatever the number of invoices and sends.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum

from clients.models import Client
from contentieux.models import DossierContentieux, LigneDossier
from factures.models import STATUTS_OUVERTS, Facture, Nature
from litiges.models import LigneLitige, Litige
from relances.models import (
    Envoi,
    ParametresRelance,
    Promesse,
    Relance,
    StatutEnvoi,
    StatutTache,
    Tache,
    Ton,
    TypeTache,
)
from relances.penalites import INDEMNITE_FORFAITAIRE, LigneFacture, Penalites, penalites_calculer


def factures_escaladables(*, client: Client, jour: datetime.date) -> QuerySet[Facture]:
    """The client's open invoices overdue at ``jour`` that no active dossier holds yet."""
    en_contentieux = LigneDossier.objects.filter(facture=OuterRef("pk"), actif=True)
    return (
        Facture.objects.filter(
            client=client,
            statut__in=STATUTS_OUVERTS,
            nature=Nature.FACTURE,
            reste_du__gt=0,
            date_echeance__lt=jour,
        )
        .exclude(Exists(en_contentieux))
        .order_by("date_echeance", "numero", "pk")
    )


def mise_en_demeure_derniere(*, client: Client, facture_ids: list[int]) -> Envoi | None:
    """The last formal notice (a send of tone « mise en demeure ») that went out for one of the invoices."""
    return (
        Envoi.objects.filter(client=client, statut=StatutEnvoi.ENVOYE, etape__ton=Ton.MISE_EN_DEMEURE)
        .filter(Exists(Relance.objects.filter(envoi=OuterRef("pk"), facture_id__in=facture_ids)))
        .select_related("etape")
        .order_by("-envoye_le", "-pk")
        .first()
    )


def dossier_list(
    *, statut: str = "", destination: str = "", client: Client | None = None, recherche: str = ""
) -> QuerySet[DossierContentieux]:
    """The dossiers, newest first, with their number of invoices and principal (two aggregates)."""
    queryset = DossierContentieux.objects.select_related("client").annotate(
        nombre_factures=Count("lignes"), principal=Sum("lignes__montant_principal")
    )
    if statut:
        queryset = queryset.filter(statut=statut)
    if destination:
        queryset = queryset.filter(destination=destination)
    if client is not None:
        queryset = queryset.filter(client=client)
    if recherche:
        queryset = queryset.filter(
            Q(client__raison_sociale__icontains=recherche)
            | Q(reference__icontains=recherche)
            | Q(intervenant__icontains=recherche)
        )
    return queryset.order_by("-created_at", "-pk")


@dataclass(frozen=True)
class ContenuDossier:
    """Everything the detail page and the PDF show about a dossier."""

    dossier: DossierContentieux
    lignes: list[LigneDossier]
    creance: Penalites
    envois: list[Envoi]
    appels: list[Tache]
    promesses: list[Promesse]
    litiges: list[Litige]
    mise_en_demeure: Envoi | None

    @property
    def encaisse_depuis(self) -> Decimal:
        """What the invoices received since the escalation (principal then less what they still owe)."""
        return sum(
            (max(Decimal("0.00"), ligne.montant_principal - ligne.facture.reste_du) for ligne in self.lignes),
            Decimal("0.00"),
        )


def dossier_creance(*, lignes: list[LigneDossier], au: datetime.date) -> Penalites:
    """The claim at ``au``: the principal of each invoice at the escalation, statutory (or
    contractual) late interest per half-year, and the fixed indemnity per invoice
    (``relances.penalites``; ``TauxManquant`` when a half-year has no reference rate)."""
    parametres = ParametresRelance.objects.first()
    return penalites_calculer(
        lignes=[
            LigneFacture(
                numero=ligne.facture.numero, date_echeance=ligne.facture.date_echeance, base=ligne.montant_principal
            )
            for ligne in lignes
        ],
        au=au,
        taux_contractuel=parametres.taux_contractuel if parametres else None,
        indemnite=parametres.indemnite_forfaitaire if parametres else INDEMNITE_FORFAITAIRE,
    )


def dossier_contenu(*, dossier: DossierContentieux) -> ContenuDossier:
    """The dossier's invoices, claim and history (sends, calls, promises, disputes on its
    invoices or the whole client, oldest first), and its last formal notice. Nine queries."""
    lignes = list(
        LigneDossier.objects.filter(dossier=dossier)
        .select_related("facture")
        .order_by("facture__date_echeance", "facture__numero", "pk")
    )
    ids = [ligne.facture_id for ligne in lignes]
    de_ces_factures = Exists(Relance.objects.filter(envoi=OuterRef("pk"), facture_id__in=ids))
    envois = list(
        Envoi.objects.filter(
            de_ces_factures, client=dossier.client_id, statut__in=(StatutEnvoi.ENVOYE, StatutEnvoi.ECHEC)
        )
        .select_related("etape")
        .order_by("envoye_le", "date_prevue", "pk")
    )
    sur_ces_factures = Q(facture_id__in=ids) | Q(facture__isnull=True)
    appels = list(
        Tache.objects.filter(sur_ces_factures, client=dossier.client_id, type=TypeTache.APPEL, statut=StatutTache.FAITE)
        .select_related("fait_par")
        .order_by("fait_le", "pk")
    )
    promesses = list(
        Promesse.objects.filter(sur_ces_factures, client=dossier.client_id)
        .select_related("facture")
        .order_by("created_at", "pk")
    )
    litiges = list(
        Litige.objects.filter(Exists(LigneLitige.objects.filter(litige=OuterRef("pk"), facture_id__in=ids)))
        .prefetch_related(Prefetch("lignes", queryset=LigneLitige.objects.select_related("facture").order_by("pk")))
        .order_by("created_at", "pk")
    )
    mise_en_demeure = next(
        (e for e in reversed(envois) if e.etape.ton == Ton.MISE_EN_DEMEURE and e.statut == StatutEnvoi.ENVOYE),
        None,
    )
    return ContenuDossier(
        dossier=dossier,
        lignes=lignes,
        creance=dossier_creance(lignes=lignes, au=dossier.date_dossier),
        envois=envois,
        appels=appels,
        promesses=promesses,
        litiges=litiges,
        mise_en_demeure=mise_en_demeure,
    )


def dossiers_actifs_du_client(*, client: Client) -> QuerySet[DossierContentieux]:
    return DossierContentieux.objects.filter(client=client, statut__in=("ouvert", "transmis")).order_by("-pk")
