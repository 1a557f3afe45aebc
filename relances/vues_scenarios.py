"""Pages that edit the dunning: scenarios, their steps, their messages per language
(with a live preview beside the editor), and the assignment rules in their order.

Credit managers and admins only (``peut_gerer_creances``); others get 403.
Every change takes effect at the next planning, which reads them afresh.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients.models import Categorie, Client
from clients.selectors import client_queryset
from clients.views import access_client
from recouvrement.core.errors import ApplicationError
from recouvrement.core.formats import montant_texte
from recouvrement.tenancy.decorators import role_requis
from recouvrement.tenancy.forms import add_error_from
from recouvrement.tenancy.http import MembreRequest
from recouvrement.tenancy.roles import peut_gerer_creances
from relances.forms import ApercuForm, EtapeForm, RegleForm, ScenarioForm
from relances.gabarits import VARIABLES, MessageRendu
from relances.models import Etape, ModeleMessage, RegleAffectation, RoleContact, RoleInterne, Scenario
from relances.services import regles as regles_service
from relances.services import scenarios as scenarios_service
from relances.services.scenarios import LANGUES_MODELES, modele_apercu, modele_enregistrer, modele_test_envoyer

# The real clients offered for the preview (the first ones by name; sample data otherwise).
CLIENTS_APERCU = 200


def access_scenario(scenario_id: int) -> Scenario:
    return get_object_or_404(Scenario, pk=scenario_id)


def access_etape(etape_id: int) -> Etape:
    return get_object_or_404(Etape.objects.select_related("scenario"), pk=etape_id)


def access_regle(regle_id: int) -> RegleAffectation:
    return get_object_or_404(RegleAffectation, pk=regle_id)


def _etapes_avec_modeles() -> Prefetch:
    return Prefetch(
        "etapes",
        queryset=Etape.objects.order_by("decalage_jours").prefetch_related(
            Prefetch("modeles", queryset=ModeleMessage.objects.only("pk", "etape_id", "langue"))
        ),
    )


def _destinataires(etape: Etape) -> str:
    """Who gets a step's message, in words: « Comptabilité fournisseurs ; cc Achats, Commercial du client »."""
    contacts, internes = dict(RoleContact.choices), dict(RoleInterne.choices)
    parties = [", ".join(str(contacts.get(r, r)) for r in etape.contacts_a)]
    for libelle, roles, noms in (
        (_("cc"), etape.contacts_cc, contacts),
        (_("cc"), etape.internes_cc, internes),
        (_("cci"), etape.internes_cci, internes),
    ):
        if roles:
            parties.append(f"{libelle} " + ", ".join(str(noms.get(r, r)) for r in roles))
    return " ; ".join(partie for partie in parties if partie) or "—"


def _avec_destinataires(scenarios: list[Scenario]) -> list[Scenario]:
    for scenario in scenarios:
        for etape in scenario.etapes.all():
            etape.destinataires_libelle = _destinataires(etape)  # type: ignore[attr-defined]
    return scenarios


def _criteres(regle: RegleAffectation) -> list[str]:
    """The criteria of a rule, in words, for the list."""
    criteres: list[str] = []
    if regle.categories:
        criteres.append(", ".join(str(Categorie(c).label) for c in regle.categories if c in Categorie.values))
    if regle.classes_risque:
        criteres.append(_("risque %(classes)s") % {"classes": ", ".join(regle.classes_risque)})
    for libelle, bas, haut in (
        (_("montant TTC"), regle.montant_min, regle.montant_max),
        (_("encours"), regle.encours_min, regle.encours_max),
    ):
        if bas is not None or haut is not None:
            bornes = [
                _("≥ %(m)s") % {"m": montant_texte(bas)} if bas is not None else "",
                _("≤ %(m)s") % {"m": montant_texte(haut)} if haut is not None else "",
            ]
            criteres.append(f"{libelle} {' '.join(b for b in bornes if b)}")
    if regle.affacturage is not None:
        criteres.append(_("affacturées") if regle.affacturage else _("non affacturées"))
    if regle.depassement_agrement is not None:
        criteres.append(_("au-delà de l'agrément") if regle.depassement_agrement else _("dans l'agrément"))
    if regle.depassement_plafond is not None:
        criteres.append(
            _("au-delà du plafond de crédit") if regle.depassement_plafond else _("dans le plafond de crédit")
        )
    if regle.anciennete_min_mois is not None:
        criteres.append(_("client depuis %(n)s mois au moins") % {"n": regle.anciennete_min_mois})
    if regle.anciennete_max_mois is not None:
        criteres.append(_("client depuis %(n)s mois au plus") % {"n": regle.anciennete_max_mois})
    return criteres


@role_requis(peut_gerer_creances)
def scenario_liste(request: MembreRequest) -> HttpResponse:
    scenarios = Scenario.objects.prefetch_related(_etapes_avec_modeles()).order_by("-par_defaut", "-actif", "nom")
    regles = list(RegleAffectation.objects.select_related("scenario").order_by("ordre"))
    for regle in regles:
        regle.criteres = _criteres(regle)  # type: ignore[attr-defined]
    context = {
        "scenario_list": _avec_destinataires(list(scenarios)),
        "regle_list": regles,
        "scenarios_revus": request.organisation.scenarios_revus_le is not None,
    }
    return render(request, "relances/scenarios.html", context)


