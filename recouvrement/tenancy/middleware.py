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
from django.utils.translation import check_for_language, get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header

from recouvrement.tenancy.context import organisation_scope, user_scope
from recouvrement.tenancy.models import Membre
from recouvrement.tenancy.roles import peut_ecrire

SESSION_KEY = "organisation_id"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
API_PREFIXE = "/api/"
# The REST API's own URLs (not its pages: keys, documentation): language from Accept-Language.
API_REST_PREFIXES = ("/api/v1/", "/api/schema/")


def _porte_une_cle(request: HttpRequest) -> bool:
    autorisation = request.headers.get("Authorization", "").split(" ", 1)[0].lower()
    return autorisation in ("bearer", "api-key") or "X-Api-Key" in request.headers


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
        if request.path.startswith(API_PREFIXE) and _porte_une_cle(request):
            return self._appel_par_cle(request)
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

    def _appel_par_cle(self, request: HttpRequest) -> HttpResponse:
        """An API call with a key: the key, not a session, decides the organisation. An unknown
        or revoked key gets no scope; the API's authentication then answers 401."""
        from api.authentication import cle_de_la_requete

        cle = cle_de_la_requete(request)
        request.cle_api = cle  # type: ignore[attr-defined]
        if cle is None:
            return self.get_response(request)
        request.organisation = cle.tenant  # type: ignore[attr-defined]
        with organisation_scope(cle.tenant):
            timezone.activate(zoneinfo.ZoneInfo(cle.tenant.fuseau_horaire))
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
        if getattr(getattr(view_func, "cls", None), "ecritures_controlees", False):
            return None  # the REST API checks the role itself and answers 403 in JSON
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
        if request.path.startswith(API_REST_PREFIXES):
            return self._appel_api(request)
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

    def _appel_api(self, request: HttpRequest) -> HttpResponse:
        """The REST API speaks the caller's ``Accept-Language`` (French by default), not the cookie's."""
        langue = settings.LANGUAGE_CODE
        for code, _poids in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
            try:
                langue = get_supported_language_variant(code)
                break
            except LookupError:
                continue
        translation.activate(langue)
        request.LANGUAGE_CODE = translation.get_language()  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", langue)
        patch_vary_headers(response, ("Accept-Language",))
        return response
