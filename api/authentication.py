"""Authentication of API calls: a per-organisation key (``Authorization: Bearer <clé>``,
``Authorization: Api-Key <clé>`` or ``X-Api-Key``), or the browser's session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from api.models import CleApi
from api.services import cle_authentifier


def jeton_de_la_requete(request: HttpRequest) -> str | None:
    """The key sent with the request, or None when it carries none."""
    autorisation = request.headers.get("Authorization", "")
    schema, _espace, valeur = autorisation.partition(" ")
    if schema.lower() in ("bearer", "api-key"):
        return valeur.strip()
    if "X-Api-Key" in request.headers:
        return request.headers["X-Api-Key"].strip()
    return None


def cle_de_la_requete(request: HttpRequest) -> CleApi | None:
    """The active key of the request (called by ``TenantMiddleware``), else None."""
    jeton = jeton_de_la_requete(request)
    return cle_authentifier(jeton) if jeton else None


@dataclass(frozen=True)
class AppelParCle:
    """``request.user`` of a call made with a key: authenticated, but no person. Never passed
    to services as an author (``api.views.auteur`` gives None for it)."""

    cle: CleApi
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False
    pk: None = None

    def __str__(self) -> str:
        return f"API: {self.cle.nom}"


class CleApiAuthentication(authentication.BaseAuthentication):
    """The key was resolved by the middleware (which entered its organisation's scope); a key
    that is unknown or revoked gets 401."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        if jeton_de_la_requete(request._request) is None:
            return None
        cle = getattr(request._request, "cle_api", None)
        if cle is None:
            raise exceptions.AuthenticationFailed(_("Clé d'API inconnue ou révoquée."), code="cle_invalide")
        return AppelParCle(cle=cle), cle

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class CleApiScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.CleApiAuthentication"
    name = "cleApi"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": str(
                _("Clé d'API de l'organisation (créée par un administrateur dans Paramètres › Clés d'API).")
            ),
        }