@role_requis(peut_gerer_creances)
def scenario_creer(request: MembreRequest) -> HttpResponse:
    form = ScenarioForm(request.POST or None, initial={"actif": True})
    if request.method == "POST" and form.is_valid():
        try:
            scenario = scenarios_service.scenario_create(**form.cleaned_data)
        except (ApplicationError, ValidationError) as error:
            add_error_from(form, error)
        else:
            messages.success(request, _("Scénario créé : ajoutez-lui ses étapes."))
            return redirect("relances:scenario", scenario_id=scenario.pk)
    return render(request, "relances/scenario_formulaire.html", {"form": form})


@role_requis(peut_gerer_creances)
def scenario_modifier(request: MembreRequest, scenario_id: int) -> HttpResponse:
    """The scenario's page: its name and settings, its steps and their messages."""
    scenario = get_object_or_404(Scenario.objects.prefetch_related(_etapes_avec_modeles()), pk=scenario_id)
    form = ScenarioForm(request.POST or None, instance=scenario)
    if request.method == "POST" and form.is_valid():
        try:
            scenarios_service.scenario_update(scenario=scenario, **form.cleaned_data)
        except (ApplicationError, ValidationError) as error:
            add_error_from(form, error)
        else:
            messages.success(request, _("Scénario enregistré."))
            return redirect("relances:scenario", scenario_id=scenario.pk)
    _avec_destinataires([scenario])
    regles = [r.nom for r in RegleAffectation.objects.filter(scenario=scenario).order_by("ordre")]
    context = {"scenario": scenario, "form": form, "regles": regles, "langues_modeles": LANGUES_MODELES}
    return render(request, "relances/scenario.html", context)


@require_POST
@role_requis(peut_gerer_creances)
def scenario_activer(request: MembreRequest, scenario_id: int) -> HttpResponse:
    scenario = access_scenario(scenario_id)
    actif = request.POST.get("actif") == "1"
    try:
        scenarios_service.scenario_activer(scenario=scenario, actif=actif)
    except (ApplicationError, ValidationError) as error:
        messages.error(request, _erreur_texte(error))
    else:
        messages.success(request, _("Scénario activé.") if actif else _("Scénario désactivé."))
    return redirect("relances:scenario", scenario_id=scenario.pk)


@require_POST
@role_requis(peut_gerer_creances)
def scenario_dupliquer(request: MembreRequest, scenario_id: int) -> HttpResponse:
    copie = scenarios_service.scenario_dupliquer(scenario=access_scenario(scenario_id))
    messages.success(request, _("Copie créée, inactive : « %(nom)s ».") % {"nom": copie.nom})
    return redirect("relances:scenario", scenario_id=copie.pk)


@require_POST
@role_requis(peut_gerer_creances)
def scenario_supprimer(request: MembreRequest, scenario_id: int) -> HttpResponse:
    scenario = access_scenario(scenario_id)
    try:
        scenarios_service.scenario_supprimer(scenario=scenario)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("relances:scenario", scenario_id=scenario.pk)
    messages.success(request, _("Scénario supprimé."))
    return redirect("relances:scenarios")


@require_POST
@role_requis(peut_gerer_creances)
def scenarios_revus(request: MembreRequest) -> HttpResponse:
    """A step of the onboarding checklist: the organisation confirms its scenarios."""
    from recouvrement.core.demarrage import scenarios_marquer_revus

    scenarios_marquer_revus(organisation=request.organisation)
    messages.success(request, _("C'est noté : vos scénarios sont prêts."))
    return redirect("relances:scenarios")


def _erreur_texte(error: ApplicationError | ValidationError) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return error.message


def _etape_formulaire(request: MembreRequest, scenario: Scenario, etape: Etape | None) -> HttpResponse:
    form = EtapeForm(request.POST or None, instance=etape or Etape(scenario=scenario))
    if request.method == "POST" and form.is_valid():
        try:
            etape = scenarios_service.etape_enregistrer(scenario=scenario, etape=etape, **form.cleaned_data)
        except (ApplicationError, ValidationError) as error:
            add_error_from(form, error)
        else:
            messages.success(request, _("Étape enregistrée."))
            return redirect("relances:scenario", scenario_id=scenario.pk)
    return render(request, "relances/etape.html", {"form": form, "scenario": scenario, "etape": etape})


@role_requis(peut_gerer_creances)
def etape_creer(request: MembreRequest, scenario_id: int) -> HttpResponse:
    return _etape_formulaire(request, access_scenario(scenario_id), None)


@role_requis(peut_gerer_creances)
def etape_modifier(request: MembreRequest, etape_id: int) -> HttpResponse:
    etape = access_etape(etape_id)
    return _etape_formulaire(request, etape.scenario, etape)


