"""What every API view shares: the caller (a key or a member), the visible clients, the
cursor pagination, the JSON parser that keeps decimals exact, and the bulk/upsert plumbing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, filters, pagination, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from api.erreurs import erreur, reponse_erreurs
from api.lecture import Schema, ligne_convertir
from clients.models import Client
from clients.selectors import client_queryset
from recouvrement.core.masse import ErreurLigne, ResultatLigne, ResultatMasse, StatutLigne, sans_ramasse_miettes
from recouvrement.tenancy.models import Membre, User

Upsert = Callable[..., ResultatMasse]


class Curseur(pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "-id"


def membre_de(request: Request) -> Membre | None:
    """The member calling through the browser session; None for a call with a key."""
    return getattr(request._request, "membre", None) if request.auth is None else None


def auteur_de(request: Request) -> User | None:
    """Who to record as author in events: the member's user; nobody for a key."""
    return request.user if isinstance(request.user, User) else None


def clients_visibles(request: Request) -> QuerySet[Client]:
    """Every client of the organisation for a key; for a member, those his role lets him see."""
    membre = membre_de(request)
    return client_queryset(membre=membre) if membre is not None else Client.objects.all()


class BaseApi(viewsets.GenericViewSet):
    """Base of the resources. Lists: cursor pagination, django-filter filters, ``ordering``."""

    # The middleware lets DRF refuse writes itself (JSON 403) instead of its HTML page.
    ecritures_controlees = True
    # Writes on receivables (clients, invoices, payments, allocations) need that capability.
    ecriture_creances = True
    pagination_class = Curseur
    # No OPTIONS metadata (DRF's would look the object up for PUT on /externe/…): 405.
    metadata_class = None
    filter_backends = [DjangoFilterBackend, filters.OrderingFilter]
    ordering_fields: Sequence[str] = ("id", "created_at")
    ordering = ("-id",)

    def objet_externe(self, external_id: str) -> Any:
        objet = self.get_queryset().filter(external_id=external_id).first()
        if objet is None or not external_id:
            raise exceptions.NotFound()
        return objet

    def repondre_objet(self, objet: Any, statut: int = status.HTTP_200_OK) -> Response:
        objet = self.get_queryset().get(pk=objet.pk)
        return Response(self.get_serializer(objet).data, status=statut)


