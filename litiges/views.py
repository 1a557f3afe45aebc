"""Dispute pages: open one from a client sheet, follow one (status and resolution, owner and
due date, comments, attachments), the list with its filters, and the SLA settings."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients.selectors import client_queryset
from clients.views import access_client
from litiges import selectors, services
from litiges.forms import (
    CommentaireForm,
    LitigeFiltreForm,
    LitigeForm,
    LitigeParametresForm,
    LitigeStatutForm,
    LitigeSuiviForm,
    PieceForm,
)
from litiges.models import Litige, PieceJointeLitige
from recouvrement.core.errors import ApplicationError
from recouvrement.tenancy.decorators import membre_requis, role_requis
from recouvrement.tenancy.forms import add_error_from
from recouvrement.tenancy.http import MembreRequest
from recouvrement.tenancy.models import Membre, Role
from recouvrement.tenancy.roles import peut_ecrire, peut_gerer_creances
from recouvrement.tenancy.selectors import membre_list

PAR_PAGE = 50


def peut_parametrer_litiges(membre: Membre) -> bool:
    """The SLA settings: admins and credit managers."""
    return membre.role in (Role.ADMIN, Role.CHARGE)


def _litiges_visibles(request: MembreRequest) -> QuerySet[Litige]:
    """The disputes of the clients the member may see (a commercial: his own)."""
    return Litige.objects.filter(client__in=client_queryset(membre=request.membre))


def access_litige(request: MembreRequest, litige_id: int) -> Litige:
    """404 alike for a missing dispute, another organisation's and another commercial's."""
    return get_object_or_404(_litiges_visibles(request).select_related("client"), pk=litige_id)


@membre_requis
def litige_liste(request: MembreRequest) -> HttpResponse:
    aujourd_hui = timezone.localdate()
    membres = list(membre_list().filter(actif=True))
    form = LitigeFiltreForm(request.GET or None, membres=membres)
    data = form.cleaned_data if form.is_valid() else {}
    responsable = data.get("responsable") or ""
    filtres = selectors.FiltresLitiges(
        statut=data.get("statut") or "",
        type=data.get("type") or "",
        responsable_id=int(responsable) if responsable.isdigit() else None,
        sans_responsable=responsable == "aucun",
        en_retard=bool(data.get("en_retard")),
    )
    litiges = selectors.litige_filtrer(
        selectors.litige_list().filter(client__in=client_queryset(membre=request.membre)),
        filtres=filtres,
        aujourd_hui=aujourd_hui,
    )
    page = Paginator(litiges, PAR_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "litige_list": page.object_list,
        "aujourd_hui": aujourd_hui,
        "peut_parametrer": peut_parametrer_litiges(request.membre),
    }
    return render(request, "litiges/liste.html", context)


@role_requis(peut_ecrire)
def litige_ouvrir(request: MembreRequest, client_id: int) -> HttpResponse:
    """Open a dispute: commercials may too (on their clients); dunning stops on the chosen invoices only."""
    client = access_client(request, client_id)
    initial = {"factures": request.GET.getlist("facture"), "responsable": request.membre}
    form = LitigeForm(request.POST or None, client=client, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            litige = services.litige_ouvrir(
                client=client,
                factures=data["contestees"],
                type=data["type"],
                description=data["description"],
                souleve_par=data["souleve_par"],
                responsable=data["responsable"],
                echeance=data["echeance"],
                auteur=request.user,
            )
        except (ApplicationError, ValidationError) as error:
            add_error_from(form, error)
        else:
            messages.success(request, _("Litige ouvert : les relances des factures contestées sont suspendues."))
            return redirect("litiges:detail", litige_id=litige.pk)
    return render(request, "litiges/formulaire.html", {"form": form, "client": client})


def _detail(request: MembreRequest, litige: Litige, status: int = 200, **forms: Any) -> HttpResponse:
    """The detail page, with the forms given bound (and their errors) and fresh ones for the others."""
    litige = (
        Litige.objects.select_related("client", "responsable__user", "ouvert_par")
        .prefetch_related("commentaires__auteur", "pieces__depose_par")
        .get(pk=litige.pk)
    )
    lignes = list(litige.lignes.select_related("facture").order_by("facture__date_echeance", "pk"))
    statut_form = forms.get("statut_form") or LitigeStatutForm(litige=litige)
    saisis = statut_form.montants_avoir(lignes) if statut_form.is_bound else {}
    avoirs = selectors.litige_avoirs(litige=litige) if litige.resolu_le else []
    context = {
        "litige": litige,
        "ligne_list": [
            {
                "ligne": ligne,
                "avoir": saisis.get(ligne.pk, ""),
                "avoirs": [a for a in avoirs if a.facture_origine_id == ligne.facture_id],
            }
            for ligne in lignes
        ],
        "avoir_list": avoirs,
        "statut_form": statut_form,
        "suivi_form": forms.get("suivi_form")
        or LitigeSuiviForm(litige=litige, membres=membre_list().filter(actif=True)),
        "commentaire_form": forms.get("commentaire_form") or CommentaireForm(),
        "piece_form": forms.get("piece_form") or PieceForm(),
        "aujourd_hui": timezone.localdate(),
        "en_retard": litige.en_retard(timezone.localdate()),
    }
    return render(request, "litiges/detail.html", context, status=status)


@membre_requis
def litige_detail(request: MembreRequest, litige_id: int) -> HttpResponse:
    return _detail(request, access_litige(request, litige_id))


@require_POST
@role_requis(peut_gerer_creances)
def litige_statut(request: MembreRequest, litige_id: int) -> HttpResponse:
    litige = access_litige(request, litige_id)
    form = LitigeStatutForm(request.POST, litige=litige)
    if form.is_valid():
        lignes = list(litige.lignes.all())
        try:
            services.litige_statut_changer(
                litige=litige,
                statut=form.cleaned_data["statut"],
                resolution=form.cleaned_data["resolution"],
                montants_avoir=form.montants_avoir(lignes),
                auteur=request.user,
            )
        except ApplicationError as error:
            add_error_from(form, error)
            return _detail(request, litige, status=400, statut_form=form)
        messages.success(request, _("Litige mis à jour."))
        return redirect(reverse("litiges:detail", args=[litige.pk]))
    return _detail(request, litige, status=400, statut_form=form)


@require_POST
@role_requis(peut_gerer_creances)
def litige_suivi(request: MembreRequest, litige_id: int) -> HttpResponse:
    """Reassign the dispute and change its due date."""
    litige = access_litige(request, litige_id)
    form = LitigeSuiviForm(request.POST, litige=litige, membres=membre_list().filter(actif=True))
    if form.is_valid():
        try:
            services.litige_suivi_modifier(litige=litige, auteur=request.user, **form.cleaned_data)
        except ApplicationError as error:
            add_error_from(form, error)
        else:
            messages.success(request, _("Suivi du litige mis à jour."))
            return redirect(reverse("litiges:detail", args=[litige.pk]))
    return _detail(request, litige, status=400, suivi_form=form)


@require_POST
@role_requis(peut_ecrire)
def litige_commenter(request: MembreRequest, litige_id: int) -> HttpResponse:
    """Add a comment. With HTMX: the new comment is appended to the thread and the form comes
    back empty (out of band); without: back to the page."""
    litige = access_litige(request, litige_id)
    form = CommentaireForm(request.POST)
    commentaire = None
    if form.is_valid():
        try:
            commentaire = services.commentaire_ajouter(
                litige=litige, texte=form.cleaned_data["texte"], auteur=request.user
            )
        except ApplicationError as error:
            add_error_from(form, error)
    if request.htmx:
        context = {
            "litige": litige,
            "commentaire": commentaire,
            "commentaire_form": form if commentaire is None else CommentaireForm(),
        }
        return render(request, "litiges/_commentaire_ajoute.html", context)
    if commentaire is None:
        return _detail(request, litige, status=400, commentaire_form=form)
    return redirect(reverse("litiges:detail", args=[litige.pk]) + f"#commentaire-{commentaire.pk}")


@require_POST
@role_requis(peut_ecrire)
def litige_piece_ajouter(request: MembreRequest, litige_id: int) -> HttpResponse:
    litige = access_litige(request, litige_id)
    form = PieceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.piece_ajouter(litige=litige, fichier=form.cleaned_data["fichier"], auteur=request.user)
        except ApplicationError as error:
            add_error_from(form, error)
        else:
            messages.success(request, _("Pièce jointe ajoutée."))
            return redirect(reverse("litiges:detail", args=[litige.pk]) + "#pieces")
    return _detail(request, litige, status=400, piece_form=form)


@membre_requis
def litige_piece(request: MembreRequest, piece_id: int) -> FileResponse:
    """Download an attachment: 404 alike for a missing one, another organisation's and one
    of a dispute on another commercial's client."""
    piece = get_object_or_404(PieceJointeLitige.objects.filter(litige__in=_litiges_visibles(request)), pk=piece_id)
    try:
        fichier = piece.fichier.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(fichier, as_attachment=True, filename=piece.nom_original)


@role_requis(peut_parametrer_litiges)
def litige_parametres(request: MembreRequest) -> HttpResponse:
    """The time to settle each type of dispute and the owner's reminder lead time."""
    initial: dict[str, Any] = {f"delai_{t}": j for t, j in selectors.delais_par_type().items()}
    initial["rappel_jours_avant"] = selectors.rappel_jours_avant()
    form = LitigeParametresForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.litige_parametres_enregistrer(
                delais=form.delais(), rappel_jours_avant=form.cleaned_data["rappel_jours_avant"]
            )
        except ApplicationError as error:
            add_error_from(form, error)
        else:
            messages.success(request, _("Délais de résolution enregistrés."))
            return redirect("litiges:parametres")
    return render(request, "litiges/parametres.html", {"form": form}, status=400 if form.errors else 200)
