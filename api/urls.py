"""``/api/``: the REST API (``v1/``), its OpenAPI schema and documentation, and the keys page."""

from __future__ import annotations

from typing import Any

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from api import pages, views

app_name = "api"


def _routes(prefixe: str, vue: Any, cle: str, *, ecriture: bool = True, externe: bool = True) -> list[Any]:
    """The usual routes of a resource: list/create, retrieve/update, upsert and lookup by external id."""
    liste = {"get": "list", "post": "create"} if ecriture else {"get": "list"}
    detail = {"get": "retrieve"}
    if "partial_update" in vue.__dict__:
        detail["patch"] = "partial_update"
    routes = [
        path(f"v1/{prefixe}/", vue.as_view(liste), name=f"{prefixe}-list"),
        path(f"v1/{prefixe}/<int:{cle}>/", vue.as_view(detail), name=f"{prefixe}-detail"),
    ]
    if externe:
        externe_methodes = {"get": "externe", "put": "upsert"}
        routes.append(
            path(f"v1/{prefixe}/externe/<str:external_id>/", vue.as_view(externe_methodes), name=f"{prefixe}-externe")
        )
    if "bulk" in vue.__dict__:
        routes.append(path(f"v1/{prefixe}/bulk/", vue.as_view({"post": "bulk"}), name=f"{prefixe}-bulk"))
    return routes


def _action(prefixe: str, vue: Any, cle: str, nom: str) -> Any:
    return path(f"v1/{prefixe}/<int:{cle}>/{nom}/", vue.as_view({"post": nom}), name=f"{prefixe}-{nom}")


urlpatterns = [
    *_routes("clients", views.ClientApi, "client_id"),
    _action("clients", views.ClientApi, "client_id", "suspendre"),
    _action("clients", views.ClientApi, "client_id", "reprendre"),
    *_routes("contacts", views.ContactApi, "contact_id"),
    *_routes("factures", views.FactureApi, "facture_id"),
    _action("factures", views.FactureApi, "facture_id", "pdf"),
    _action("factures", views.FactureApi, "facture_id", "suspendre"),
    _action("factures", views.FactureApi, "facture_id", "reprendre"),
    *_routes("paiements", views.PaiementApi, "paiement_id"),
    *_routes("lettrages", views.LettrageApi, "lettrage_id", externe=False),
    _action("lettrages", views.LettrageApi, "lettrage_id", "annuler"),
    *_routes("relances", views.RelanceApi, "relance_id", ecriture=False, externe=False),
    *_routes("pauses", views.PauseApi, "pause_id", ecriture=False, externe=False),
    *_routes("litiges", views.LitigeApi, "litige_id"),
    _action("litiges", views.LitigeApi, "litige_id", "statut"),
    *_routes("echeanciers", views.EcheancierApi, "echeancier_id"),
    _action("echeanciers", views.EcheancierApi, "echeancier_id", "annuler"),
    *_routes("promesses", views.PromesseApi, "promesse_id"),
    re_path(r"^v1/", views.Introuvable.as_view(), name="introuvable"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", pages.documentation, name="docs"),
    path("cles/", pages.cles, name="cles"),
    path("cles/<int:cle_id>/revoquer/", pages.cle_revoquer, name="cle_revoquer"),
]
