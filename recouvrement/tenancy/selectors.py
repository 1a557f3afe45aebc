"""Reads on members and invitations of the active organisation."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from recouvrement.tenancy.models import Invitation, Membre, Role


def membre_list() -> QuerySet[Membre]:
    return Membre.objects.select_related("user").order_by("-actif", "user__last_name", "user__email")


def membre_commercial_list() -> QuerySet[Membre]:
    """Active members a client can be assigned to as its commercial."""
    return membre_list().filter(actif=True, role__in=[Role.COMMERCIAL, Role.ADMIN, Role.CHARGE])


def invitation_ouverte_list() -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())
        .select_related("invite_par")
        .order_by("-created_at")
    )