class EcritureConcurrente(exceptions.APIException):
    """Another call created the same row (number, external id, SIRET) while this one ran: its
    insert waited for that call's commit, then met the unique constraint. Nothing of this call is
    written; sent again, it finds the row. 409 with ``Retry-After``, not a server error."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "ecriture_concurrente"
    default_detail = gettext_lazy(
        "Un autre appel a créé les mêmes lignes au même moment : rien n'a été écrit, renvoyez cet appel."
    )
    wait = 1


def _violation_d_unicite(erreur_bd: IntegrityError) -> bool:
    cause = erreur_bd.__cause__
    return getattr(cause, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(erreur_bd)


def ecrire(fonction: Upsert, **arguments: Any) -> ResultatMasse:
    """The bulk upsert in its own transaction (a savepoint inside the request's). A unique
    constraint met because of a concurrent call is ``EcritureConcurrente``; any other integrity
    error is a bug and stays one."""
    try:
        with transaction.atomic():
            return fonction(**arguments)
    except IntegrityError as erreur_bd:
        if _violation_d_unicite(erreur_bd):
            raise EcritureConcurrente() from erreur_bd
        raise


def _erreur_ligne(e: ErreurLigne) -> dict[str, Any]:
    return erreur(e.code, e.message, e.champ or None)


def ligne_unique(
    request: Request, *, schema: Schema, fonction: Upsert, valeurs: dict[str, Any] | None = None
) -> ResultatLigne | Response:
    """One object of the body through the bulk upsert (same checks as the bulk endpoint).
    Returns the row's result, or the 400 response when it is in error."""
    if not isinstance(request.data, dict):
        return reponse_erreurs([erreur("type_invalide", _("Un objet JSON est attendu."))])
    ligne, erreurs = ligne_convertir(request.data, schema, 0)
    if erreurs:
        return reponse_erreurs([_erreur_ligne(e) for e in erreurs])
    ligne.update(valeurs or {})
    resultat = ecrire(fonction, lignes=[ligne], tout_ou_rien=True, auteur=auteur_de(request)).lignes[0]
    if resultat.statut in (StatutLigne.ERREUR, StatutLigne.NON_ECRIT):
        return reponse_erreurs([_erreur_ligne(e) for e in resultat.erreurs])
    return resultat


def _vrai(valeur: str | None) -> bool:
    return (valeur or "").lower() in ("1", "true", "vrai", "oui", "yes")


@sans_ramasse_miettes()
def masse_traiter(request: Request, *, schema: Schema, fonction: Upsert) -> Response:
    """``POST …/bulk/``: a JSON array of rows, typed here, written by the bulk upsert in one
    transaction, with a result per row. ``?tout_ou_rien=true``: one bad row writes nothing."""
    items = request.data
    if not isinstance(items, list):
        return reponse_erreurs([erreur("type_invalide", _("Un tableau JSON de lignes est attendu."))])
    maximum = settings.API_MASSE_MAX
    if len(items) > maximum:
        return reponse_erreurs(
            [erreur("trop_de_lignes", _("Au plus %(max)s lignes par appel.") % {"max": maximum})],
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    tout_ou_rien = _vrai(request.query_params.get("tout_ou_rien"))
    lignes: list[dict[str, Any]] = []
    positions: list[int] = []
    resultats: list[ResultatLigne | None] = [None] * len(items)
    for index, item in enumerate(items):
        ligne, erreurs = ligne_convertir(item, schema, index)
        if erreurs:
            resultats[index] = ResultatLigne(index=index, statut=StatutLigne.ERREUR, erreurs=erreurs)
        else:
            positions.append(index)
            lignes.append(ligne)
    erreurs_de_type = len(positions) < len(items)
    ecrit = False
    if lignes:
        with transaction.atomic():
            resultat = ecrire(fonction, lignes=lignes, tout_ou_rien=tout_ou_rien, auteur=auteur_de(request))
            ecrit = resultat.ecrit
            if tout_ou_rien and erreurs_de_type:
                # A row was refused before the upsert saw it: nothing is kept.
                transaction.set_rollback(True)
                ecrit = False
        for ligne_resultat in resultat.lignes:
            index = positions[ligne_resultat.index]
            statut = ligne_resultat.statut
            if not ecrit and statut != StatutLigne.ERREUR:
                statut = StatutLigne.NON_ECRIT
            resultats[index] = ResultatLigne(
                index=index,
                statut=statut,
                id=ligne_resultat.id if statut != StatutLigne.NON_ECRIT else None,
                erreurs=ligne_resultat.erreurs,
            )
    comptes = dict.fromkeys(StatutLigne, 0)
    sortie = []
    for resultat_final in resultats:
        assert resultat_final is not None
        comptes[resultat_final.statut] += 1
        sortie.append(
            {
                "index": resultat_final.index,
                "statut": str(resultat_final.statut),
                "id": resultat_final.id,
                "erreurs": [
                    {"code": e.code, "champ": e.champ or None, "message": str(e.message)}
                    for e in resultat_final.erreurs
                ],
            }
        )
    return Response(
        {
            "ecrit": ecrit,
            "total": len(items),
            "crees": comptes[StatutLigne.CREE],
            "mis_a_jour": comptes[StatutLigne.MIS_A_JOUR],
            "inchanges": comptes[StatutLigne.INCHANGE],
            "en_erreur": comptes[StatutLigne.ERREUR],
            "non_ecrits": comptes[StatutLigne.NON_ECRIT],
            "resultats": sortie,
        }
    )
