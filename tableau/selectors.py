"""Reads of the dashboard that are not reports over invoices: the actions of the
day (calls, sends to approve, letters to print, failed or bounced sends, broken
promises) and the open disputes. Organisation-wide: only members who see every
client reach the dashboard (``tableau.views``)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from litiges.models import STATUTS_LITIGE_ACTIFS, LigneLitige, Litige
from recouvrement.core.sql import ZERO
from relances.models import (
    Canal,
    Envoi,
    Livraison,
    Promesse,
    StatutEnvoi,
    StatutPromesse,
    StatutTache,
    Tache,
    TypeTache,
)
from relances.selectors import parametre_relance

# Bounced sends and broken promises older than this are no longer "of the day":
# the bounce left a task to find another contact, and after a broken promise
# the dunning has resumed on its own.
FENETRE_JOURS = 30
APERCU = 5


@dataclass(frozen=True)
class PromesseRompue:
    client_id: int
    raison_sociale: str
    montant: Decimal
    date_promise: datetime.date


@dataclass(frozen=True)
class ActionsDuJour:
    appels: int
    taches: int
    a_valider: int
    courriers_a_valider: int
    courriers_a_imprimer: int
    echecs: int
    rebonds: int
    promesses_rompues: int
    promesses: list[PromesseRompue]
    delai_grace_jours: int

    @property
    def total(self) -> int:
        return (
            self.appels
            + self.a_valider
            + self.courriers_a_imprimer
            + self.echecs
            + self.rebonds
            + self.promesses_rompues
        )


def delai_grace_promesse() -> int:
    """The organisation's grace period after a promised date (the model's default until set)."""
    return int(parametre_relance("delai_grace_promesse_jours"))


def promesses_rompues() -> tuple[int, list[PromesseRompue]]:
    """The number of broken promises still to deal with, and the oldest ``APERCU`` of them. One query.

    The daily follow-up (``relances.services.promesses.promesses_suivre``) records a
    promise "rompue" once its date plus the grace period has passed without the
    payment, and gives someone a task (``cle`` « promesse-rompue:<id> »): a broken
    promise counts here while that task is still open.
    """
    tache_ouverte = Tache.objects.filter(
        type=TypeTache.PROMESSE_ROMPUE,
        statut=StatutTache.A_FAIRE,
        cle=Concat(Value("promesse-rompue:"), Cast(OuterRef("pk"), CharField())),
    )
    queryset = (
        Promesse.objects.filter(statut=StatutPromesse.ROMPUE)
        .filter(Exists(tache_ouverte))
        .annotate(nombre=Window(Count("pk")))
        .order_by("date_promise", "pk")
        .values("client_id", "client__raison_sociale", "montant", "date_promise", "nombre")
    )
    lignes = list(queryset[:APERCU])
    apercu = [
        PromesseRompue(
            client_id=ligne["client_id"],
            raison_sociale=ligne["client__raison_sociale"],
            montant=ligne["montant"],
            date_promise=ligne["date_promise"],
        )
        for ligne in lignes
    ]
    return (lignes[0]["nombre"] if lignes else 0), apercu


def actions_du_jour(*, aujourd_hui: datetime.date) -> ActionsDuJour:
    """What the credit managers have to do today. Four queries.

    Precondition: inside the organisation's scope.

    - calls: open call tasks due today or before (``taches``: every open task due);
    - sends waiting for approval (of which letters);
    - letters to print: today's letters that were produced (the print batch);
    - failed sends: status "échec" (they stay until retried or set aside);
    - bounced sends: delivery "rejeté (bounce)", planned in the last
      ``FENETRE_JOURS`` days;
    - broken promises: see ``promesses_rompues``.
    """
    taches = Tache.objects.filter(statut=StatutTache.A_FAIRE, echeance__lte=aujourd_hui).aggregate(
        appels=Count("pk", filter=Q(type=TypeTache.APPEL)), toutes=Count("pk")
    )
    depuis = aujourd_hui - datetime.timedelta(days=FENETRE_JOURS)
    courrier_du_jour = Q(canal=Canal.COURRIER, date_prevue=aujourd_hui, statut=StatutEnvoi.ENVOYE) & ~Q(courrier_pdf="")
    rebond = Q(statut=StatutEnvoi.ENVOYE, date_prevue__gte=depuis, livraison=Livraison.REBOND)
    envois = Envoi.objects.filter(
        # Each branch starts with the status: the (tenant, statut, date_prevue) index serves them all.
        Q(statut__in=(StatutEnvoi.A_VALIDER, StatutEnvoi.ECHEC)) | Q(statut=StatutEnvoi.ENVOYE, date_prevue__gte=depuis)
    ).aggregate(
        a_valider=Count("pk", filter=Q(statut=StatutEnvoi.A_VALIDER)),
        courriers_a_valider=Count("pk", filter=Q(statut=StatutEnvoi.A_VALIDER, canal=Canal.COURRIER)),
        courriers_a_imprimer=Count("pk", filter=courrier_du_jour),
        echecs=Count("pk", filter=Q(statut=StatutEnvoi.ECHEC)),
        rebonds=Count("pk", filter=rebond),
    )
    grace = delai_grace_promesse()  # shown beside the broken promises
    nombre, apercu = promesses_rompues()
    return ActionsDuJour(
        appels=taches["appels"],
        taches=taches["toutes"],
        a_valider=envois["a_valider"],
        courriers_a_valider=envois["courriers_a_valider"],
        courriers_a_imprimer=envois["courriers_a_imprimer"],
        echecs=envois["echecs"],
        rebonds=envois["rebonds"],
        promesses_rompues=nombre,
        promesses=apercu,
        delai_grace_jours=grace,
    )


@dataclass(frozen=True)
class LitigeOuvert:
    litige_id: int
    client_id: int
    raison_sociale: str
    type_libelle: str
    montant: Decimal
    ouvert_le: datetime.datetime
    echeance: datetime.date | None
    en_retard: bool = False


@dataclass(frozen=True)
class LitigesOuverts:
    nombre: int
    montant: Decimal
    apercu: list[LitigeOuvert]
    en_retard: int = 0


def litiges_ouverts(*, limite: int = APERCU, aujourd_hui: datetime.date | None = None) -> LitigesOuverts:
    """Active disputes (open or in progress): how many, how many past their due date (SLA),
    the amount contested, and ``limite`` of them, the overdue first, then the oldest. One
    query (window aggregates over the filtered set, "overdue" as a conditional one).

    Precondition: inside the organisation's scope.
    """
    aujourd_hui = aujourd_hui or timezone.localdate()
    montant_conteste = Coalesce(
        Subquery(
            LigneLitige.objects.filter(litige=OuterRef("pk"))
            .order_by()
            .values("litige")
            .annotate(total=Sum("montant"))
            .values("total"),
            output_field=DecimalField(max_digits=14, decimal_places=2),
        ),
        ZERO,
    )
    en_retard = Q(echeance__lt=aujourd_hui)
    lignes = list(
        Litige.objects.filter(statut__in=STATUTS_LITIGE_ACTIFS)
        .select_related("client")
        .annotate(
            montant=montant_conteste,
            retard=ExpressionWrapper(en_retard, output_field=BooleanField()),
            nombre=Window(Count("pk")),
            nombre_en_retard=Window(Count("pk", filter=en_retard)),
            montant_total=Window(Sum(montant_conteste)),
        )
        .order_by("-retard", "created_at", "pk")[:limite]
    )
    apercu = [
        LitigeOuvert(
            litige_id=litige.pk,
            client_id=litige.client_id,
            raison_sociale=litige.client.raison_sociale,
            type_libelle=str(litige.get_type_display()),
            montant=litige.montant,  # type: ignore[attr-defined]
            ouvert_le=litige.created_at,
            echeance=litige.echeance,
            en_retard=bool(litige.retard),  # type: ignore[attr-defined]
        )
        for litige in lignes
    ]
    if not lignes:
        return LitigesOuverts(nombre=0, montant=Decimal("0.00"), apercu=[])
    premier = lignes[0]
    return LitigesOuverts(
        nombre=premier.nombre,  # type: ignore[attr-defined]
        montant=Decimal(premier.montant_total),  # type: ignore[attr-defined]
        apercu=apercu,
        en_retard=premier.nombre_en_retard,  # type: ignore[attr-defined]
    )
