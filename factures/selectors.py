"""Reads on invoices, payments and client balances (encours, échu, retard moyen)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce, TruncMonth

from clients.models import Client
from clients.selectors import client_queryset
from factures.models import STATUTS_OUVERTS, Facture, Lettrage, Nature, Paiement
from recouvrement.core.sql import ZERO
from recouvrement.tenancy.models import Membre


def facture_queryset(*, membre: Membre) -> QuerySet[Facture]:
    """The invoices ``membre`` may see: those of the clients he may see."""
    return Facture.objects.filter(client__in=client_queryset(membre=membre))


def facture_list(
    *,
    membre: Membre,
    client: Client | None = None,
    statut: str = "",
    recherche: str = "",
    ouvertes: bool = False,
) -> QuerySet[Facture]:
    queryset = facture_queryset(membre=membre).select_related("client")
    if client is not None:
        queryset = queryset.filter(client=client)
    if statut:
        queryset = queryset.filter(statut=statut)
    if ouvertes:
        queryset = queryset.filter(statut__in=STATUTS_OUVERTS)
    recherche = recherche.strip()
    if recherche:
        queryset = queryset.filter(Q(numero__icontains=recherche) | Q(client__raison_sociale__icontains=recherche))
    return queryset.order_by("date_echeance", "pk")


def part_echue(*, echu: Decimal, encours: Decimal) -> Decimal | None:
    """Overdue over outstanding, in whole percent; None when nothing is outstanding."""
    if encours <= 0:
        return None
    return (echu / encours * 100).quantize(Decimal("1"))


@dataclass(frozen=True)
class SituationClient:
    encours: Decimal
    echu: Decimal
    factures_ouvertes: int
    factures_echues: int
    retard_moyen_jours: int | None
    plafond_credit: Decimal | None

    @property
    def part_echue(self) -> Decimal | None:
        return part_echue(echu=self.echu, encours=self.encours)

    @property
    def depasse_plafond(self) -> bool:
        return self.plafond_credit is not None and self.encours > self.plafond_credit


def client_situation(*, client: Client, aujourd_hui: datetime.date) -> SituationClient:
    """The balance of one client. Two queries.

    ``retard_moyen_jours``: the average, over allocations of payments received
    in the last twelve months, of payment date minus due date (negative when
    the client pays early); None without such payments.
    """
    pieces = Facture.objects.filter(client=client, statut__in=STATUTS_OUVERTS).aggregate(
        du=Coalesce(Sum("reste_du", filter=Q(nature=Nature.FACTURE)), ZERO),
        credit=Coalesce(Sum("reste_du", filter=Q(nature=Nature.AVOIR)), ZERO),
        echu=Coalesce(Sum("reste_du", filter=Q(nature=Nature.FACTURE, date_echeance__lt=aujourd_hui)), ZERO),
        ouvertes=Count("pk", filter=Q(nature=Nature.FACTURE)),
        echues=Count("pk", filter=Q(nature=Nature.FACTURE, date_echeance__lt=aujourd_hui)),
    )
    retard = Lettrage.objects.filter(
        # From the client's payments of the last twelve months (their (tenant, client, date)
        # index), not from its invoices: a client with thousands of invoices has few recent
        # payments. A payment is only ever allocated to its own client's invoices.
        # tenant_id on the joined tables too, so that their indexes serve the join.
        facture__tenant_id=client.tenant_id,
        paiement__tenant_id=client.tenant_id,
        paiement__client=client,
        annule_le__isnull=True,
        paiement__date_paiement__gte=aujourd_hui - datetime.timedelta(days=365),
    ).aggregate(
        moyen=Avg(
            ExpressionWrapper(F("paiement__date_paiement") - F("facture__date_echeance"), output_field=DurationField())
        )
    )["moyen"]
    return SituationClient(
        encours=pieces["du"] - pieces["credit"],
        echu=pieces["echu"],
        factures_ouvertes=pieces["ouvertes"],
        factures_echues=pieces["echues"],
        retard_moyen_jours=None if retard is None else round(retard.total_seconds() / 86400),
        plafond_credit=client.plafond_credit,
    )


def paiement_list(*, client: Client) -> QuerySet[Paiement]:
    return client.paiements.order_by("-date_paiement", "-pk")


def lettrage_list(*, facture: Facture) -> QuerySet[Lettrage]:
    return facture.lettrages.select_related("paiement", "avoir", "cree_par").order_by("-created_at", "-pk")


@dataclass(frozen=True)
class EncaissementAttendu:
    mois: datetime.date
    factures: int
    montant: Decimal


def encaissements_attendus(*, client: Client, aujourd_hui: datetime.date) -> list[EncaissementAttendu]:
    """What the client's open invoices not yet due should bring in, per month of their due date. One query."""
    lignes = (
        Facture.objects.filter(
            client=client, statut__in=STATUTS_OUVERTS, nature=Nature.FACTURE, date_echeance__gte=aujourd_hui
        )
        .annotate(mois=TruncMonth("date_echeance"))
        .order_by("mois")
        .values("mois")
        .annotate(factures=Count("pk"), montant=Sum("reste_du"))
    )
    return [EncaissementAttendu(mois=x["mois"], factures=x["factures"], montant=x["montant"]) for x in lignes]
