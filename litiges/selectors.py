"""Reads on disputes."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from clients.models import Client
from factures.models import Facture
from litiges.models import STATUTS_LITIGE_ACTIFS, LigneLitige, Litige


def litige_list(*, client: Client | None = None, actifs: bool = False) -> QuerySet[Litige]:
    queryset = Litige.objects.select_related("client", "responsable__user").prefetch_related("lignes__facture")
    if client is not None:
        queryset = queryset.filter(client=client)
    if actifs:
        queryset = queryset.filter(statut__in=STATUTS_LITIGE_ACTIFS)
    return queryset.order_by("-created_at", "-pk")


def factures_en_litige(queryset: QuerySet[Facture]) -> QuerySet[Facture]:
    """Annotate ``en_litige``: the invoice is in an active dispute."""
    actives = LigneLitige.objects.filter(facture=OuterRef("pk"), litige__statut__in=STATUTS_LITIGE_ACTIFS)
    return queryset.annotate(en_litige=Exists(actives))
