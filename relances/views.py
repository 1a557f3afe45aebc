"""Pages of the dunning engine: the outbox and approval queue, a send's detail (and
editing its message before approving it), letters (one, or the day's print batch),
tasks, and per-client actions. Scenario and rule editing: ``relances.vues_scenarios``."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients.selectors import client_queryset
from clients.views import access_client
from factures.views import access_facture
from recouvrement.core.errors import ApplicationError
from recouvrement.tenancy.decorators import membre_requis, role_requis
from recouvrement.tenancy.forms import add_error_from
from recouvrement.tenancy.http import MembreRequest
from recouvrement.tenancy.roles import peut_ecrire, peut_gerer_creances
from relances import selectors
from relances.forms import AppelForm, ModeleForm, PauseForm
from relances.gabarits import VARIABLES
from relances.models import Envoi, Livraison, MotifPause, Pause, Relance, StatutEnvoi, TypeTache
from relances.services import envoi as envoi_service
from relances.services import envoi_edition
from relances.services.pauses import pause_create, pause_lever
from relances.services.planification import client_relancer_maintenant
from relances.services.taches import appel_enregistrer
from relances.tasks import envoi_envoyer

PAR_PAGE = 50


def access_envoi(request: MembreRequest, envoi_id: int) -> Envoi:
    return get_object_or_404(
        selectors.envoi_queryset(membre=request.membre).select_related("client", "etape"), pk=envoi_id
    )


@membre_requis
def envoi_liste(request: MembreRequest) -> HttpResponse:
    statut = request.GET.get("statut", StatutEnvoi.A_VALIDER)
    if statut not in StatutEnvoi.values:
        statut = ""
    livraison = request.GET.get("livraison", "")
    if livraison not in Livraison.values:
        livraison = ""
    envois = selectors.envoi_list(membre=request.membre, statut=statut, livraison=livraison)
    page = Paginator(envois, PAR_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "statut": statut,
        "statuts": StatutEnvoi.choices,
        "livraison": livraison,
        "livraison_libelle": Livraison(livraison).label if livraison else "",
        "aujourd_hui": timezone.localdate(),
    }
    return render(request, "relances/envois.html", context)


@membre_requis
def envoi_detail(request: MembreRequest, envoi_id: int) -> HttpResponse:
    envoi = access_envoi(request, envoi_id)
    relances = Relance.objects.filter(envoi=envoi).select_related("facture", "etape").order_by("facture__date_echeance")
    context = {"envoi": envoi, "relance_list": relances, "modifiable": envoi_edition.envoi_modifiable(envoi)}
    return render(request, "relances/envoi.html", context)


@role_requis(peut_gerer_creances)
def envoi_modifier(request: MembreRequest, envoi_id: int) -> HttpResponse:
    """Edit the subject and body of one send waiting for approval, with a live preview on
    its own invoices; saved, it is the send's content, and approving sends it as edited."""
    envoi = access_envoi(request, envoi_id)
    if not envoi_edition.envoi_modifiable(envoi):
        messages.error(request, _("Seul un e-mail ou un courrier qui attend une validation peut être modifié."))
        return redirect("relances:envoi", envoi_id=envoi.pk)
    sujet, corps = envoi_edition.envoi_modele_initial(envoi=envoi)
    form = ModeleForm(request.POST or None, initial={"sujet": sujet, "corps": corps})
    apercu = None
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("action") == "apercu":  # the preview without JavaScript
                apercu = envoi_edition.envoi_apercu(envoi=envoi, jour=timezone.localdate(), **form.cleaned_data)
            else:
                envoi_edition.envoi_modifier(
                    envoi=envoi, jour=timezone.localdate(), auteur=request.user, **form.cleaned_data
                )
                messages.success(request, _("Message modifié : validez la relance pour l'envoyer tel quel."))
                return redirect("relances:envoi", envoi_id=envoi.pk)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("relances:envoi", envoi_id=envoi.pk)
        except ValidationError as error:
            add_error_from(form, error)
    context = {"envoi": envoi, "form": form, "apercu": apercu, "variables": VARIABLES}
    return render(request, "relances/envoi_modifier.html", context)


@require_POST
@role_requis(peut_gerer_creances)
def envoi_apercu(request: MembreRequest, envoi_id: int) -> HttpResponse:
    """The live preview (HTMX) of the message being edited, on the send's own invoices."""
    envoi = access_envoi(request, envoi_id)
    form = ModeleForm(request.POST)
    apercu = None
    if form.is_valid():
        try:
            apercu = envoi_edition.envoi_apercu(envoi=envoi, jour=timezone.localdate(), **form.cleaned_data)
        except ValidationError as error:
            add_error_from(form, error)
    return render(request, "relances/_apercu.html", {"form": form, "apercu": apercu, "oob": True})


