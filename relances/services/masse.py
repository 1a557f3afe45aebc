"""Bulk actions on invoices: pause dunning, resume it, force a scenario.

Set-based: whatever the number of invoices, each action is a fixed handful of
statements (read the targets, one INSERT or UPDATE, one INSERT of the timeline
events, and the withdrawal of the reminders not sent yet). The caller passes a
queryset already narrowed to what the member may see (``facture_queryset``):
ids of another organisation or of another commercial's clients are simply not
in it, so they are never touched.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Evenement
from factures.models import STATUTS_OUVERTS, Facture
from relances.events import TypeEvenementRelance
from relances.models import MotifPause, Pause, Scenario, ScenarioImpose
from relances.services.pauses import relances_en_attente_retirer

ORIGINE = "masse"
# Timeline event of a scenario forced on an invoice (the other types are in relances.events).
SCENARIO_IMPOSE = "relance.scenario"


@dataclass(frozen=True)
class ResultatMasse:
    """``traitees``: invoices changed; ``ignorees``: selected but left as they were
    (paid or cancelled, already paused, paused by a dispute or a promise…)."""

    traitees: int
    ignorees: int


def _auteur(auteur: Any) -> Any:
    return auteur if getattr(auteur, "is_authenticated", False) else None


def _evenements(
    cibles: list[tuple[int, str, int]],
    *,
    type: str,
    message: Callable[[str], str],
    auteur: Any,
    donnees: dict[str, Any],
) -> None:
    """One timeline event per invoice, in one INSERT (the bulk form of ``evenement_record``)."""
    Evenement.objects.bulk_create(
        [
            Evenement(
                client_id=client_id,
                facture_id=facture_id,
                type=type,
                message=message(numero)[:500],
                auteur=_auteur(auteur),
                donnees=donnees,
            )
            for facture_id, numero, client_id in cibles
        ]
    )


@transaction.atomic
def factures_suspendre(
    *,
    factures: QuerySet[Facture],
    auteur: Any,
    jusqu_au: datetime.date | None = None,
    commentaire: str = "",
) -> ResultatMasse:
    """A manual pause on each open invoice of ``factures`` that has none in force yet;
    their reminders not sent yet are withdrawn. Precondition: ``factures`` is scoped to the member."""
    selection = factures.order_by()
    total = selection.count()
    deja = Pause.objects.filter(facture=OuterRef("pk"), levee_le__isnull=True, motif=MotifPause.MANUELLE)
    cibles = list(
        selection.filter(statut__in=STATUTS_OUVERTS)
        .exclude(Exists(deja))
        .values_list("pk", "numero", "client_id")
        .order_by("pk")
    )
    if cibles:
        cree_par = _auteur(auteur)
        Pause.objects.bulk_create(
            [
                Pause(
                    facture_id=facture_id,
                    motif=MotifPause.MANUELLE,
                    jusqu_au=jusqu_au,
                    commentaire=commentaire,
                    origine=ORIGINE,
                    cree_par=cree_par,
                )
                for facture_id, _numero, _client_id in cibles
            ]
        )
        relances_en_attente_retirer(cible=Q(facture_id__in=[c[0] for c in cibles]))
        jusque = _(" jusqu'au %(date)s") % {"date": jusqu_au.strftime("%d/%m/%Y")} if jusqu_au else ""
        _evenements(
            cibles,
            type=TypeEvenementRelance.PAUSE,
            message=lambda numero: (
                _("Relances suspendues pour la facture %(numero)s%(jusque)s : %(motif)s")
                % {"numero": numero, "jusque": jusque, "motif": MotifPause.MANUELLE.label}
            ),
            auteur=auteur,
            donnees={"motif": MotifPause.MANUELLE, "origine": ORIGINE, "commentaire": commentaire},
        )
    return ResultatMasse(traitees=len(cibles), ignorees=total - len(cibles))


@transaction.atomic
def factures_reprendre(*, factures: QuerySet[Facture], auteur: Any) -> ResultatMasse:
    """Lift the manual pauses of ``factures``. Pauses written by a dispute, a payment plan or
    a promise stay: they end with what created them. Precondition: ``factures`` is scoped."""
    selection = factures.order_by()
    total = selection.count()
    pauses = Pause.objects.filter(facture__in=selection, levee_le__isnull=True, motif=MotifPause.MANUELLE)
    cibles = list(
        pauses.order_by("facture_id").values_list("facture_id", "facture__numero", "facture__client_id").distinct()
    )
    if cibles:
        pauses.update(levee_le=timezone.now(), levee_par=_auteur(auteur))
        _evenements(
            [(f, n, c) for f, n, c in cibles if f is not None],
            type=TypeEvenementRelance.REPRISE,
            message=lambda numero: (
                _("Relances reprises pour la facture %(numero)s (%(motif)s)")
                % {"numero": numero, "motif": MotifPause.MANUELLE.label}
            ),
            auteur=auteur,
            donnees={"origine": ORIGINE},
        )
    return ResultatMasse(traitees=len(cibles), ignorees=total - len(cibles))


@transaction.atomic
def factures_imposer_scenario(*, factures: QuerySet[Facture], scenario: Scenario, auteur: Any) -> ResultatMasse:
    """Force ``scenario`` on each open invoice of ``factures`` (replacing the one forced before).
    The next planning follows it. Precondition: ``factures`` is scoped to the member."""
    selection = factures.order_by()
    total = selection.count()
    cibles = list(selection.filter(statut__in=STATUTS_OUVERTS).values_list("pk", "numero", "client_id").order_by("pk"))
    if cibles:
        ids = [c[0] for c in cibles]
        # The unique index is partial (facture IS NOT NULL): delete and insert rather than ON CONFLICT.
        ScenarioImpose.objects.filter(facture_id__in=ids).delete()
        ScenarioImpose.objects.bulk_create([ScenarioImpose(facture_id=pk, scenario=scenario) for pk in ids])
        _evenements(
            cibles,
            type=SCENARIO_IMPOSE,
            message=lambda numero: (
                _("Scénario « %(scenario)s » imposé à la facture %(numero)s")
                % {"scenario": scenario.nom, "numero": numero}
            ),
            auteur=auteur,
            donnees={"scenario_id": scenario.pk, "origine": ORIGINE},
        )
    return ResultatMasse(traitees=len(cibles), ignorees=total - len(cibles))
