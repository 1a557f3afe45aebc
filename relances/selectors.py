"""Reads of the dunning engine shared by pages, API and reports."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Exists, Field, OuterRef, Prefetch, Q, QuerySet, Subquery

from clients.models import Client
from factures.models import STATUTS_OUVERTS, Facture, Nature
from recouvrement.tenancy import roles
from recouvrement.tenancy.models import Membre
from relances.models import (
    Canal,
    Echeancier,
    Envoi,
    LigneEcheancier,
    ParametresRelance,
    Pause,
    Promesse,
    Relance,
    Scenario,
    ScenarioImpose,
    StatutEcheancier,
    StatutEnvoi,
    StatutRelance,
    StatutTache,
    Tache,
    Versement,
)


def factures_avec_derniere_relance(queryset: QuerySet[Facture]) -> QuerySet[Facture]:
    """Annotate each invoice with the date and channel of its last reminder that went out.

    ``derniere_relance_le`` (datetime) and ``derniere_relance_canal``: one
    correlated subquery each, on the (tenant, facture, date) index.
    """
    dernieres = Relance.objects.filter(facture=OuterRef("pk"), statut=StatutRelance.ENVOYEE).order_by(
        "-date_prevue", "-pk"
    )
    return queryset.annotate(
        derniere_relance_le=Subquery(dernieres.values("envoi__envoye_le")[:1]),
        derniere_relance_canal=Subquery(dernieres.values("canal")[:1]),
        derniere_relance_etape=Subquery(dernieres.values("etape__nom")[:1]),
    )


def envoi_queryset(*, membre: Membre) -> QuerySet[Envoi]:
    queryset = Envoi.objects.all()
    if not roles.voit_tous_les_clients(membre):
        queryset = queryset.filter(client__commercial=membre)
    return queryset


def envoi_list(
    *, membre: Membre, statut: str = "", client: Client | None = None, livraison: str = ""
) -> QuerySet[Envoi]:
    queryset = envoi_queryset(membre=membre).select_related("client", "etape", "etape__scenario")
    if statut:
        queryset = queryset.filter(statut=statut)
    if livraison:
        queryset = queryset.filter(livraison=livraison)
    if client is not None:
        queryset = queryset.filter(client=client)
    return queryset.order_by("-date_prevue", "-pk")


def courriers_du_jour(*, membre: Membre, jour: datetime.date) -> QuerySet[Envoi]:
    """The letters of a day, for the print batch."""
    return (
        envoi_queryset(membre=membre)
        .filter(canal=Canal.COURRIER, date_prevue=jour, statut=StatutEnvoi.ENVOYE)
        .exclude(courrier_pdf="")
        .select_related("client")
        .order_by("client__raison_sociale", "pk")
    )


def tache_list(
    *, membre: Membre, toutes: bool = False, client: Client | None = None, type: str = ""
) -> QuerySet[Tache]:
    queryset = Tache.objects.filter(statut=StatutTache.A_FAIRE).select_related("client", "facture", "assigne_a__user")
    if type:
        queryset = queryset.filter(type=type)
    if not roles.voit_tous_les_clients(membre):
        queryset = queryset.filter(client__commercial=membre)
    elif not toutes:
        queryset = queryset.filter(Q(assigne_a=membre) | Q(assigne_a__isnull=True))
    if client is not None:
        queryset = queryset.filter(client=client)
    return queryset.order_by("echeance", "pk")


def pauses_actives(*, aujourd_hui: datetime.date) -> QuerySet[Pause]:
    """Pauses in force on ``aujourd_hui`` (not lifted, not expired)."""
    return Pause.objects.filter(levee_le__isnull=True).filter(Q(jusqu_au__isnull=True) | Q(jusqu_au__gte=aujourd_hui))


def pause_list(*, client: Client, aujourd_hui: datetime.date) -> QuerySet[Pause]:
    """The active pauses of a client and of its invoices."""
    return (
        pauses_actives(aujourd_hui=aujourd_hui)
        .filter(Q(client=client) | Q(facture__client=client))
        .select_related("facture")
        .order_by("-created_at")
    )


def relance_list(*, facture: Facture) -> QuerySet[Relance]:
    """The reminders of one invoice, newest first."""
    return Relance.objects.filter(facture=facture).select_related("etape", "envoi").order_by("-date_prevue", "-pk")


def factures_en_pause(queryset: QuerySet[Facture], *, aujourd_hui: datetime.date) -> QuerySet[Facture]:
    """Annotate ``en_pause``: dunning is paused today on the invoice or on its whole client."""
    actives = pauses_actives(aujourd_hui=aujourd_hui)
    return queryset.annotate(
        en_pause=Exists(actives.filter(facture=OuterRef("pk"))) | Exists(actives.filter(client=OuterRef("client_id")))
    )


def promesse_list(*, client: Client) -> QuerySet[Promesse]:
    """The promises to pay of a client, the most recent date first."""
    return (
        Promesse.objects.filter(client=client)
        .select_related("facture", "contact", "prise_par__user")
        .order_by("-date_promise", "-pk")
    )


def scenario_impose(*, client: Client) -> Scenario | None:
    """The scenario forced on the whole client, if any (else the assignment rules decide)."""
    impose = ScenarioImpose.objects.filter(client=client).select_related("scenario").first()
    return impose.scenario if impose else None


# How many open invoices the payment plan form lists (a client may have thousands).
FACTURES_ECHEANCIER_MAX = 200
ECHEANCIERS_FICHE_MAX = 20


def echeancier_list(*, client: Client) -> QuerySet[Echeancier]:
    """The latest payment plans of a client with their installments and invoices (three queries)."""
    return (
        Echeancier.objects.filter(client=client)
        .select_related("cree_par__user")
        .prefetch_related(
            Prefetch("versements", queryset=Versement.objects.order_by("numero")),
            Prefetch(
                "lignes",
                queryset=LigneEcheancier.objects.select_related("facture").order_by("facture__date_echeance", "pk"),
            ),
        )
        .order_by("-created_at", "-pk")[:ECHEANCIERS_FICHE_MAX]
    )


def factures_pour_echeancier(*, client: Client, limite: int = FACTURES_ECHEANCIER_MAX) -> QuerySet[Facture]:
    """The open invoices of a client that may enter a plan (none in a running one), the
    ``limite`` first by due date."""
    en_echeancier = LigneEcheancier.objects.filter(facture=OuterRef("pk"), echeancier__statut=StatutEcheancier.ACTIF)
    return (
        Facture.objects.filter(client=client, nature=Nature.FACTURE, statut__in=STATUTS_OUVERTS, reste_du__gt=0)
        .exclude(Exists(en_echeancier))
        .order_by("date_echeance", "pk")[:limite]
    )


def echeancier_queryset(*, membre: Membre) -> QuerySet[Echeancier]:
    """The plans a member may see: those of the clients he sees."""
    queryset = Echeancier.objects.select_related("client")
    if not roles.voit_tous_les_clients(membre):
        queryset = queryset.filter(client__commercial=membre)
    return queryset


def parametre_relance(nom: str) -> Any:
    """One of the organisation's dunning settings (``ParametresRelance.<nom>``), or the
    model's default while the organisation has none; reads only (never creates the row)."""
    valeur = ParametresRelance.objects.values_list(nom, flat=True).first()
    if valeur is not None:
        return valeur
    champ = ParametresRelance._meta.get_field(nom)
    assert isinstance(champ, Field)
    return champ.get_default()
