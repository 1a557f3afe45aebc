"""Sets the current organisation for the whole request, and guards read-only members."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import check_for_language

from recouvrement.tenancy.context import organisation_scope, user_scope
from recouvrement.tenancy.models import Membre
from recouvrement.tenancy.roles import peut_ecrire

SESSION_KEY = "organisation_id"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def personal_write(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view whose POST changes only the user's own things (logout, password,
    organisation switch): read-only members may use it."""
    view.personal_write = True  # type: ignore[attr-defined]
    return view


class TenantMiddleware:
    """Resolve the user's membership, then run the rest of the request inside its scope.

    The active organisation is the one stored in the session if the user is
    still an active member of it, else the first of their memberships. Users
    without membership (platform staff, a removed member) get no scope at all,
    so any tenant-owned query raises or returns nothing.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.organisation = None  # type: ignore[attr-defined]
        request.membre = None  # type: ignore[attr-defined]
        request.membres = []  # type: ignore[attr-defined]
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)

        with user_scope(user.pk):
            membres = list(
                Membre.objects.of_user(user)
                .filter(actif=True)
                .select_related("tenant")
                .order_by("tenant__raison_sociale")
            )
        request.membres = membres  # type: ignore[attr-defined]
        wanted = request.session.get(SESSION_KEY)
        membre = next((m for m in membres if m.tenant_id == wanted), membres[0] if membres else None)
        if membre is None:
            with user_scope(user.pk):
                return self.get_response(request)

        request.membre = membre  # type: ignore[attr-defined]
        request.organisation = membre.tenant  # type: ignore[attr-defined]
        if wanted != membre.tenant_id:
            request.session[SESSION_KEY] = membre.tenant_id
        with organisation_scope(membre.tenant, user_id=user.pk):
            timezone.activate(zoneinfo.ZoneInfo(membre.tenant.fuseau_horaire))
            try:
                return self.get_response(request)
            finally:
                timezone.deactivate()

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> None:
        membre = getattr(request, "membre", None)
        if membre is None or request.method in SAFE_METHODS:
            return None
        if getattr(view_func, "personal_write", False):
            return None
        if not peut_ecrire(membre):
            raise PermissionDenied("Lecture seule")
        return None


class LangueMiddleware:
    """French first: the language is the one the user chose with the switch (cookie),
    else the organisation's, else French. The browser's Accept-Language is ignored,
    so a French team with English browsers still works in French.

    Placed after ``TenantMiddleware`` (it reads the organisation), instead of
    Django's ``LocaleMiddleware``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        langue = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if not check_for_language(langue) or langue not in dict(settings.LANGUAGES):
            organisation = getattr(request, "organisation", None)
            langue = organisation.langue if organisation is not None else settings.LANGUAGE_CODE
        translation.activate(langue)
        request.LANGUAGE_CODE = translation.get_language()  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", langue)
        patch_vary_headers(response, ("Cookie",))
        return response
