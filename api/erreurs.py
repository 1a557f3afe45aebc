"""Every API error answers ``{"erreurs": [{"code", "champ", "message"}]}``.

``champ`` is the path of the field in the request body (``lettrages.0.montant``), or null for
an error about the whole request; ``message`` is in the request's language (Accept-Language).
DRF's own errors (401, 403, 404, 405, 415, 429, parse errors), the services'
``ApplicationError`` (400, or 409 when the object's state forbids it) and Django's
``ValidationError`` (400) all come out in this one shape.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from recouvrement.core.errors import ApplicationError

# Codes of ``ApplicationError`` that say "not in this state" rather than "bad input": 409.
CODES_CONFLIT = frozenset(
    {
        "transition_refusee",
        "facture_fermee",
        "facture_lettree",
        "facture_annulee",
        "facture_reglee",
        "echeancier_clos",
        "deja_en_echeancier",
        "pause_deja_levee",
        "pause_non_levable",
        "paiement_modifie",
        "external_id_existant",
        "avoir_indisponible",
    }
)


def erreur(code: str, message: Any, champ: str | None = None) -> dict[str, Any]:
    return {"code": str(code), "champ": champ, "message": str(message)}


def reponse_erreurs(erreurs: list[dict[str, Any]], statut: int = status.HTTP_400_BAD_REQUEST) -> Response:
    return Response({"erreurs": erreurs}, status=statut)


def _chemin(parent: str | None, cle: Any) -> str | None:
    if cle in (NON_FIELD_ERRORS, "non_field_errors"):
        return parent
    return f"{parent}.{cle}" if parent else str(cle)


def aplatir(detail: Any, champ: str | None = None) -> list[dict[str, Any]]:
    """DRF's nested ``get_full_details()`` as a flat list with dotted field paths."""
    if isinstance(detail, dict):
        if set(detail) == {"message", "code"}:
            return [erreur(detail["code"], detail["message"], champ)]
        return [e for cle, valeur in detail.items() for e in aplatir(valeur, _chemin(champ, cle))]
    if isinstance(detail, list):
        if all(isinstance(x, dict) and set(x) == {"message", "code"} for x in detail):
            return [e for x in detail for e in aplatir(x, champ)]
        return [e for i, x in enumerate(detail) for e in aplatir(x, _chemin(champ, i))]
    return [erreur("invalide", detail, champ)]


def erreurs_django(exc: DjangoValidationError, prefixe: str | None = None) -> list[dict[str, Any]]:
    if hasattr(exc, "error_dict"):
        return [
            erreur(e.code or "invalide", " ".join(e.messages), _chemin(prefixe, champ))
            for champ, liste in exc.error_dict.items()
            for e in liste
        ]
    return [erreur(e.code or "invalide", " ".join(e.messages), prefixe) for e in exc.error_list]


def statut_application(exc: ApplicationError) -> int:
    return status.HTTP_409_CONFLICT if exc.code in CODES_CONFLIT else status.HTTP_400_BAD_REQUEST


def gestionnaire(exc: Exception, context: dict[str, Any]) -> Response | None:
    """``REST_FRAMEWORK["EXCEPTION_HANDLER"]``."""
    if isinstance(exc, ApplicationError):
        return reponse_erreurs([erreur(exc.code, exc.message, exc.field)], statut_application(exc))
    if isinstance(exc, DjangoValidationError):
        return reponse_erreurs(erreurs_django(exc))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.APIException):
        details = exc.get_full_details()
        if isinstance(exc, exceptions.ValidationError):
            erreurs = aplatir(details)
        elif isinstance(details, dict) and set(details) == {"message", "code"}:
            erreurs = [erreur(str(details["code"]), details["message"])]
        else:
            erreurs = aplatir(details)
        attente = getattr(exc, "wait", None)
        if isinstance(exc, exceptions.Throttled) and attente is not None:
            erreurs[0]["message"] = _("Trop de requêtes : réessayez dans %(n)s s.") % {"n": int(attente)}
        response.data = {"erreurs": erreurs}
    return response
