"""Bank reconciliation pages: statements (import, counts), a statement's lines, the « to
match » list with suggestions, and one line's manual matching (HTMX) and undo.

Admins and credit managers act; finance directors (DAF) read.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from banque import selectors, services
from banque.forms import ReleveImportForm
from banque.models import LigneReleve, StatutLigne
from clients.models import Client
from factures.models import STATUTS_OUVERTS, Facture, Nature
from recouvrement.core.errors import ApplicationError
from recouvrement.tenancy.decorators import role_requis
from recouvrement.tenancy.forms import add_error_from
from recouvrement.tenancy.http import MembreRequest
from recouvrement.tenancy.models import Membre, Role
from recouvrement.tenancy.roles import peut_gerer_creances

PAR_PAGE = 50
A_RAPPROCHER_PAR_PAGE = 20


def peut_rapprocher(membre: Membre) -> bool:
    """Import statements and match lines: admins and credit managers (the DAF reads)."""
    return membre.role in (Role.ADMIN, Role.CHARGE)


def _exiger_ecriture(request: MembreRequest) -> None:
    if not peut_rapprocher(request.membre):
        raise PermissionDenied


def access_ligne(ligne_id: int) -> LigneReleve:
    """404 alike for a missing line and another organisation's (the scoped manager)."""
    return get_object_or_404(LigneReleve.objects.select_related("releve", "client", "paiement"), pk=ligne_id)


@role_requis(peut_gerer_creances)
def releve_liste(request: MembreRequest) -> HttpResponse:
    form = ReleveImportForm()
    status = 200
    if request.method == "POST":
        _exiger_ecriture(request)
        form = ReleveImportForm(request.POST, request.FILES)
        if form.is_valid():
            fichier = form.cleaned_data["fichier"]
            try:
                resultat = services.releve_importer(
                    contenu=fichier.read(),
                    nom_fichier=fichier.name,
                    correspondance=form.correspondance(),
                    auteur=request.user,
                )
            except ApplicationError as error:
                add_error_from(form, error)
                for detail in error.extra.get("erreurs", [])[5:]:
                    form.add_error("fichier", detail)
            else:
                if resultat.deja_importe:
                    messages.info(request, _("Ce relevé a déjà été importé : rien n'a été ajouté."))
                elif resultat.releve is None:
                    messages.info(
                        request,
                        _("Toutes les lignes de ce fichier (%(n)s) étaient déjà importées : rien n'a été ajouté.")
                        % {"n": resultat.doublons},
                    )
                else:
                    messages.success(
                        request,
                        _(
                            "Relevé importé : %(nouvelles)s lignes, %(rapprochees)s rapprochées automatiquement, "
                            "%(a_rapprocher)s à rapprocher, %(debits)s débits ignorés, %(doublons)s déjà importées."
                        )
                        % resultat.__dict__,
                    )
                if resultat.releve is not None:
                    return redirect("banque:releve", releve_id=resultat.releve.pk)
                return redirect("banque:releves")
        status = 400
    page = Paginator(selectors.releve_list(), PAR_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "releve_list": page.object_list,
        "compteurs": selectors.compteurs(),
        "peut_rapprocher": peut_rapprocher(request.membre),
    }
    return render(request, "banque/releves.html", context, status=status)


@role_requis(peut_gerer_creances)
def releve_detail(request: MembreRequest, releve_id: int) -> HttpResponse:
    releve = get_object_or_404(selectors.releve_list(), pk=releve_id)
    page = Paginator(selectors.ligne_list(releve=releve), PAR_PAGE).get_page(request.GET.get("page"))
    context = {
        "releve": releve,
        "page": page,
        "ligne_list": page.object_list,
        "peut_rapprocher": peut_rapprocher(request.membre),
    }
    return render(request, "banque/releve.html", context)


@role_requis(peut_gerer_creances)
def a_rapprocher(request: MembreRequest) -> HttpResponse:
    """The credit lines waiting for a person, across statements, with their best suggestions."""
    page = Paginator(selectors.lignes_a_rapprocher(), A_RAPPROCHER_PAR_PAGE).get_page(request.GET.get("page"))
    lignes = list(page.object_list)
    proposees = selectors.suggestions(lignes, limite=3)
    context = {
        "page": page,
        "ligne_list": [{"ligne": ligne, "suggestions": proposees.get(ligne.pk, [])} for ligne in lignes],
        "peut_rapprocher": peut_rapprocher(request.membre),
    }
    return render(request, "banque/a_rapprocher.html", context)


