"""Pages of the weekly digest: its settings and recipients, the subscription toggle,
the preview of a chosen week, its PDF, and « envoyer maintenant »."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from recouvrement.core.errors import ApplicationError
from recouvrement.tenancy.decorators import membre_requis, role_requis
from recouvrement.tenancy.forms import add_error_from
from recouvrement.tenancy.http import MembreRequest
from recouvrement.tenancy.models import Membre, Role
from recouvrement.tenancy.roles import voit_tous_les_clients
from synthese import rendu, services
from synthese.forms import ParametresSyntheseForm
from synthese.models import SyntheseHebdo
from synthese.selectors import Semaine, semaine_depuis_code, semaine_passee, synthese_calculer
from synthese.tasks import synthese_envoyer_a_la_demande

HISTORIQUE = 12


def peut_parametrer_synthese(membre: Membre) -> bool:
    """Settings and « envoyer maintenant »: the admin and the finance director."""
    return membre.role in (Role.ADMIN, Role.DAF)


def _semaine(request: MembreRequest) -> Semaine:
    code = request.GET.get("semaine") or request.POST.get("semaine") or ""
    if not code:
        return semaine_passee(request.organisation)
    semaine = semaine_depuis_code(request.organisation, code)
    if semaine is None:
        raise Http404(_("Semaine inconnue."))
    return semaine


@membre_requis
def index(request: MembreRequest) -> HttpResponse:
    """Who receives the digest and when, my subscription, the last weekly sends."""
    membre = request.membre
    voit_tout = voit_tous_les_clients(membre)
    contexte: dict[str, Any] = {
        "voit_tout": voit_tout,
        "abonne": services.est_abonne(membre) if voit_tout else False,
        "parametres": services.parametres_get(),
        "peut_parametrer": peut_parametrer_synthese(membre),
        "semaine": semaine_passee(request.organisation),
    }
    if voit_tout:
        contexte["destinataires"] = services.destinataires_synthese()
        contexte["historique"] = list(SyntheseHebdo.objects.order_by("-semaine")[:HISTORIQUE])
    return render(request, "synthese/index.html", contexte)


@require_POST
@role_requis(voit_tous_les_clients)
def abonnement(request: MembreRequest) -> HttpResponse:
    """« S'abonner / se désabonner »: the digest holds every client's figures, so a
    commercial (who sees only his clients) cannot subscribe."""
    if services.abonnement_basculer(membre=request.membre):
        messages.success(request, _("Vous recevrez la synthèse hebdomadaire."))
    else:
        messages.success(request, _("Vous ne recevrez plus la synthèse hebdomadaire."))
    return redirect("synthese:index")


@role_requis(peut_parametrer_synthese)
def parametres(request: MembreRequest) -> HttpResponse:
    form = ParametresSyntheseForm.depuis(services.parametres_get(), request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.parametres_update(
                actif=data["actif"],
                jour_semaine=data["jour_semaine"],
                heure=data["heure"],
                destinataires_supplementaires=form.adresses(),
            )
        except ApplicationError as error:
            add_error_from(form, error)
        else:
            messages.success(request, _("Paramètres de la synthèse enregistrés."))
            return redirect("synthese:index")
    return render(request, "synthese/parametres.html", {"form": form}, status=400 if form.errors else 200)


@role_requis(voit_tous_les_clients)
def apercu(request: MembreRequest) -> HttpResponse:
    """The digest of a week as it is e-mailed, charts as ``data:`` URIs."""
    semaine = _semaine(request)
    donnees = synthese_calculer(organisation=request.organisation, semaine=semaine)
    corps = rendu.corps(donnees, rendu.data_uris(rendu.graphiques_png(donnees)))
    contexte = {
        "semaine": semaine,
        "precedente": semaine.precedente,
        "suivante": Semaine(lundi=semaine.lundi + datetime.timedelta(days=7), fuseau=semaine.fuseau),
        "derniere": semaine_passee(request.organisation),
        "sujet": rendu.sujet(donnees),
        "corps": corps,
        "peut_parametrer": peut_parametrer_synthese(request.membre),
    }
    return render(request, "synthese/apercu.html", contexte)


@role_requis(voit_tous_les_clients)
def pdf(request: MembreRequest) -> HttpResponse:
    semaine = _semaine(request)
    with translation.override(request.organisation.langue or None):
        document = rendu.pdf(synthese_calculer(organisation=request.organisation, semaine=semaine))
    reponse = HttpResponse(document, content_type="application/pdf")
    reponse["Content-Disposition"] = f'attachment; filename="synthese-{semaine.code}.pdf"'
    return reponse


@require_POST
@role_requis(peut_parametrer_synthese)
def envoyer(request: MembreRequest) -> HttpResponse:
    """« Envoyer maintenant »: the chosen week to the current recipients, in the background.
    Not the weekly send, which still goes at its hour."""
    semaine = _semaine(request)
    destinataires = services.destinataires_synthese()
    if not destinataires:
        messages.error(request, _("Aucun destinataire : abonnez des membres ou ajoutez des adresses."))
        return redirect("synthese:index")
    cle = services.cle_envoi_a_la_demande(organisation=request.organisation, semaine=semaine.lundi)
    organisation_id = request.organisation.pk
    transaction.on_commit(
        lambda: synthese_envoyer_a_la_demande.delay(
            organisation_id=organisation_id, semaine=semaine.lundi.isoformat(), cle=cle
        )
    )
    messages.success(
        request,
        _("Synthèse de la semaine %(semaine)s en cours d'envoi à %(n)s destinataire(s).")
        % {"semaine": semaine.code, "n": len(destinataires)},
    )
    return redirect(f"{reverse('synthese:apercu')}?semaine={semaine.code}")
