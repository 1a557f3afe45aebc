"""The organisation's dunning settings and its three ready scenarios."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from recouvrement.tenancy.models import Membre, Organisation, Role
from relances.models import Etape, ModeleMessage, ParametresRelance, RegleAffectation, Scenario


def parametres_get() -> ParametresRelance:
    """The active organisation's settings, created with the defaults the first time."""
    parametres, _created = ParametresRelance.objects.get_or_create()
    return parametres


@transaction.atomic
def organisation_relances_initialiser(*, organisation: Organisation) -> None:
    """Give a new organisation its settings, the ready scenarios and their assignment rules.

    Precondition: ``organisation`` is the active scope. Idempotent: an
    organisation that already has scenarios is left as it is.
    """
    parametres = parametres_get()
    if parametres.charge_par_defaut_id is None:
        parametres.charge_par_defaut = (
            Membre.objects.filter(actif=True, role__in=(Role.CHARGE, Role.ADMIN)).order_by("role", "pk").first()
        )
        parametres.save(update_fields=["charge_par_defaut"])
    if Scenario.objects.exists():
        return
    from relances.scenarios_defaut import REGLES_DEFAUT, SCENARIOS_DEFAUT

    par_nom: dict[str, Scenario] = {}
    for definition in SCENARIOS_DEFAUT:
        scenario = Scenario.objects.create(
            nom=definition.nom,
            description=definition.description,
            par_defaut=definition.par_defaut,
            mention_affacturage=definition.mention_affacturage,
        )
        par_nom[definition.nom] = scenario
        for etape_def in definition.etapes:
            etape = Etape(
                scenario=scenario,
                nom=etape_def.nom,
                decalage_jours=etape_def.decalage_jours,
                canal=etape_def.canal,
                ton=etape_def.ton,
                necessite_validation=etape_def.necessite_validation,
                contacts_a=list(etape_def.contacts_a),
                contacts_cc=list(etape_def.contacts_cc),
                internes_cc=list(etape_def.internes_cc),
                internes_cci=list(etape_def.internes_cci),
                joindre_factures=etape_def.joindre_factures,
                tache_appel=etape_def.tache_appel,
                script_appel=etape_def.script_appel,
            )
            etape.full_clean()
            etape.save()
            ModeleMessage.objects.bulk_create(
                ModeleMessage(etape=etape, langue=langue, sujet=modele.sujet, corps=modele.corps)
                for langue, modele in etape_def.modeles.items()
            )
    for regle in REGLES_DEFAUT:
        RegleAffectation.objects.create(
            ordre=regle.ordre,
            nom=regle.nom,
            scenario=par_nom[regle.scenario],
            categories=list(regle.categories),
            affacturage=regle.affacturage,
        )


PARAMETRES_FIELDS = (
    "heure_envoi",
    "calendrier",
    "taux_contractuel",
    "indemnite_forfaitaire",
    "delai_grace_promesse_jours",
    "delai_grace_versement_jours",
    "charge_par_defaut",
)
# Who may be the default credit manager (replies and tasks go to them).
ROLES_CHARGE_PAR_DEFAUT = (Role.ADMIN, Role.CHARGE, Role.DAF)


@transaction.atomic
def parametres_update(**fields: Any) -> ParametresRelance:
    """Change the active organisation's dunning settings; they apply from the next planning.

    Raises ``ValidationError`` on the field at fault (a contractual rate under
    the legal floor, a default credit manager who is not an active member).
    """
    from django.core.exceptions import ValidationError

    inconnus = set(fields) - set(PARAMETRES_FIELDS)
    if inconnus:
        raise ValueError(f"Unknown settings: {', '.join(sorted(inconnus))}")
    parametres = ParametresRelance.objects.select_for_update().get(pk=parametres_get().pk)
    for name, value in fields.items():
        setattr(parametres, name, value)
    charge = parametres.charge_par_defaut
    if charge is not None and (not charge.actif or charge.role not in ROLES_CHARGE_PAR_DEFAUT):
        raise ValidationError({"charge_par_defaut": _("Choisissez un membre actif qui gère les créances.")})
    parametres.full_clean()
    parametres.save()
    return parametres