def _ligne_page(
    request: MembreRequest, ligne: LigneReleve, *, status: int = 200, erreur: str = "", saisis: dict | None = None
) -> HttpResponse:
    proposees = (
        selectors.suggestions([ligne], limite=8).get(ligne.pk, []) if ligne.statut == StatutLigne.A_RAPPROCHER else []
    )
    clients = {s.facture.client_id: s.facture.client for s in proposees}
    lettrages = (
        list(ligne.paiement.lettrages.select_related("facture").order_by("pk")) if ligne.paiement_id else []  # type: ignore[union-attr]
    )
    context = {
        "ligne": ligne,
        "suggestion_list": proposees,
        "client_list": list(clients.values()),
        "lettrage_list": lettrages,
        "erreur": erreur,
        "saisis": saisis or {},
        "peut_rapprocher": peut_rapprocher(request.membre),
    }
    return render(request, "banque/ligne.html", context, status=status)


@role_requis(peut_gerer_creances)
def ligne_detail(request: MembreRequest, ligne_id: int) -> HttpResponse:
    return _ligne_page(request, access_ligne(ligne_id))


@role_requis(peut_rapprocher)
def ligne_facture(request: MembreRequest, ligne_id: int) -> HttpResponse:
    """HTMX: one more invoice row for the manual matching form, found by its number."""
    ligne = access_ligne(ligne_id)
    numero = (request.GET.get("numero") or "").strip()
    facture = (
        Facture.objects.filter(nature=Nature.FACTURE, statut__in=STATUTS_OUVERTS)
        .filter(Q(numero=numero) | Q(numero__iexact=numero))
        .select_related("client")
        .first()
        if numero
        else None
    )
    montant = min(facture.reste_du, ligne.montant) if facture else None
    context = {"ligne": ligne, "facture": facture, "numero": numero, "montant": montant, "coche": True}
    return render(request, "banque/_facture_ligne.html", context)


def _montant(texte: str) -> Decimal:
    try:
        return Decimal((texte or "0").replace("\u00a0", "").replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise ApplicationError(_("Montant illisible : « %(m)s ».") % {"m": texte}, field="montant") from None


@require_POST
@role_requis(peut_rapprocher)
def ligne_rapprocher(request: MembreRequest, ligne_id: int) -> HttpResponse:
    ligne = access_ligne(ligne_id)
    ids = [int(i) for i in request.POST.getlist("facture") if i.isdigit()]
    saisis = {str(i): request.POST.get(f"montant_{i}", "") for i in ids}
    try:
        factures = {f.pk: f for f in Facture.objects.filter(pk__in=ids, nature=Nature.FACTURE)}
        allocations = [(factures[i], _montant(saisis[str(i)])) for i in ids if i in factures]
        services.ligne_rapprocher(ligne=ligne, allocations=allocations, auteur=request.user)
    except (ApplicationError, ValidationError) as error:
        return _ligne_page(request, ligne, status=400, erreur=str(getattr(error, "message", error)), saisis=saisis)
    messages.success(request, _("Virement rapproché."))
    return redirect("banque:ligne", ligne_id=ligne.pk)


@require_POST
@role_requis(peut_rapprocher)
def ligne_avoir(request: MembreRequest, ligne_id: int) -> HttpResponse:
    """Keep the money as a credit on a client: a suggested one, or one found by SIREN or exact name."""
    ligne = access_ligne(ligne_id)
    client_id = request.POST.get("client", "")
    recherche = (request.POST.get("client_recherche") or "").strip()
    client = None
    if client_id.isdigit():
        client = Client.objects.filter(pk=int(client_id)).first()
    elif recherche:
        client = Client.objects.filter(Q(siren=recherche) | Q(raison_sociale__iexact=recherche)).order_by("pk").first()
    if client is None:
        return _ligne_page(request, ligne, status=400, erreur=_("Choisissez le client à créditer."))
    try:
        services.ligne_avoir_client(ligne=ligne, client=client, auteur=request.user)
    except ApplicationError as error:
        return _ligne_page(request, ligne, status=400, erreur=error.message)
    messages.success(request, _("Virement enregistré comme crédit de %(client)s.") % {"client": client})
    return redirect("banque:ligne", ligne_id=ligne.pk)


@require_POST
@role_requis(peut_rapprocher)
def ligne_ignorer(request: MembreRequest, ligne_id: int) -> HttpResponse:
    ligne = access_ligne(ligne_id)
    try:
        services.ligne_ignorer(ligne=ligne, auteur=request.user)
    except ApplicationError as error:
        return _ligne_page(request, ligne, status=400, erreur=error.message)
    messages.success(request, _("Ligne ignorée."))
    return redirect("banque:a_rapprocher")


@require_POST
@role_requis(peut_rapprocher)
def ligne_annuler(request: MembreRequest, ligne_id: int) -> HttpResponse:
    ligne = access_ligne(ligne_id)
    try:
        services.ligne_annuler(ligne=ligne, auteur=request.user)
    except ApplicationError as error:
        return _ligne_page(request, ligne, status=400, erreur=error.message)
    messages.success(request, _("Rapprochement annulé : la ligne est de nouveau à rapprocher."))
    return redirect("banque:ligne", ligne_id=ligne.pk)