@require_POST
@role_requis(peut_gerer_creances)
def envoi_valider(request: MembreRequest, envoi_id: int) -> HttpResponse:
    envoi = access_envoi(request, envoi_id)
    try:
        envoi_service.envoi_valider(envoi=envoi, auteur=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        # Approved by a person: it goes now, not at the next scheduler round.
        for envoi_pret in envoi_service.envois_reserver_un(envoi_id=envoi.pk):
            envoi_envoyer.delay(organisation_id=request.organisation.pk, envoi_id=envoi_pret)
        messages.success(request, _("Relance validée : elle part maintenant."))
    return redirect("relances:envoi", envoi_id=envoi.pk)


@require_POST
@role_requis(peut_gerer_creances)
def envoi_ignorer(request: MembreRequest, envoi_id: int) -> HttpResponse:
    envoi = access_envoi(request, envoi_id)
    try:
        envoi_service.envoi_ignorer(envoi=envoi, auteur=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Relance écartée."))
    return redirect("relances:envoi", envoi_id=envoi.pk)


@membre_requis
def envoi_courrier(request: MembreRequest, envoi_id: int) -> FileResponse:
    envoi = access_envoi(request, envoi_id)
    if not envoi.courrier_pdf:
        raise Http404
    return FileResponse(
        envoi.courrier_pdf.open("rb"),
        content_type="application/pdf",
        filename=f"courrier-{envoi.client.raison_sociale}-{envoi.date_prevue}.pdf",
    )


@membre_requis
def courriers_lot(request: MembreRequest) -> HttpResponse:
    """The letters of a day (``?date=AAAA-MM-JJ``, default today) as one PDF to print."""
    from relances.courriers import courriers_lot_pdf

    jour = _jour(request.GET.get("date"))
    documents = [e.courrier_html for e in selectors.courriers_du_jour(membre=request.membre, jour=jour)]
    if not documents:
        messages.info(request, _("Aucun courrier pour le %(date)s.") % {"date": jour.strftime("%d/%m/%Y")})
        return redirect("relances:envois")
    reponse = HttpResponse(courriers_lot_pdf(documents), content_type="application/pdf")
    reponse["Content-Disposition"] = f'attachment; filename="courriers-{jour.isoformat()}.pdf"'
    return reponse


@membre_requis
def tache_liste(request: MembreRequest) -> HttpResponse:
    toutes = request.GET.get("toutes") == "1"
    type_tache = request.GET.get("type", "")
    if type_tache not in TypeTache.values:
        type_tache = ""
    taches = selectors.tache_list(membre=request.membre, toutes=toutes, type=type_tache)
    page = Paginator(taches, PAR_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "toutes": toutes,
        "type_tache": type_tache,
        "types": TypeTache.choices,
        "appel_form": AppelForm(),
    }
    return render(request, "relances/taches.html", context)


@require_POST
@role_requis(peut_ecrire)
def tache_faire(request: MembreRequest, tache_id: int) -> HttpResponse:
    tache = get_object_or_404(selectors.tache_list(membre=request.membre, toutes=True), pk=tache_id)
    form = AppelForm(request.POST)
    if form.is_valid():
        try:
            appel_enregistrer(
                client=tache.client,
                facture=tache.facture,
                tache=tache,
                auteur=request.user,
                membre=request.membre,
                **form.cleaned_data,
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Tâche terminée."))
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect(request.POST.get("suivant") or "relances:taches")


@require_POST
@role_requis(peut_ecrire)
def client_appel(request: MembreRequest, client_id: int) -> HttpResponse:
    client = access_client(request, client_id)
    form = AppelForm(request.POST)
    if form.is_valid():
        try:
            appel_enregistrer(client=client, auteur=request.user, membre=request.membre, **form.cleaned_data)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Appel enregistré."))
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("clients:detail", client_id=client.pk)


@require_POST
@role_requis(peut_gerer_creances)
def client_relancer(request: MembreRequest, client_id: int) -> HttpResponse:
    """« Relancer maintenant »: the next step of every open invoice, sent now (or queued for approval)."""
    client = access_client(request, client_id)
    try:
        envoi = client_relancer_maintenant(client_id=client.pk, jour=timezone.localdate(), auteur=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("clients:detail", client_id=client.pk)
    if envoi.statut == StatutEnvoi.PRET:
        ids = envoi_service.envois_reserver_un(envoi_id=envoi.pk)
        for envoi_id in ids:
            envoi_envoyer.delay(organisation_id=request.organisation.pk, envoi_id=envoi_id)
        messages.success(request, _("Relance partie."))
    else:
        messages.info(request, _("Relance préparée : elle attend une validation."))
    return redirect("relances:envoi", envoi_id=envoi.pk)


@require_POST
@role_requis(peut_gerer_creances)
def pause_poser(request: MembreRequest, client_id: int) -> HttpResponse:
    """Pause dunning for the client, or for one invoice (``facture`` in the form)."""
    client = access_client(request, client_id)
    form = PauseForm(request.POST)
    facture = None
    if request.POST.get("facture"):
        facture = access_facture(request, int(request.POST["facture"]))
        if facture.client_id != client.pk:
            raise Http404
    if form.is_valid():
        try:
            pause_create(
                motif=MotifPause.MANUELLE,
                facture=facture,
                client=None if facture else client,
                auteur=request.user,
                **form.cleaned_data,
            )
        except ApplicationError as error:
            add_error_from(form, error)
            messages.error(request, error.message)
        else:
            messages.success(request, _("Relances suspendues."))
    else:
        messages.error(request, _("Date invalide."))
    return redirect("clients:detail", client_id=client.pk)


@require_POST
@role_requis(peut_gerer_creances)
def pause_lever_vue(request: MembreRequest, pause_id: int) -> HttpResponse:
    clients = client_queryset(membre=request.membre)
    pause = get_object_or_404(
        Pause.objects.filter(Q(client__in=clients) | Q(facture__client__in=clients)).select_related("facture"),
        pk=pause_id,
    )
    client_id = pause.client_id or pause.facture.client_id  # type: ignore[union-attr]
    try:
        pause_lever(pause=pause, auteur=request.user, a_la_main=True)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Relances reprises."))
    return redirect("clients:detail", client_id=client_id)


def _jour(valeur: str | None) -> datetime.date:
    try:
        return datetime.date.fromisoformat(valeur) if valeur else timezone.localdate()
    except ValueError:
        raise Http404 from None
