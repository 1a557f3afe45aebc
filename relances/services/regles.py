"""Writes on the assignment rules: create, change, delete, move up or down.

The first rule (by ``ordre``) whose criteria all hold gives an invoice its
scenario; ``ordre`` is unique per organisation (``regle_ordre_unique``, not
deferrable), so reordering renumbers the rules in two set-based statements
(shift every row above the old range, then write the new ranks) and never
passes through a duplicate. Every write takes the organisation row's lock, so
two members reordering at once are serialised. Precondition for all: inside
the organisation's scope.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, Max, Value, When
from django.utils.translation import gettext as _

from recouvrement.core.errors import ApplicationError
from recouvrement.tenancy.context import current_organisation_id
from recouvrement.tenancy.models import Organisation
from relances.models import RegleAffectation, Scenario

REGLE_FIELDS = (
    "nom",
    "scenario",
    "categories",
    "classes_risque",
    "montant_min",
    "montant_max",
    "encours_min",
    "encours_max",
    "affacturage",
    "depassement_agrement",
    "depassement_plafond",
    "anciennete_min_mois",
    "anciennete_max_mois",
)
HAUT, BAS = "haut", "bas"


def _verrouiller() -> None:
    """Serialise the writes on the rules of the active organisation (its row's lock)."""
    organisation_id = current_organisation_id()
    assert organisation_id is not None
    Organisation.objects.select_for_update().filter(pk=organisation_id).values_list("pk").first()


def _ordre_courant() -> list[int]:
    return list(RegleAffectation.objects.order_by("ordre", "pk").values_list("pk", flat=True))


def _renumeroter(pks: list[int]) -> None:
    """Give the rules ``pks`` the ranks 1..n in this order, in two UPDATEs.

    PostgreSQL checks a non-deferrable unique constraint row by row: the first
    statement moves every rank above both the old and the new ranges, so the
    second never meets a rank still taken.
    """
    if not pks:
        return
    plus_haut = RegleAffectation.objects.aggregate(m=Max("ordre"))["m"] or 0
    RegleAffectation.objects.filter(pk__in=pks).update(ordre=F("ordre") + plus_haut + len(pks) + 1)
    RegleAffectation.objects.filter(pk__in=pks).update(
        ordre=Case(*(When(pk=pk, then=Value(rang)) for rang, pk in enumerate(pks, start=1)))
    )


@transaction.atomic
def regle_enregistrer(*, regle: RegleAffectation | None = None, **fields: Any) -> RegleAffectation:
    """Create a rule (last in the order) or change one's name, scenario and criteria.

    Raises ``ValidationError`` on the field at fault (unknown category or risk
    class, a maximum under its minimum).
    """
    inconnus = set(fields) - set(REGLE_FIELDS)
    if inconnus:
        raise ApplicationError(_("Champ inconnu : %(champ)s.") % {"champ": ", ".join(sorted(inconnus))})
    _verrouiller()
    if regle is None:
        regle = RegleAffectation(ordre=(RegleAffectation.objects.aggregate(m=Max("ordre"))["m"] or 0) + 1)
    scenario = fields.get("scenario")
    if scenario is not None and not isinstance(scenario, Scenario):
        raise ValidationError({"scenario": _("Scénario inconnu.")})
    for name, value in fields.items():
        setattr(regle, name, value.strip() if name == "nom" and isinstance(value, str) else value)
    regle.full_clean()
    regle.save()
    return regle


@transaction.atomic
def regle_supprimer(*, regle: RegleAffectation) -> None:
    """Delete a rule; the others close the gap (ranks 1..n)."""
    _verrouiller()
    RegleAffectation.objects.filter(pk=regle.pk).delete()
    _renumeroter(_ordre_courant())


@transaction.atomic
def regle_deplacer(*, regle: RegleAffectation, sens: str) -> list[int]:
    """Move a rule one place up (``haut``) or down (``bas``); return the new order of the ids.

    At the top (or the bottom) already, nothing changes.
    """
    if sens not in (HAUT, BAS):
        raise ApplicationError(_("Sens inconnu."), code="sens_inconnu")
    _verrouiller()
    ordre = _ordre_courant()
    if regle.pk not in ordre:
        raise ApplicationError(_("Règle inconnue."), code="regle_inconnue")
    rang = ordre.index(regle.pk)
    voisin = rang - 1 if sens == HAUT else rang + 1
    if 0 <= voisin < len(ordre):
        ordre[rang], ordre[voisin] = ordre[voisin], ordre[rang]
        _renumeroter(ordre)
    return ordre
