"""Export pages: start an export of a list (sent at once when small, else built by a
worker), start the PDF batch of a day's letters, follow a job's progress, download."""

from __future__ import annotations

import datetime
import tempfile
import zoneinfo
from collections.abc import Iterator

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from exports.ecriture import ecrire_xlsx, lignes_csv
from exports.models import Export, FormatExport, StatutExport, TypeExport
from exports.services import TYPES_CONTENU, Table, export_demander, seuil_synchrone, table_preparer
from recouvrement.tenancy import roles
from recouvrement.tenancy.context import organisation_scope
from recouvrement.tenancy.decorators import membre_requis
from recouvrement.tenancy.http import MembreRequest
from recouvrement.tenancy.middleware import personal_write

FORMATS_DE_LISTE = (FormatExport.CSV, FormatExport.XLSX)
FORMATS_AVEC_PDF = (FormatExport.CSV, FormatExport.XLSX, FormatExport.PDF)


def access_export(request: MembreRequest, export_id: int) -> Export:
    """The export if the member may have it; 404 alike for missing, another organisation's,
    and (for a commercial) another member's: an export holds what its requester sees."""
    queryset = Export.objects.select_related("demande_par")
    if not roles.voit_tous_les_clients(request.membre):
        queryset = queryset.filter(demande_par=request.membre)
    return get_object_or_404(queryset, pk=export_id)


def _flux_csv(request: MembreRequest, table: Table) -> Iterator[str]:
    """The CSV lines, read from the database while the response streams. The middleware's
    scope is gone by then: the generator enters the organisation's scope itself."""
    with (
        organisation_scope(request.organisation, user_id=request.user.pk),
        translation.override(translation.get_language()),
        timezone.override(zoneinfo.ZoneInfo(request.organisation.fuseau_horaire)),
    ):
        yield from lignes_csv(table.colonnes, table.lignes())


def _reponse_directe(request: MembreRequest, table: Table, format: str, jour: datetime.date) -> HttpResponseBase:
    nom = table.nom_fichier(format=format, jour=jour)
    if format == FormatExport.CSV:
        reponse = StreamingHttpResponse(_flux_csv(request, table), content_type=TYPES_CONTENU[format])
        reponse["Content-Disposition"] = f'attachment; filename="{nom}"'
        return reponse
    sortie = tempfile.SpooledTemporaryFile(max_size=10 * 1024 * 1024)  # noqa: SIM115  (FileResponse closes it)
    if format == FormatExport.PDF and table.pdf is not None:
        table.pdf(sortie, table.lignes())
    else:
        ecrire_xlsx(sortie, table.colonnes, table.lignes(), titre=table.titre)
    sortie.seek(0)
    return FileResponse(sortie, as_attachment=True, filename=nom, content_type=TYPES_CONTENU[format])


def _exporter_liste(request: MembreRequest, type: str, formats: tuple[str, ...] = FORMATS_DE_LISTE) -> HttpResponseBase:
    """The list with the query string's filters and sort, in the format of the button pressed."""
    format = request.POST.get("format", "")
    if format not in formats:
        raise Http404
    jour = timezone.localdate()
    table = table_preparer(
        type=type, membre=request.membre, organisation=request.organisation, filtres=request.GET, jour=jour
    )
    if table.total <= seuil_synchrone(format):
        return _reponse_directe(request, table, format, jour)
    export = export_demander(
        type=type,
        format=format,
        filtres=table.filtres,
        jour=jour,
        membre=request.membre,
        langue=translation.get_language() or "fr",
    )
    messages.info(
        request,
        _("%(n)s lignes : l'export se prépare en arrière-plan, vous pouvez continuer à travailler.")
        % {"n": table.total},
    )
    return redirect("exports:suivi", export_id=export.pk)


@personal_write
@require_POST
@membre_requis
def export_clients(request: MembreRequest) -> HttpResponseBase:
    return _exporter_liste(request, TypeExport.CLIENTS)


@personal_write
@require_POST
@membre_requis
def export_factures(request: MembreRequest) -> HttpResponseBase:
    return _exporter_liste(request, TypeExport.FACTURES)


@personal_write
@require_POST
@membre_requis
def export_balance_agee(request: MembreRequest) -> HttpResponseBase:
    """The aging balance by client, for the client list's filters (none: every client the member sees)."""
    return _exporter_liste(request, TypeExport.BALANCE_AGEE, FORMATS_AVEC_PDF)


@personal_write
@require_POST
@membre_requis
def export_relances(request: MembreRequest) -> HttpResponseBase:
    """The reminder history, for the reminders page's status and delivery filters."""
    return _exporter_liste(request, TypeExport.RELANCES)


@personal_write
@require_POST
@membre_requis
def export_litiges(request: MembreRequest) -> HttpResponseBase:
    """The disputes, for the disputes page's filters."""
    return _exporter_liste(request, TypeExport.LITIGES)


@personal_write
@membre_requis
def export_courriers(request: MembreRequest) -> HttpResponse:
    """The PDF batch of a day's letters, built in the background (GET: choose the day)."""
    valeur = request.POST.get("date") or request.GET.get("date") or ""
    try:
        jour = datetime.date.fromisoformat(valeur) if valeur else timezone.localdate()
    except ValueError:
        jour = timezone.localdate()
    if request.method != "POST":
        return render(request, "exports/courriers.html", {"jour": jour})
    export = export_demander(
        type=TypeExport.COURRIERS,
        format=FormatExport.PDF,
        filtres={"date": jour.isoformat()},
        jour=jour,
        membre=request.membre,
        langue=translation.get_language() or "fr",
    )
    return redirect("exports:suivi", export_id=export.pk)


@membre_requis
def export_liste(request: MembreRequest) -> HttpResponse:
    """The member's last exports."""
    exports = Export.objects.filter(demande_par=request.membre).order_by("-created_at", "-pk")[:30]
    return render(request, "exports/liste.html", {"export_list": exports})


@membre_requis
def export_suivi(request: MembreRequest, export_id: int) -> HttpResponse:
    return render(request, "exports/suivi.html", {"export": access_export(request, export_id)})


@membre_requis
def export_progression(request: MembreRequest, export_id: int) -> HttpResponse:
    """The progress fragment polled by the page (HTMX, every second until the job ends)."""
    return render(request, "exports/_progression.html", {"export": access_export(request, export_id)})


@membre_requis
def export_telecharger(request: MembreRequest, export_id: int) -> HttpResponseBase:
    """The file, only through this access-checked view (media is never served directly)."""
    export = access_export(request, export_id)
    if export.statut != StatutExport.TERMINE or not export.fichier:
        return redirect("exports:suivi", export_id=export.pk)
    return FileResponse(
        export.fichier.open("rb"),
        as_attachment=True,
        filename=export.nom_fichier or (export.fichier.name or "export").rsplit("/", 1)[-1],
        content_type=TYPES_CONTENU.get(export.format, "application/octet-stream"),
    )
