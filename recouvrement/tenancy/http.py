"""Request types for views, as the tenant middleware leaves them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from recouvrement.tenancy.models import Membre, Organisation, User


class TenantRequest(HttpRequest):
    """Any request after ``TenantMiddleware``: the member may be missing."""

    organisation: Organisation | None
    membre: Membre | None
    membres: list[Membre]
    htmx: HtmxDetails  # django-htmx's middleware


class MembreRequest(HttpRequest):
    """A request in a view behind ``membre_requis`` / ``role_requis``: the member is there."""

    user: User  # type: ignore[assignment]
    organisation: Organisation
    membre: Membre
    membres: list[Membre]
    htmx: HtmxDetails  # django-htmx's middleware
