"""Editing scenarios: the scenarios themselves (create, rename, activate, duplicate,
delete when unused), their steps, and their messages per language (save, refused
with the line and the name when wrong; preview with sample or real data; "send a
test to myself").

Every function runs inside the organisation's scope (the tenant managers refuse
otherwise). Changes take effect at the next planning: it reads the scenarios,
steps and rules afresh each time.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clients.models import Client
from factures.models import STATUTS_OUVERTS, Nature
from recouvrement.core.errors import ApplicationError
from recouvrement.tenancy.models import Langue, Organisation, User
from relances.gabarits import MessageRendu, contexte_construire, contexte_exemple, gabarit_rendre, gabarit_valider
from relances.models import (
    Canal,
    Envoi,
    Etape,
    ModeleMessage,
    RegleAffectation,
    Relance,
    Scenario,
    ScenarioImpose,
    Ton,
)

SCENARIO_UTILISE = "scenario_utilise"
SCENARIO_PAR_DEFAUT = "scenario_par_defaut"
ETAPE_UTILISEE = "etape_utilisee"

SCENARIO_FIELDS = ("nom", "description", "actif", "par_defaut", "mention_affacturage")
ETAPE_FIELDS = (
    "nom",
    "decalage_jours",
    "canal",
    "ton",
    "necessite_validation",
    "contacts_a",
    "contacts_cc",
    "internes_cc",
    "internes_cci",
    "joindre_factures",
    "envoyer_courrier_par_email",
    "tache_appel",
    "script_appel",
)
# Preventive steps go before the due date; further than this is a typo, not a policy.
DECALAGE_MIN, DECALAGE_MAX = -60, 365
TONS_PREVENTIFS = (Ton.COURTOIS, Ton.AIMABLE)
LANGUES_MODELES = tuple(Langue.values)


def _nom_libre(nom: str, *, sauf: int | None = None) -> None:
    if Scenario.objects.filter(nom__iexact=nom.strip()).exclude(pk=sauf).exists():
        raise ValidationError({"nom": _("Un autre scénario porte déjà ce nom.")})


def _appliquer(instance: Any, fields: dict[str, Any], autorises: tuple[str, ...]) -> None:
    inconnus = set(fields) - set(autorises)
    if inconnus:
        raise ApplicationError(_("Champ inconnu : %(champ)s.") % {"champ": ", ".join(sorted(inconnus))})
    for name, value in fields.items():
        setattr(instance, name, value.strip() if isinstance(value, str) and name == "nom" else value)


@transaction.atomic
def scenario_create(*, nom: str, **fields: Any) -> Scenario:
    """A new, empty scenario. ``par_defaut`` takes the default from the previous one."""
    return scenario_update(scenario=Scenario(), nom=nom, **fields)


@transaction.atomic
def scenario_update(*, scenario: Scenario, **fields: Any) -> Scenario:
    """Rename, describe, (de)activate a scenario or make it the default one.

    The default scenario stays active: it is what invoices no rule matches follow.
    Making one the default unsets the previous default in the same transaction.
    """
    _appliquer(scenario, fields, SCENARIO_FIELDS)
    _nom_libre(scenario.nom, sauf=scenario.pk)
    if scenario.par_defaut and not scenario.actif:
        raise ValidationError(
            {"actif": _("Le scénario par défaut doit rester actif ; choisissez d'abord un autre scénario par défaut.")}
        )
    if scenario.par_defaut:
        Scenario.objects.filter(par_defaut=True).exclude(pk=scenario.pk).update(par_defaut=False)
    scenario.full_clean()
    scenario.save()
    return scenario


@transaction.atomic
def scenario_activer(*, scenario: Scenario, actif: bool) -> Scenario:
    return scenario_update(scenario=scenario, actif=actif)


def _nom_de_copie(nom: str) -> str:
    existants = {n.lower() for n in Scenario.objects.filter(nom__istartswith=nom[:80]).values_list("nom", flat=True)}
    for rang in range(1, 1000):
        suffixe = _(" (copie)") if rang == 1 else _(" (copie %(n)s)") % {"n": rang}
        candidat = nom[: 100 - len(suffixe)] + suffixe
        if candidat.lower() not in existants:
            return candidat
    raise ApplicationError(_("Trop de copies de ce scénario."), code=SCENARIO_UTILISE)


@transaction.atomic
def scenario_dupliquer(*, scenario: Scenario) -> Scenario:
    """A copy of ``scenario`` with its steps and their messages, inactive and not the default
    (no rule points to it yet): the organisation edits it, then turns it on."""
    copie = Scenario.objects.create(
        nom=_nom_de_copie(scenario.nom),
        description=scenario.description,
        mention_affacturage=scenario.mention_affacturage,
        par_defaut=False,
        actif=False,
    )
    etapes = list(Etape.objects.filter(scenario=scenario).order_by("decalage_jours"))
    modeles = list(ModeleMessage.objects.filter(etape__scenario=scenario))
    anciens = [etape.pk for etape in etapes]
    for etape in etapes:
        etape.pk = None
        etape.id = None
        etape.scenario = copie
    # PostgreSQL returns the new keys, in order.
    nouvelles = Etape.objects.bulk_create(etapes)
    correspondance = dict(zip(anciens, (etape.pk for etape in nouvelles), strict=True))
    ModeleMessage.objects.bulk_create(
        ModeleMessage(etape_id=correspondance[m.etape_id], langue=m.langue, sujet=m.sujet, corps=m.corps)
        for m in modeles
    )
    return copie


def scenario_utilisations(*, scenario: Scenario) -> list[str]:
    """Why ``scenario`` cannot be deleted (empty: it can)."""
    raisons: list[str] = []
    if scenario.par_defaut:
        raisons.append(_("c'est le scénario par défaut"))
    if RegleAffectation.objects.filter(scenario=scenario).exists():
        raisons.append(_("une règle d'affectation y mène"))
    if ScenarioImpose.objects.filter(scenario=scenario).exists():
        raisons.append(_("il est imposé à un client ou à une facture"))
    if (
        Relance.objects.filter(etape__scenario=scenario).exists()
        or Envoi.objects.filter(etape__scenario=scenario).exists()
    ):
        raisons.append(_("des relances ont déjà été planifiées avec lui"))
    return raisons


@transaction.atomic
def scenario_supprimer(*, scenario: Scenario) -> None:
    """Delete a scenario nobody uses: not the default, no rule, not imposed, never planned.

    Otherwise ``ApplicationError`` says why; deactivating it is the way out.
    """
    scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)
    raisons = scenario_utilisations(scenario=scenario)
    if raisons:
        raise ApplicationError(
            _("Impossible de supprimer « %(nom)s » : %(raisons)s. Désactivez-le plutôt.")
            % {"nom": scenario.nom, "raisons": " ; ".join(raisons)},
            code=SCENARIO_UTILISE,
        )
    ModeleMessage.objects.filter(etape__scenario=scenario).delete()
    Etape.objects.filter(scenario=scenario).delete()
    scenario.delete()


def _etape_valider(etape: Etape) -> None:
    erreurs: dict[str, str] = {}
    if etape.decalage_jours is None:
        return
    if not DECALAGE_MIN <= etape.decalage_jours <= DECALAGE_MAX:
        erreurs["decalage_jours"] = _("Entre %(min)s et %(max)s jours.") % {"min": DECALAGE_MIN, "max": DECALAGE_MAX}
    elif etape.decalage_jours < 0:
        # A preventive step reminds before the due date: nothing is late yet.
        if etape.ton not in TONS_PREVENTIFS:
            erreurs["ton"] = _("Une étape préventive (avant l'échéance) garde un ton courtois ou aimable.")
        if etape.canal == Canal.COURRIER:
            erreurs["canal"] = _("Pas de courrier avant l'échéance : choisissez l'e-mail, l'appel ou une tâche.")
    elif etape.ton == Ton.COURTOIS:
        erreurs["ton"] = _("Le ton préventif est réservé aux étapes avant l'échéance (nombre de jours négatif).")
    if (
        Etape.objects.filter(scenario_id=etape.scenario_id, decalage_jours=etape.decalage_jours)
        .exclude(pk=etape.pk)
        .exists()
    ):
        erreurs["decalage_jours"] = _("Ce scénario a déjà une étape à ce jour.")
    if erreurs:
        raise ValidationError(erreurs)


@transaction.atomic
def etape_enregistrer(*, scenario: Scenario, etape: Etape | None = None, **fields: Any) -> Etape:
    """Create (``etape`` None) or change a step of ``scenario``.

    Refused with the field at fault: offset out of range or taken by another
    step, a preventive step (negative offset) with a firm tone or a letter, the
    preventive tone after the due date, unknown roles, no recipient for an
    e-mail or a letter.
    """
    if etape is None:
        etape = Etape(scenario=scenario)
    elif etape.scenario_id != scenario.pk:
        raise ApplicationError(_("Étape inconnue."), code=ETAPE_UTILISEE)
    _appliquer(etape, fields, ETAPE_FIELDS)
    erreurs: dict[str, Any] = {}
    try:
        etape.full_clean(exclude=["scenario"])
    except ValidationError as error:
        erreurs.update(error.message_dict)
    try:
        _etape_valider(etape)
    except ValidationError as error:
        for champ, messages in error.message_dict.items():
            erreurs.setdefault(champ, []).extend(messages)
    if erreurs:
        raise ValidationError(erreurs)
    etape.save()
    return etape


@transaction.atomic
def etape_supprimer(*, etape: Etape) -> None:
    """Delete a step no reminder was planned with (else: refused, the history keeps it)."""
    if Relance.objects.filter(etape=etape).exists() or Envoi.objects.filter(etape=etape).exists():
        raise ApplicationError(
            _("Des relances ont déjà été planifiées à l'étape « %(nom)s » : elle ne peut plus être supprimée.")
            % {"nom": etape.nom},
            code=ETAPE_UTILISEE,
        )
    ModeleMessage.objects.filter(etape=etape).delete()
    etape.delete()


@transaction.atomic
def modele_enregistrer(*, etape: Etape, langue: str, sujet: str, corps: str) -> ModeleMessage:
    """Save a step's template in one language. Raises ``ValidationError`` naming the field,
    the line and the unknown variable or tag: a broken template never reaches send time."""
    if langue not in LANGUES_MODELES:
        raise ApplicationError(_("Langue inconnue."), code="langue_inconnue")
    gabarit_valider(sujet=sujet, corps=corps)
    modele, _created = ModeleMessage.objects.update_or_create(
        etape=etape, langue=langue, defaults={"sujet": sujet, "corps": corps}
    )
    return modele


def modele_apercu(
    *, organisation: Organisation, sujet: str, corps: str, langue: str = "fr", client: Client | None = None
) -> MessageRendu:
    """Render a template (maybe unsaved) with the sample data, or with a real client's open invoices."""
    with translation.override(langue):
        if client is None:
            contexte = contexte_exemple(organisation=organisation, langue=langue)
        else:
            factures = list(
                client.factures.filter(nature=Nature.FACTURE, statut__in=STATUTS_OUVERTS).order_by("date_echeance")[:50]
            )
            contact = next((c for c in client.contacts.all() if c.joignable_par_email), None)
            contexte = contexte_construire(
                organisation=organisation,
                client=client,
                contact=contact,
                factures=factures,
                penalites=None,
                signataire=None,
                liens=None,
                aujourd_hui=timezone.localdate(),
            )
        return gabarit_rendre(sujet=sujet, corps=corps, contexte=contexte)


def modele_test_envoyer(
    *, organisation: Organisation, user: User, sujet: str, corps: str, langue: str = "fr", client: Client | None = None
) -> MessageRendu:
    """ "Send a test to myself": the preview, mailed to the member asking, marked as a test."""
    rendu = modele_apercu(organisation=organisation, sujet=sujet, corps=corps, langue=langue, client=client)
    message = EmailMultiAlternatives(
        subject=_("[TEST] %(sujet)s") % {"sujet": rendu.sujet},
        body=rendu.texte,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    message.attach_alternative(rendu.html, "text/html")
    message.send()
    return rendu
