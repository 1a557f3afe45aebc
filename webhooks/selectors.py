"""Reads of the webhook pages. Precondition: inside the organisation's scope."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from webhooks.models import Endpoint, Livraison, StatutLivraison, Tentative


def endpoint_list() -> QuerySet[Endpoint]:
    """The endpoints with their deliveries waiting and abandoned (one query)."""
    return Endpoint.objects.annotate(
        nb_en_attente=Count(
            "livraisons", filter=Q(livraisons__statut__in=[StatutLivraison.EN_ATTENTE, StatutLivraison.EN_COURS])
        ),
        nb_abandonnees=Count("livraisons", filter=Q(livraisons__statut=StatutLivraison.ABANDONNEE)),
    ).order_by("created_at", "pk")


def livraison_list(*, endpoint_id: int | None = None, statut: str = "", type: str = "") -> QuerySet[Livraison]:
    """The delivery log, latest first, without the payloads (the detail page shows them)."""
    livraisons = Livraison.objects.select_related("endpoint").defer("payload", "endpoint__secret_chiffre")
    if endpoint_id is not None:
        livraisons = livraisons.filter(endpoint_id=endpoint_id)
    if statut in StatutLivraison.values:
        livraisons = livraisons.filter(statut=statut)
    if type:
        livraisons = livraisons.filter(type=type)
    return livraisons.order_by("-created_at", "-pk")


def tentative_list(*, livraison: Livraison) -> QuerySet[Tentative]:
    return Tentative.objects.filter(livraison=livraison).order_by("numero", "pk")
