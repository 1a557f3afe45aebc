"""Reads on disputes."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from clients.models import Client
from factures.models import Facture, Nature
from litiges.models import (
    DELAIS_PAR_DEFAUT,
    RAPPEL_JOURS_AVANT_DEFAUT,
    STATUTS_LITIGE_ACTIFS,
    DelaiLitige,
    LigneLitige,
    Litige,
    ParametresLitige,
    TypeLitige,
)


def litige_list(*, client: Client | None = None, actifs: bool = False) -> QuerySet[Litige]:
    queryset = Litige.objects.select_related("client", "responsable__user").prefetch_related("lignes__facture")
    if client is not None:
        queryset = queryset.filter(client=client)
    if actifs:
        queryset = queryset.filter(statut__in=STATUTS_LITIGE_ACTIFS)
    return queryset.order_by("-created_at", "-pk")


@dataclass(frozen=True)
class FiltresLitiges:
    """The disputes list's filters. ``statut``: "" (active ones), "tous", or a status."""

    statut: str = ""
    type: str = ""
    responsable_id: int | None = None
    sans_responsable: bool = False
    en_retard: bool = False


def litige_filtrer(
    queryset: QuerySet[Litige], *, filtres: FiltresLitiges, aujourd_hui: datetime.date
) -> QuerySet[Litige]:
    if filtres.statut == "":
        queryset = queryset.filter(statut__in=STATUTS_LITIGE_ACTIFS)
    elif filtres.statut != "tous":
        queryset = queryset.filter(statut=filtres.statut)
    if filtres.type:
        queryset = queryset.filter(type=filtres.type)
    if filtres.sans_responsable:
        queryset = queryset.filter(responsable__isnull=True)
    elif filtres.responsable_id is not None:
        queryset = queryset.filter(responsable_id=filtres.responsable_id)
    if filtres.en_retard:
        queryset = queryset.filter(litige_en_retard(aujourd_hui))
    return queryset


def litige_en_retard(aujourd_hui: datetime.date) -> Q:
    """Active and past its due date (its SLA)."""
    return Q(statut__in=STATUTS_LITIGE_ACTIFS, echeance__lt=aujourd_hui)


def factures_en_litige(queryset: QuerySet[Facture]) -> QuerySet[Facture]:
    """Annotate ``en_litige``: the invoice is in an active dispute."""
    actives = LigneLitige.objects.filter(facture=OuterRef("pk"), litige__statut__in=STATUTS_LITIGE_ACTIFS)
    return queryset.annotate(en_litige=Exists(actives))


def litige_avoirs(*, litige: Litige) -> list[Facture]:
    """The credit notes the dispute's resolution issued (``litige_statut_changer`` numbers them
    ``AV-L<id>-<invoice>``)."""
    return list(
        Facture.objects.filter(
            nature=Nature.AVOIR,
            client_id=litige.client_id,
            facture_origine__in=LigneLitige.objects.filter(litige=litige).values("facture"),
            numero__startswith=f"AV-L{litige.pk}-",
        ).order_by("pk")
    )


def delais_par_type() -> dict[str, int]:
    """The organisation's time to settle each type of dispute, in days (defaults filled in)."""
    delais = dict(DELAIS_PAR_DEFAUT)
    delais.update(dict(DelaiLitige.objects.values_list("type", "jours")))
    return delais


def delai_jours(*, type: str) -> int:
    delai = DelaiLitige.objects.filter(type=type).values_list("jours", flat=True).first()
    return delai if delai is not None else DELAIS_PAR_DEFAUT.get(type, DELAIS_PAR_DEFAUT[TypeLitige.AUTRE])


def rappel_jours_avant() -> int:
    valeur = ParametresLitige.objects.values_list("rappel_jours_avant", flat=True).first()
    return valeur if valeur is not None else RAPPEL_JOURS_AVANT_DEFAUT
