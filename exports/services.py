"""Exports: the rows of a list as CSV or XLSX, streamed at once when small, built by a
worker with its progress when large; and the PDF batch of a day's letters.

The rows are those of the list's own selectors (``clients.filtres``,
``factures.filtres``) with the requesting member's scope: a commercial's export
holds his clients only, in the page's order.
"""

from __future__ import annotations

import datetime
import logging
import tempfile
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from clients.filtres import client_filtres, client_lignes, client_total
from exports import tables
from exports.colonnes import (
    colonnes_balance,
    colonnes_clients,
    colonnes_factures,
    colonnes_litiges,
    colonnes_relances,
)
from exports.ecriture import Colonne, ecrire_csv, ecrire_xlsx
from exports.models import Export, FormatExport, StatutExport, TypeExport
from factures.filtres import FactureFiltreForm, facture_filtrer, facture_lignes
from factures.rapports import tranches as tranches_de
from recouvrement.core.errors import ApplicationError
from recouvrement.tenancy.models import Membre, Organisation

logger = logging.getLogger(__name__)

TYPES_CONTENU: dict[str, str] = {
    FormatExport.CSV: "text/csv; charset=utf-8",
    FormatExport.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FormatExport.PDF: "application/pdf",
}


# A PDF page holds about 30 rows and WeasyPrint lays out a few pages a second:
# beyond this many rows a PDF is built by a worker, whatever the CSV/XLSX threshold.
PDF_SYNCHRONE_MAX = 200


def seuil_synchrone(format: str = FormatExport.CSV) -> int:
    """Up to this many rows an export is sent at once; beyond, a worker builds it."""
    seuil = int(settings.EXPORTS_SYNCHRONE_MAX)
    return min(seuil, PDF_SYNCHRONE_MAX) if format == FormatExport.PDF else seuil


@dataclass
class Table:
    """What an export of a list writes: its columns, its row count, and its rows (lazy);
    ``filtres``: the list's checked filters as query-string parameters (what a job stores)."""

    titre: str
    colonnes: list[Colonne]
    total: int
    lignes: Callable[[], Iterator[Any]]
    filtres: dict[str, str]
    # Writes the PDF of the rows (the aging balance only): ``pdf(sortie, lignes)``.
    pdf: Callable[[Any, Iterable[Any]], None] | None = None

    def nom_fichier(self, *, format: str, jour: datetime.date) -> str:
        return f"{slugify(self.titre)}-{jour.isoformat()}.{format}"


def table_preparer(
    *, type: str, membre: Membre, organisation: Organisation, filtres: QueryDict | dict[str, Any], jour: datetime.date
) -> Table:
    """The table of the list ``type`` with ``filtres`` (its query string, or a stored export's
    dict), as ``membre`` sees it on ``jour``. Counts its rows (one query); reads them only when iterated."""
    if type == TypeExport.CLIENTS:
        filtres_clients = client_filtres(membre=membre, donnees=filtres)
        return Table(
            titre=_("Clients"),
            colonnes=colonnes_clients(),
            total=client_total(membre=membre, filtres=filtres_clients, aujourd_hui=jour),
            lignes=lambda: client_lignes(membre=membre, filtres=filtres_clients, aujourd_hui=jour),
            filtres=filtres_clients.parametres(),
        )
    if type == TypeExport.FACTURES:
        form = FactureFiltreForm(filtres, membre=membre, organisation=organisation)
        filtres_factures = form.filtres()
        total = facture_filtrer(
            membre=membre, filtres=filtres_factures, aujourd_hui=jour, tranches_=form.tranches
        ).count()
        return Table(
            titre=_("Factures"),
            colonnes=colonnes_factures(aujourd_hui=jour),
            total=total,
            lignes=lambda: facture_lignes(
                membre=membre, filtres=filtres_factures, aujourd_hui=jour, tranches_=form.tranches
            ),
            filtres=filtres_factures.parametres(),
        )
    if type == TypeExport.BALANCE_AGEE:
        return _table_balance(membre=membre, organisation=organisation, filtres=filtres, jour=jour)
    if type == TypeExport.RELANCES:
        filtres_relances = tables.relances_filtres(filtres)
        return Table(
            titre=_("Relances"),
            colonnes=colonnes_relances(),
            total=tables.relances_queryset(membre=membre, filtres=filtres_relances).count(),
            lignes=lambda: tables.relances_lignes(membre=membre, filtres=filtres_relances),
            filtres=filtres_relances.parametres(),
        )
    if type == TypeExport.LITIGES:
        filtres_litiges, parametres = tables.litiges_filtres(donnees=filtres)
        return Table(
            titre=_("Litiges"),
            colonnes=colonnes_litiges(),
            total=tables.litiges_queryset(membre=membre, filtres=filtres_litiges, aujourd_hui=jour).count(),
            lignes=lambda: tables.litiges_lignes(membre=membre, filtres=filtres_litiges, aujourd_hui=jour),
            filtres=parametres,
        )
    raise ApplicationError(_("Type d'export inconnu."), code="export_type_inconnu", field="type")