@require_POST
@role_requis(peut_gerer_creances)
def etape_supprimer(request: MembreRequest, etape_id: int) -> HttpResponse:
    etape = access_etape(etape_id)
    try:
        scenarios_service.etape_supprimer(etape=etape)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Étape supprimée."))
    return redirect("relances:scenario", scenario_id=etape.scenario_id)


def _client_apercu(request: MembreRequest, valeur: int | None) -> Client | None:
    """The real client chosen for the preview, among those the member may see (404 otherwise)."""
    return access_client(request, valeur) if valeur else None


def _clients_apercu(request: MembreRequest) -> list[tuple[int, str]]:
    return list(
        client_queryset(membre=request.membre)
        .order_by("raison_sociale")
        .values_list("pk", "raison_sociale")[:CLIENTS_APERCU]
    )


def _langue(langue: str) -> str:
    if langue not in LANGUES_MODELES:
        raise Http404
    return langue


@role_requis(peut_gerer_creances)
def modele_modifier(request: MembreRequest, etape_id: int, langue: str) -> HttpResponse:
    """Edit a step's message in one language, with a live preview beside the editor.

    Save (refused with the line and the name when wrong), preview (also
    without JavaScript), or send the preview to oneself.
    """
    langue = _langue(langue)
    etape = access_etape(etape_id)
    modele = etape.modeles.filter(langue=langue).first()
    initial = {"sujet": modele.sujet, "corps": modele.corps} if modele else {}
    form = ApercuForm(request.POST or None, initial=initial)
    apercu: MessageRendu | None = None
    if request.method == "POST" and form.is_valid():
        action = request.POST.get("action", "enregistrer")
        client = _client_apercu(request, form.cleaned_data.pop("client"))
        try:
            if action == "enregistrer":
                modele_enregistrer(etape=etape, langue=langue, **form.cleaned_data)
                messages.success(request, _("Modèle enregistré."))
                return redirect("relances:modele", etape_id=etape.pk, langue=langue)
            if action == "tester":
                apercu = modele_test_envoyer(
                    organisation=request.organisation,
                    user=request.user,
                    langue=langue,
                    client=client,
                    **form.cleaned_data,
                )
                messages.success(request, _("Test envoyé à %(email)s.") % {"email": request.user.email})
            else:
                apercu = modele_apercu(
                    organisation=request.organisation, langue=langue, client=client, **form.cleaned_data
                )
        except ValidationError as error:
            add_error_from(form, error)
    context = {
        "etape": etape,
        "langue": langue,
        "langues_modeles": LANGUES_MODELES,
        "form": form,
        "apercu": apercu,
        "variables": VARIABLES,
        "clients": _clients_apercu(request),
        "client_choisi": form["client"].value(),
    }
    return render(request, "relances/modele.html", context)


@require_POST
@role_requis(peut_gerer_creances)
def modele_apercu_vue(request: MembreRequest, etape_id: int, langue: str) -> HttpResponse:
    """The live preview (HTMX): the subject, HTML and text of the template being typed, or
    its errors with the line and the name, swapped next to the fields out of band."""
    langue = _langue(langue)
    access_etape(etape_id)
    form = ApercuForm(request.POST)
    apercu = None
    if form.is_valid():
        client = _client_apercu(request, form.cleaned_data.pop("client"))
        try:
            apercu = modele_apercu(organisation=request.organisation, langue=langue, client=client, **form.cleaned_data)
        except ValidationError as error:
            add_error_from(form, error)
    return render(request, "relances/_apercu.html", {"form": form, "apercu": apercu, "oob": True})


@role_requis(peut_gerer_creances)
def regle_creer(request: MembreRequest) -> HttpResponse:
    return _regle_formulaire(request, None)


@role_requis(peut_gerer_creances)
def regle_modifier(request: MembreRequest, regle_id: int) -> HttpResponse:
    return _regle_formulaire(request, access_regle(regle_id))


def _regle_formulaire(request: MembreRequest, regle: RegleAffectation | None) -> HttpResponse:
    form = RegleForm(request.POST or None, instance=regle or RegleAffectation(ordre=0))
    if request.method == "POST" and form.is_valid():
        try:
            regles_service.regle_enregistrer(regle=regle, **form.cleaned_data)
        except (ApplicationError, ValidationError) as error:
            add_error_from(form, error)
        else:
            messages.success(request, _("Règle enregistrée."))
            return redirect("relances:scenarios")
    return render(request, "relances/regle.html", {"form": form, "regle": regle})


@require_POST
@role_requis(peut_gerer_creances)
def regle_supprimer(request: MembreRequest, regle_id: int) -> HttpResponse:
    regles_service.regle_supprimer(regle=access_regle(regle_id))
    messages.success(request, _("Règle supprimée."))
    return redirect("relances:scenarios")


@require_POST
@role_requis(peut_gerer_creances)
def regle_deplacer(request: MembreRequest, regle_id: int) -> HttpResponse:
    regle = access_regle(regle_id)
    try:
        regles_service.regle_deplacer(regle=regle, sens=request.POST.get("sens", ""))
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect(f"{reverse('relances:scenarios')}#regle-{regle.pk}")
