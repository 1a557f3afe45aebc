"""The REST API's resources (``/api/v1/``). Thin: parse, call a service or a selector, answer.

Writes go through the apps' services (``clients.services``, ``factures.services``,
``litiges.services``, ``relances.services``) and, for clients, contacts, invoices and payments,
through the bulk upserts (``clients.masse``, ``factures.masse``): the bulk endpoint, the upsert
by external id and the creation share their checks.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import lecture, masse
from api import serializers as s
from api.base import BaseApi, auteur_de, clients_visibles, ligne_unique, masse_traiter, membre_de
from api.erreurs import erreur, reponse_erreurs
from api.filtres import (
    ClientFiltre,
    ContactFiltre,
    EcheancierFiltre,
    FactureFiltre,
    LettrageFiltre,
    LitigeFiltre,
    PaiementFiltre,
    PromesseFiltre,
    RelanceFiltre,
)
from api.services import facture_pdf_attacher
from clients.models import Client, Contact
from clients.services import client_update, contact_update
from factures.models import Facture, Lettrage, Paiement
from factures.services import lettrage_annuler, lettrage_create
from litiges.models import LigneLitige, Litige
from litiges.services import litige_ouvrir, litige_statut_changer
from recouvrement.core.errors import ApplicationError
from recouvrement.core.masse import StatutLigne
from recouvrement.tenancy.models import Membre
from recouvrement.tenancy.roles import voit_tous_les_clients
from relances.models import Echeancier, LigneEcheancier, MotifPause, Pause, Promesse, Relance
from relances.services.echeanciers import echeancier_annuler, echeancier_create
from relances.services.pauses import pause_create, pause_lever
from relances.services.taches import promesse_create

ERREURS = {
    400: OpenApiResponse(s.ErreursSerializer, description="Requête invalide"),
    401: OpenApiResponse(s.ErreursSerializer, description="Clé absente, inconnue ou révoquée"),
    403: OpenApiResponse(s.ErreursSerializer, description="Droits insuffisants"),
    404: OpenApiResponse(s.ErreursSerializer, description="Introuvable"),
    409: OpenApiResponse(
        s.ErreursSerializer,
        description=(
            "Conflit avec l'état de l'objet, ou les mêmes lignes créées au même moment par un autre appel "
            "(voir Retry-After)"
        ),
    ),
    429: OpenApiResponse(s.ErreursSerializer, description="Trop de requêtes (voir Retry-After)"),
}
LECTURE = {k: v for k, v in ERREURS.items() if k in (400, 401, 403, 404, 429)}
PARAM_EXTERNE = OpenApiParameter("external_id", OpenApiTypes.STR, OpenApiParameter.PATH)
PARAM_TOUT_OU_RIEN = OpenApiParameter(
    "tout_ou_rien", OpenApiTypes.BOOL, OpenApiParameter.QUERY, description="Une ligne en erreur : rien n'est écrit."
)


def _objet_visible(queryset: QuerySet[Any], pk: Any, champ: str, code: str, message: str) -> Any:
    """An object named in a request body, among those the caller may see; an error on ``champ`` otherwise."""
    objet = queryset.filter(pk=pk).first() if isinstance(pk, int) and pk > 0 else None
    if objet is None:
        raise ApplicationError(message, code=code, field=champ)
    return objet


def _client(request: Request, pk: Any, champ: str = "client") -> Client:
    return _objet_visible(clients_visibles(request), pk, champ, "client_inconnu", _("Client inconnu."))


def _factures(request: Request) -> QuerySet[Facture]:
    return Facture.objects.filter(client__in=clients_visibles(request))


def _corps(request: Request, serializer_class: type[serializers.Serializer], **extra: Any) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return {**serializer.validated_data, **extra}


def _masse_doc(nom: str, serializer: Any) -> dict[str, Any]:
    return {
        "summary": f"Création ou mise à jour en masse ({nom}), par lots d'au plus 10 000",
        "request": {"application/json": {"type": "array", "items": {"type": "object", "additionalProperties": True}}},
        "parameters": [PARAM_TOUT_OU_RIEN],
        "responses": {200: s.ResultatMasseSerializer, **ERREURS, 413: OpenApiResponse(s.ErreursSerializer)},
    }


OBJET_LIBRE = {"application/json": {"type": "object", "additionalProperties": True}}


class UpsertMasseMixin:
    """Create, upsert by external id and bulk through a bulk upsert function."""

    schema_lignes: lecture.Schema
    masse: Any

    def _creer(self, request: Request) -> Response:
        external_id = request.data.get("external_id") if isinstance(request.data, dict) else None
        if external_id and self.get_queryset().model.objects.filter(external_id=external_id).exists():  # type: ignore[attr-defined]
            return reponse_erreurs(
                [erreur("external_id_existant", _("Cet identifiant externe existe déjà."), "external_id")],
                status.HTTP_409_CONFLICT,
            )
        return self._ecrire(request)

    def _ecrire(self, request: Request, valeurs: dict[str, Any] | None = None, creation: bool = True) -> Response:
        with transaction.atomic():
            resultat = ligne_unique(request, schema=self.schema_lignes, fonction=self.masse, valeurs=valeurs)
            if isinstance(resultat, Response):
                return resultat
            if creation and resultat.statut != StatutLigne.CREE:
                # A POST matched an existing object (e.g. by its SIRET): it creates, never updates.
                transaction.set_rollback(True)
                return reponse_erreurs(
                    [erreur("existe_deja", _("Un objet existant porte déjà cet identifiant."))],
                    status.HTTP_409_CONFLICT,
                )
        objet = self.get_queryset().model.objects.get(pk=resultat.id)  # type: ignore[attr-defined]
        code = status.HTTP_201_CREATED if resultat.statut == StatutLigne.CREE else status.HTTP_200_OK
        return self.repondre_objet(objet, code)  # type: ignore[attr-defined]

    def _upsert_externe(self, request: Request, external_id: str) -> Response:
        return self._ecrire(request, {"external_id": external_id}, creation=False)

    def _masse(self, request: Request) -> Response:
        return masse_traiter(request, schema=self.schema_lignes, fonction=self.masse)


# --- clients -------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Clients", responses={200: s.ClientSerializer(many=True), **LECTURE}),
    retrieve=extend_schema(summary="Un client", responses={200: s.ClientSerializer, **LECTURE}),
)
class ClientApi(UpsertMasseMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseApi):
    serializer_class = s.ClientSerializer
    filterset_class = ClientFiltre
    lookup_url_kwarg = "client_id"
    ordering_fields = ("id", "raison_sociale", "created_at", "updated_at")
    schema_lignes = lecture.CHAMPS_CLIENT
    masse = staticmethod(masse.clients_upsert)

    def get_queryset(self) -> QuerySet[Client]:
        return clients_visibles(self.request).select_related("commercial__user", "chef_projet__user")

    @extend_schema(summary="Créer un client", request=OBJET_LIBRE, responses={201: s.ClientSerializer, **ERREURS})
    def create(self, request: Request) -> Response:
        return self._creer(request)

    @extend_schema(summary="Modifier un client", request=OBJET_LIBRE, responses={200: s.ClientSerializer, **ERREURS})
    def partial_update(self, request: Request, client_id: int) -> Response:
        client = self.get_object()
        if not isinstance(request.data, dict):
            return reponse_erreurs([erreur("type_invalide", _("Un objet JSON est attendu."))])
        ligne, erreurs = lecture.ligne_convertir(request.data, lecture.CHAMPS_CLIENT, 0)
        if erreurs:
            return reponse_erreurs([erreur(e.code, e.message, e.champ) for e in erreurs])
        for champ in ("commercial", "chef_projet"):
            if f"{champ}_email" in ligne:
                ligne[champ] = _membre_par_email(ligne.pop(f"{champ}_email"), f"{champ}_email")
        client_update(client=client, auteur=auteur_de(request), **ligne)
        return self.repondre_objet(client)

    @extend_schema(
        summary="Créer ou mettre à jour un client par son identifiant externe",
        request=OBJET_LIBRE,
        parameters=[PARAM_EXTERNE],
        responses={200: s.ClientSerializer, 201: s.ClientSerializer, **ERREURS},
    )
    def upsert(self, request: Request, external_id: str) -> Response:
        return self._upsert_externe(request, external_id)

    @extend_schema(summary="Un client par son identifiant externe", parameters=[PARAM_EXTERNE])
    def externe(self, request: Request, external_id: str) -> Response:
        return self.repondre_objet(self.objet_externe(external_id))

    @extend_schema(**_masse_doc("clients", s.ClientSerializer))
    def bulk(self, request: Request) -> Response:
        return self._masse(request)

    @extend_schema(
        summary="Suspendre les relances du client",
        request=s.PauseCreationSerializer,
        responses={200: s.EtatRelancesSerializer, **ERREURS},
    )
    @action(detail=True, methods=["post"])
    def suspendre(self, request: Request, client_id: int) -> Response:
        client = self.get_object()
        donnees = _corps(request, s.PauseCreationSerializer)
        pause_create(motif=MotifPause.MANUELLE, client=client, auteur=auteur_de(request), **donnees)
        return Response(_etat_relances(client=client))

    @extend_schema(
        summary="Reprendre les relances du client", request=None, responses={200: s.EtatRelancesSerializer, **ERREURS}
    )
    @action(detail=True, methods=["post"])
    def reprendre(self, request: Request, client_id: int) -> Response:
        client = self.get_object()
        _pauses_lever(Pause.objects.filter(client=client, facture__isnull=True), request)
        return Response(_etat_relances(client=client))


def _membre_par_email(email: str, champ: str) -> Membre | None:
    if not email:
        return None
    membre = Membre.objects.filter(user__email__iexact=email.strip(), actif=True).first()
    if membre is None:
        raise ApplicationError(
            _("Aucun membre actif de l'organisation n'a cette adresse."), code="membre_inconnu", field=champ
        )
    return membre


def _etat_relances(*, client: Client | None = None, facture: Facture | None = None) -> dict[str, Any]:
    pauses = Pause.objects.filter(levee_le__isnull=True)
    pauses = pauses.filter(facture=facture) if facture is not None else pauses.filter(client=client)
    liste = list(pauses.order_by("pk"))
    return {"suspendues": bool(liste), "pauses": s.PauseSerializer(liste, many=True).data}


def _pauses_lever(pauses: QuerySet[Pause], request: Request) -> None:
    """Lift the pauses a member may lift by hand (manual, promise); those of a dispute or a plan stay."""
    actives = list(pauses.filter(levee_le__isnull=True).order_by("pk"))
    levables = [p for p in actives if p.levable_a_la_main]
    if actives and not levables:
        raise ApplicationError(
            _(
                "Ces relances sont suspendues par un litige, un échéancier ou un contentieux : "
                "elles reprendront avec lui."
            ),
            code="pause_non_levable",
        )
    for pause in levables:
        pause_lever(pause=pause, auteur=auteur_de(request), a_la_main=True)


# --- contacts ------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Contacts", responses={200: s.ContactSerializer(many=True), **LECTURE}),
    retrieve=extend_schema(summary="Un contact", responses={200: s.ContactSerializer, **LECTURE}),
)
class ContactApi(UpsertMasseMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseApi):
    serializer_class = s.ContactSerializer
    filterset_class = ContactFiltre
    lookup_url_kwarg = "contact_id"
    ordering_fields = ("id", "nom", "created_at")
    schema_lignes = lecture.CHAMPS_CONTACT
    masse = staticmethod(masse.contacts_upsert)

    def get_queryset(self) -> QuerySet[Contact]:
        return Contact.objects.filter(client__in=clients_visibles(self.request))

    @extend_schema(summary="Créer un contact", request=OBJET_LIBRE, responses={201: s.ContactSerializer, **ERREURS})
    def create(self, request: Request) -> Response:
        return self._creer(request)

    @extend_schema(summary="Modifier un contact", request=OBJET_LIBRE, responses={200: s.ContactSerializer, **ERREURS})
    def partial_update(self, request: Request, contact_id: int) -> Response:
        contact = self.get_object()
        if not isinstance(request.data, dict):
            return reponse_erreurs([erreur("type_invalide", _("Un objet JSON est attendu."))])
        ligne, erreurs = lecture.ligne_convertir(request.data, lecture.CHAMPS_CONTACT, 0)
        if erreurs:
            return reponse_erreurs([erreur(e.code, e.message, e.champ) for e in erreurs])
        if {"client_id", "client_external_id"} & set(ligne):
            raise ApplicationError(_("Un contact ne change pas de client."), code="non_modifiable", field="client_id")
        contact_update(contact=contact, auteur=auteur_de(request), **ligne)
        return self.repondre_objet(contact)

    @extend_schema(
        summary="Créer ou mettre à jour un contact par son identifiant externe",
        request=OBJET_LIBRE,
        parameters=[PARAM_EXTERNE],
        responses={200: s.ContactSerializer, 201: s.ContactSerializer, **ERREURS},
    )
    def upsert(self, request: Request, external_id: str) -> Response:
        return self._upsert_externe(request, external_id)

    @extend_schema(summary="Un contact par son identifiant externe", parameters=[PARAM_EXTERNE])
    def externe(self, request: Request, external_id: str) -> Response:
        return self.repondre_objet(self.objet_externe(external_id))

    @extend_schema(**_masse_doc("contacts", s.ContactSerializer))
    def bulk(self, request: Request) -> Response:
        return self._masse(request)


# --- factures ------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Factures et avoirs", responses={200: s.FactureSerializer(many=True), **LECTURE}),
    retrieve=extend_schema(summary="Une facture", responses={200: s.FactureSerializer, **LECTURE}),
)
class FactureApi(UpsertMasseMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseApi):
    serializer_class = s.FactureSerializer
    filterset_class = FactureFiltre
    lookup_url_kwarg = "facture_id"
    ordering_fields = ("id", "numero", "date_emission", "date_echeance", "montant_ttc", "reste_du", "updated_at")
    schema_lignes = lecture.CHAMPS_FACTURE
    masse = staticmethod(masse.factures_upsert)

    def get_queryset(self) -> QuerySet[Facture]:
        return _factures(self.request)

    @extend_schema(summary="Créer une facture", request=OBJET_LIBRE, responses={201: s.FactureSerializer, **ERREURS})
    def create(self, request: Request) -> Response:
        numero = request.data.get("numero") if isinstance(request.data, dict) else None
        if isinstance(numero, str) and numero.strip() and Facture.objects.filter(numero=numero.strip()).exists():
            return reponse_erreurs(
                [erreur("numero_en_double", _("Ce numéro de facture existe déjà."), "numero")],
                status.HTTP_409_CONFLICT,
            )
        return self._creer(request)

    @extend_schema(
        summary="Modifier une facture",
        description="Les mêmes règles que la mise à jour en masse (montants, client d'une facture lettrée…).",
        request=OBJET_LIBRE,
        responses={200: s.FactureSerializer, **ERREURS},
    )
    def partial_update(self, request: Request, facture_id: int) -> Response:
        facture = self.get_object()
        if not isinstance(request.data, dict):
            return reponse_erreurs([erreur("type_invalide", _("Un objet JSON est attendu."))])
        cle = {"external_id": facture.external_id} if facture.external_id else {"numero": facture.numero}
        for champ, valeur in cle.items():
            if champ in request.data and request.data[champ] != valeur:
                raise ApplicationError(_("Ce champ ne se modifie pas."), code="non_modifiable", field=champ)
        return self._ecrire(request, cle, creation=False)

    @extend_schema(
        summary="Créer ou mettre à jour une facture par son identifiant externe",
        request=OBJET_LIBRE,
        parameters=[PARAM_EXTERNE],
        responses={200: s.FactureSerializer, 201: s.FactureSerializer, **ERREURS},
    )
    def upsert(self, request: Request, external_id: str) -> Response:
        return self._upsert_externe(request, external_id)

    @extend_schema(summary="Une facture par son identifiant externe", parameters=[PARAM_EXTERNE])
    def externe(self, request: Request, external_id: str) -> Response:
        return self.repondre_objet(self.objet_externe(external_id))

    @extend_schema(**_masse_doc("factures", s.FactureSerializer))
    def bulk(self, request: Request) -> Response:
        return self._masse(request)

    @extend_schema(
        summary="Joindre le PDF de la facture",
        request={"multipart/form-data": s.PdfSerializer},
        responses={200: s.FactureSerializer, **ERREURS},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def pdf(self, request: Request, facture_id: int) -> Response:
        facture = self.get_object()
        fichier = request.FILES.get("fichier")
        if fichier is None:
            raise ApplicationError(_("Joignez le PDF dans le champ « fichier »."), code="requis", field="fichier")
        return self.repondre_objet(facture_pdf_attacher(facture=facture, fichier=fichier))

    @extend_schema(
        summary="Suspendre les relances de la facture",
        request=s.PauseCreationSerializer,
        responses={200: s.EtatRelancesSerializer, **ERREURS},
    )
    @action(detail=True, methods=["post"])
    def suspendre(self, request: Request, facture_id: int) -> Response:
        facture = self.get_object()
        donnees = _corps(request, s.PauseCreationSerializer)
        pause_create(motif=MotifPause.MANUELLE, facture=facture, auteur=auteur_de(request), **donnees)
        return Response(_etat_relances(facture=facture))

    @extend_schema(
        summary="Reprendre les relances de la facture",
        request=None,
        responses={200: s.EtatRelancesSerializer, **ERREURS},
    )
    @action(detail=True, methods=["post"])
    def reprendre(self, request: Request, facture_id: int) -> Response:
        facture = self.get_object()
        _pauses_lever(Pause.objects.filter(facture=facture), request)
        return Response(_etat_relances(facture=facture))


# --- paiements -----------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Paiements", responses={200: s.PaiementSerializer(many=True), **LECTURE}),
    retrieve=extend_schema(summary="Un paiement", responses={200: s.PaiementSerializer, **LECTURE}),
)
class PaiementApi(UpsertMasseMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseApi):
    """A payment is not edited once recorded (only its label, reference and means, through the
    upsert by external id); a wrong allocation is cancelled on ``/lettrages/{id}/annuler/``."""

    serializer_class = s.PaiementSerializer
    filterset_class = PaiementFiltre
    lookup_url_kwarg = "paiement_id"
    ordering_fields = ("id", "date_paiement", "montant", "created_at")
    schema_lignes = lecture.CHAMPS_PAIEMENT
    masse = staticmethod(masse.paiements_upsert)

    def get_queryset(self) -> QuerySet[Paiement]:
        membre = membre_de(self.request)
        if membre is None or voit_tous_les_clients(membre):
            return Paiement.objects.all()
        return Paiement.objects.filter(client__in=clients_visibles(self.request))

    @extend_schema(
        summary="Enregistrer un paiement (et ses lettrages)",
        request=OBJET_LIBRE,
        responses={201: s.PaiementSerializer, **ERREURS},
    )
    def create(self, request: Request) -> Response:
        return self._creer(request)

    @extend_schema(
        summary="Créer ou mettre à jour un paiement par son identifiant externe",
        request=OBJET_LIBRE,
        parameters=[PARAM_EXTERNE],
        responses={200: s.PaiementSerializer, 201: s.PaiementSerializer, **ERREURS},
    )
    def upsert(self, request: Request, external_id: str) -> Response:
        return self._upsert_externe(request, external_id)

    @extend_schema(summary="Un paiement par son identifiant externe", parameters=[PARAM_EXTERNE])
    def externe(self, request: Request, external_id: str) -> Response:
        return self.repondre_objet(self.objet_externe(external_id))

    @extend_schema(**_masse_doc("paiements", s.PaiementSerializer))
    def bulk(self, request: Request) -> Response:
        return self._masse(request)


# --- lettrages -----------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Lettrages", responses={200: s.LettrageSerializer(many=True), **LECTURE}),
    retrieve=extend_schema(summary="Un lettrage", responses={200: s.LettrageSerializer, **LECTURE}),
)
class LettrageApi(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseApi):
    serializer_class = s.LettrageSerializer
    filterset_class = LettrageFiltre
    lookup_url_kwarg = "lettrage_id"
    ordering_fields = ("id", "date_lettrage", "created_at")

    def get_queryset(self) -> QuerySet[Lettrage]:
        return Lettrage.objects.filter(facture__in=_factures(self.request))

    @extend_schema(
        summary="Lettrer un paiement ou un avoir sur une facture",
        request=s.LettrageCreationSerializer,
        responses={201: s.LettrageSerializer, **ERREURS},
    )
    def create(self, request: Request) -> Response:
        donnees = _corps(request, s.LettrageCreationSerializer)
        message = _("Facture inconnue.")
        facture = _objet_visible(_factures(request), donnees["facture"], "facture", "facture_inconnue", message)
        paiement = avoir = None
        if donnees.get("paiement") is not None:
            paiement = _objet_visible(
                Paiement.objects.all(), donnees["paiement"], "paiement", "paiement_inconnu", _("Paiement inconnu.")
            )
        if donnees.get("avoir") is not None:
            avoir = _objet_visible(_factures(request), donnees["avoir"], "avoir", "avoir_inconnu", _("Avoir inconnu."))
        lettrage = lettrage_create(
            facture=facture,
            paiement=paiement,
            avoir=avoir,
            montant=donnees["montant"],
            date_lettrage=donnees.get("date_lettrage"),
            auteur=auteur_de(request),
        )
        return self.repondre_objet(lettrage, status.HTTP_201_CREATED)

    @extend_schema(summary="Annuler un lettrage", request=None, responses={200: s.LettrageSerializer, **ERREURS})
    @action(detail=True, methods=["post"])
    def annuler(self, request: Request, lettrage_id: int) -> Response:
        lettrage = lettrage_annuler(lettrage=self.get_object(), auteur=auteur_de(request))
        return self.repondre_objet(lettrage)


# --- relances (read) and pauses ------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Relances planifiées et envoyées",
        description="Chaque étape de relance d'une facture, avec son statut et l'envoi groupé qui l'a portée. "
        "Pour suspendre ou reprendre : POST /factures/{id}/suspendre/ et /reprendre/ (ou /clients/{id}/…).",
        responses={200: s.RelanceSerializer(many=True), **LECTURE},
    ),
    retrieve=extend_schema(summary="Une relance", responses={200: s.RelanceSerializer, **LECTURE}),
)
class RelanceApi(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseApi):
    serializer_class = s.RelanceSerializer
    filterset_class = RelanceFiltre
    lookup_url_kwarg = "relance_id"
    ordering_fields = ("id", "date_prevue", "created_at")

    def get_queryset(self) -> QuerySet[Relance]:
        return Relance.objects.filter(client__in=clients_visibles(self.request)).select_related("etape", "envoi")


@extend_schema_view(
    list=extend_schema(summary="Pauses des relances", responses={200: s.PauseSerializer(many=True), **LECTURE}),
    retrieve=extend_schema(summary="Une pause", responses={200: s.PauseSerializer, **LECTURE}),
)
class PauseApi(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseApi):
    serializer_class = s.PauseSerializer
    lookup_url_kwarg = "pause_id"
    filterset_fields = ("client", "facture", "motif")

    def get_queryset(self) -> QuerySet[Pause]:
        if membre_de(self.request) is None or voit_tous_les_clients(membre_de(self.request)):  # type: ignore[arg-type]
            return Pause.objects.all()
        visibles = clients_visibles(self.request)
        return Pause.objects.filter(Q(client__in=visibles) | Q(facture__client__in=visibles))


# --- litiges -------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Litiges", responses={200: s.LitigeSerializer(many=True), **LECTURE}),
    retrieve=extend_schema(summary="Un litige", responses={200: s.LitigeSerializer, **LECTURE}),
)
class LitigeApi(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseApi):
    serializer_class = s.LitigeSerializer
    filterset_class = LitigeFiltre
    lookup_url_kwarg = "litige_id"
    ordering_fields = ("id", "created_at", "echeance")
    ecriture_creances = False

    def get_queryset(self) -> QuerySet[Litige]:
        return Litige.objects.filter(client__in=clients_visibles(self.request)).prefetch_related(
            Prefetch("lignes", queryset=LigneLitige.objects.order_by("pk"))
        )

    def _ouvrir(self, request: Request, **extra: Any) -> Litige:
        donnees = _corps(request, s.LitigeCreationSerializer, **extra)
        client = _client(request, donnees["client"])
        factures = []
        for i, ligne in enumerate(donnees["factures"]):
            facture = _objet_visible(
                _factures(request),
                ligne["facture"],
                f"factures.{i}.facture",
                "facture_inconnue",
                _("Facture inconnue."),
            )
            factures.append((facture, ligne.get("montant")))
        responsable = None
        if donnees.get("responsable") is not None:
            responsable = _objet_visible(
                Membre.objects.filter(actif=True),
                donnees["responsable"],
                "responsable",
                "membre_inconnu",
                _("Membre inconnu."),
            )
        return litige_ouvrir(
            client=client,
            factures=factures,
            type=donnees["type"],
            description=donnees["description"],
            auteur=auteur_de(request),
            souleve_par=donnees["souleve_par"],
            responsable=responsable,
            echeance=donnees.get("echeance"),
            external_id=donnees["external_id"],
        )

    @extend_schema(
        summary="Ouvrir un litige", request=s.LitigeCreationSerializer, responses={201: s.LitigeSerializer, **ERREURS}
    )
    def create(self, request: Request) -> Response:
        _external_id_libre(Litige, request)
        return self.repondre_objet(self._ouvrir(request), status.HTTP_201_CREATED)

    @extend_schema(
        summary="Ouvrir un litige une seule fois, par son identifiant externe",
        description="Créé (201) s'il n'existe pas, sinon renvoyé tel quel (200).",
        request=s.LitigeCreationSerializer,
        parameters=[PARAM_EXTERNE],
        responses={200: s.LitigeSerializer, 201: s.LitigeSerializer, **ERREURS},
    )
    def upsert(self, request: Request, external_id: str) -> Response:
        existant = self.get_queryset().filter(external_id=external_id).first()
        if existant is not None:
            return self.repondre_objet(existant)
        return self.repondre_objet(self._ouvrir(request, external_id=external_id), status.HTTP_201_CREATED)

    @extend_schema(summary="Un litige par son identifiant externe", parameters=[PARAM_EXTERNE])
    def externe(self, request: Request, external_id: str) -> Response:
        return self.repondre_objet(self.objet_externe(external_id))

    @extend_schema(
        summary="Faire avancer un litige (ouvert → en cours → résolu → clos)",
        request=s.LitigeStatutSerializer,
        responses={200: s.LitigeSerializer, **ERREURS},
    )
    @action(detail=True, methods=["post"])
    def statut(self, request: Request, litige_id: int) -> Response:
        litige = self.get_object()
        donnees = _corps(request, s.LitigeStatutSerializer)
        litige = litige_statut_changer(litige=litige, auteur=auteur_de(request), **donnees)
        return self.repondre_objet(litige)


def _external_id_libre(modele: Any, request: Request) -> None:
    external_id = request.data.get("external_id") if isinstance(request.data, dict) else None
    if isinstance(external_id, str) and external_id and modele.objects.filter(external_id=external_id).exists():
        raise ApplicationError(
            _("Cet identifiant externe existe déjà."), code="external_id_existant", field="external_id"
        )


# --- échéanciers ---------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Échéanciers", responses={200: s.EcheancierSerializer(many=True), **LECTURE}),
    retrieve=extend_schema(summary="Un échéancier", responses={200: s.EcheancierSerializer, **LECTURE}),
)
class EcheancierApi(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseApi):
    serializer_class = s.EcheancierSerializer
    filterset_class = EcheancierFiltre
    lookup_url_kwarg = "echeancier_id"
    ordering_fields = ("id", "created_at")

    def get_queryset(self) -> QuerySet[Echeancier]:
        return Echeancier.objects.filter(client__in=clients_visibles(self.request)).prefetch_related(
            Prefetch("lignes", queryset=LigneEcheancier.objects.order_by("pk")), "versements"
        )

    def _creer(self, request: Request, **extra: Any) -> Echeancier:
        donnees = _corps(request, s.EcheancierCreationSerializer, **extra)
        client = _client(request, donnees.pop("client"))
        ids = donnees.pop("factures")
        factures = list(_factures(request).filter(client=client, pk__in=ids))
        if len(factures) != len(set(ids)):
            raise ApplicationError(_("Facture inconnue pour ce client."), code="facture_invalide", field="factures")
        return echeancier_create(
            client=client, factures=factures, cree_par=membre_de(request), auteur=auteur_de(request), **donnees
        )

    @extend_schema(
        summary="Créer un échéancier",
        request=s.EcheancierCreationSerializer,
        responses={201: s.EcheancierSerializer, **ERREURS},
    )
    def create(self, request: Request) -> Response:
        _external_id_libre(Echeancier, request)
        return self.repondre_objet(self._creer(request), status.HTTP_201_CREATED)

    @extend_schema(
        summary="Créer un échéancier une seule fois, par son identifiant externe",
        request=s.EcheancierCreationSerializer,
        parameters=[PARAM_EXTERNE],
        responses={200: s.EcheancierSerializer, 201: s.EcheancierSerializer, **ERREURS},
    )
    def upsert(self, request: Request, external_id: str) -> Response:
        existant = self.get_queryset().filter(external_id=external_id).first()
        if existant is not None:
            return self.repondre_objet(existant)
        return self.repondre_objet(self._creer(request, external_id=external_id), status.HTTP_201_CREATED)

    @extend_schema(summary="Un échéancier par son identifiant externe", parameters=[PARAM_EXTERNE])
    def externe(self, request: Request, external_id: str) -> Response:
        return self.repondre_objet(self.objet_externe(external_id))

    @extend_schema(
        summary="Annuler un échéancier en cours", request=None, responses={200: s.EcheancierSerializer, **ERREURS}
    )
    @action(detail=True, methods=["post"])
    def annuler(self, request: Request, echeancier_id: int) -> Response:
        echeancier = echeancier_annuler(echeancier=self.get_object(), auteur=auteur_de(request))
        return self.repondre_objet(echeancier)


# --- promesses -----------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Promesses de paiement", responses={200: s.PromesseSerializer(many=True), **LECTURE}),
    retrieve=extend_schema(summary="Une promesse", responses={200: s.PromesseSerializer, **LECTURE}),
)
class PromesseApi(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseApi):
    serializer_class = s.PromesseSerializer
    filterset_class = PromesseFiltre
    lookup_url_kwarg = "promesse_id"
    ordering_fields = ("id", "date_promise", "created_at")
    ecriture_creances = False

    def get_queryset(self) -> QuerySet[Promesse]:
        return Promesse.objects.filter(client__in=clients_visibles(self.request))

    def _creer(self, request: Request, **extra: Any) -> Promesse:
        donnees = _corps(request, s.PromesseCreationSerializer, **extra)
        client = _client(request, donnees["client"])
        facture = contact = None
        if donnees.get("facture") is not None:
            facture = _objet_visible(
                _factures(request).filter(client=client),
                donnees["facture"],
                "facture",
                "facture_inconnue",
                _("Facture inconnue pour ce client."),
            )
        if donnees.get("contact") is not None:
            contact = _objet_visible(
                Contact.objects.filter(client=client),
                donnees["contact"],
                "contact",
                "contact_inconnu",
                _("Contact inconnu pour ce client."),
            )
        return promesse_create(
            client=client,
            montant=donnees["montant"],
            date_promise=donnees["date_promise"],
            prise_par=membre_de(request),
            facture=facture,
            contact=contact,
            note=donnees["note"],
            auteur=auteur_de(request),
            external_id=donnees["external_id"],
        )

    @extend_schema(
        summary="Enregistrer une promesse de paiement",
        request=s.PromesseCreationSerializer,
        responses={201: s.PromesseSerializer, **ERREURS},
    )
    def create(self, request: Request) -> Response:
        _external_id_libre(Promesse, request)
        return self.repondre_objet(self._creer(request), status.HTTP_201_CREATED)

    @extend_schema(
        summary="Enregistrer une promesse une seule fois, par son identifiant externe",
        request=s.PromesseCreationSerializer,
        parameters=[PARAM_EXTERNE],
        responses={200: s.PromesseSerializer, 201: s.PromesseSerializer, **ERREURS},
    )
    def upsert(self, request: Request, external_id: str) -> Response:
        existant = self.get_queryset().filter(external_id=external_id).first()
        if existant is not None:
            return self.repondre_objet(existant)
        return self.repondre_objet(self._creer(request, external_id=external_id), status.HTTP_201_CREATED)

    @extend_schema(summary="Une promesse par son identifiant externe", parameters=[PARAM_EXTERNE])
    def externe(self, request: Request, external_id: str) -> Response:
        return self.repondre_objet(self.objet_externe(external_id))


@extend_schema(exclude=True)
class Introuvable(APIView):
    """Any other URL under /api/v1/: a JSON 404, like the rest of the API."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    throttle_classes: list[Any] = []

    def introuvable(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise exceptions.NotFound()

    get = post = put = patch = delete = introuvable