def _table_balance(
    *, membre: Membre, organisation: Organisation, filtres: QueryDict | dict[str, Any], jour: datetime.date
) -> Table:
    """The aging balance by client, for the clients of the client list's filters."""
    filtres_clients = client_filtres(membre=membre, donnees=filtres)
    liste_tranches = tranches_de(organisation.tranches_balance_agee)
    colonnes = colonnes_balance(liste_tranches)

    def pdf(sortie: Any, lignes: Iterable[Any]) -> None:
        from exports.pdf import ecrire_balance_pdf

        ecrire_balance_pdf(
            sortie,
            lignes,
            organisation=organisation,
            membre=membre,
            tranches=liste_tranches,
            jour=jour,
            filtres=filtres_clients,
        )

    return Table(
        titre=_("Balance âgée"),
        colonnes=colonnes,
        total=tables.balance_total(membre=membre, filtres=filtres_clients, aujourd_hui=jour, tranches=liste_tranches),
        lignes=lambda: tables.balance_lignes(
            membre=membre, filtres=filtres_clients, aujourd_hui=jour, tranches=liste_tranches
        ),
        filtres=filtres_clients.parametres(),
        pdf=pdf,
    )


def export_demander(
    *, type: str, format: str, filtres: dict[str, Any], jour: datetime.date, membre: Membre, langue: str = "fr"
) -> Export:
    """Record an export for the worker and queue it once the row is committed."""
    from exports.tasks import export_executer_tache

    export = Export.objects.create(
        type=type, format=format, filtres=filtres, jour=jour, demande_par=membre, langue=langue
    )
    organisation_id = export.tenant_id
    transaction.on_commit(lambda: export_executer_tache.delay(organisation_id=organisation_id, export_id=export.pk))
    return export


class _Progression:
    """Counts the rows as they are written and records the count every ``pas`` rows
    (an UPDATE committed at once: the progress page polls it)."""

    def __init__(self, export: Export, pas: int) -> None:
        self.export = export
        self.pas = max(1, pas)
        self.fait = 0

    def suivre(self, lignes: Iterable[Any]) -> Iterator[Any]:
        for ligne in lignes:
            yield ligne
            self.fait += 1
            if self.fait % self.pas == 0:
                self.enregistrer()

    def enregistrer(self) -> None:
        Export.objects.filter(pk=self.export.pk).update(fait=self.fait)


def _ecrire_table(export: Export, sortie: Any, organisation: Organisation) -> None:
    table = table_preparer(
        type=export.type,
        membre=export.demande_par,
        organisation=organisation,
        filtres=export.filtres,
        jour=export.jour,
    )
    Export.objects.filter(pk=export.pk).update(total=table.total)
    progression = _Progression(export, pas=max(200, table.total // 50))
    lignes = progression.suivre(table.lignes())
    if export.format == FormatExport.PDF and table.pdf is not None:
        table.pdf(sortie, lignes)
    elif export.format == FormatExport.XLSX:
        ecrire_xlsx(sortie, table.colonnes, lignes, titre=table.titre)
    else:
        ecrire_csv(sortie, table.colonnes, lignes)
    progression.enregistrer()
    export.nom_fichier = table.nom_fichier(format=export.format, jour=export.jour)


def _ecrire_courriers(export: Export, sortie: Any) -> None:
    """The day's letters rendered one by one (progress per letter), then bound in one PDF."""
    from weasyprint import HTML

    from relances.courriers import BASE_URL, FetcherHorsLigne
    from relances.selectors import courriers_du_jour

    documents = [e.courrier_html for e in courriers_du_jour(membre=export.demande_par, jour=export.jour)]
    if not documents:
        raise ApplicationError(
            _("Aucun courrier pour le %(date)s.") % {"date": export.jour.strftime("%d/%m/%Y")},
            code="export_sans_courrier",
        )
    Export.objects.filter(pk=export.pk).update(total=len(documents))
    progression = _Progression(export, pas=1)
    rendus = [
        HTML(string=html, base_url=BASE_URL, url_fetcher=FetcherHorsLigne()).render()
        for html in progression.suivre(documents)
    ]
    rendus[0].copy([page for rendu in rendus for page in rendu.pages]).write_pdf(sortie)
    export.nom_fichier = f"courriers-{export.jour.isoformat()}.pdf"


def export_executer(*, export_id: int) -> Export:
    """Build the file of an export (in a worker, inside its organisation's scope).

    Not one transaction: the progress is committed as it goes. Run again after a
    worker died, it starts over; a finished export is left as it is. On failure the
    export says so (``echec`` with the message) instead of staying "en cours".
    """
    export = Export.objects.select_related("demande_par__user").get(pk=export_id)
    if export.est_fini:
        return export
    Export.objects.filter(pk=export.pk).update(statut=StatutExport.EN_COURS, fait=0)
    organisation = Organisation.objects.get(pk=export.tenant_id)
    try:
        with (
            translation.override(export.langue),
            timezone.override(zoneinfo.ZoneInfo(organisation.fuseau_horaire)),
            tempfile.TemporaryFile() as sortie,
        ):
            if export.type == TypeExport.COURRIERS:
                _ecrire_courriers(export, sortie)
            else:
                _ecrire_table(export, sortie, organisation)
            sortie.seek(0)
            export.fichier.save(export.nom_fichier, File(sortie), save=False)
    except Exception as error:
        logger.exception("Export %s failed", export.pk)
        message = error.message if isinstance(error, ApplicationError) else _("L'export a échoué.")
        Export.objects.filter(pk=export.pk).update(statut=StatutExport.ECHEC, erreur=message, termine_le=timezone.now())
    else:
        Export.objects.filter(pk=export.pk).update(
            statut=StatutExport.TERMINE,
            fichier=export.fichier.name,
            nom_fichier=export.nom_fichier,
            termine_le=timezone.now(),
        )
    export.refresh_from_db()
    return export
