"""Exports built in the background: a CSV or XLSX of a list, or the PDF batch of the day's letters."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from recouvrement.tenancy.models import Membre, TenantModel


class TypeExport(models.TextChoices):
    CLIENTS = "clients", _("Liste des clients")
    FACTURES = "factures", _("Liste des factures")
    COURRIERS = "courriers", _("Lot de courriers à imprimer")
    BALANCE_AGEE = "balance_agee", _("Balance âgée par client")
    RELANCES = "relances", _("Historique des relances")
    LITIGES = "litiges", _("Liste des litiges")


class FormatExport(models.TextChoices):
    CSV = "csv", _("CSV (Excel, séparateur point-virgule)")
    XLSX = "xlsx", _("Classeur Excel (XLSX)")
    PDF = "pdf", _("PDF")


class StatutExport(models.TextChoices):
    EN_ATTENTE = "en_attente", _("En attente")
    EN_COURS = "en_cours", _("En cours")
    TERMINE = "termine", _("Terminé")
    ECHEC = "echec", _("Échec")


class Export(TenantModel):
    """One export job. ``filtres`` holds the list's query string as a dict (or the day of
    the letters), applied again in the worker with the requesting member's scope, so the
    file holds what the member saw: never another commercial's clients."""

    type = models.CharField(_("type"), max_length=20, choices=TypeExport.choices)
    format = models.CharField(_("format"), max_length=10, choices=FormatExport.choices)
    filtres = models.JSONField(_("filtres"), default=dict, blank=True)
    langue = models.CharField(_("langue"), max_length=2, default="fr")
    jour = models.DateField(_("jour de référence"), help_text=_("Le jour des retards et des échus."))
    statut = models.CharField(_("statut"), max_length=20, choices=StatutExport.choices, default=StatutExport.EN_ATTENTE)
    fait = models.PositiveIntegerField(_("lignes faites"), default=0)
    total = models.PositiveIntegerField(_("lignes à faire"), null=True, blank=True)
    fichier = models.FileField(_("fichier"), upload_to="exports/%Y/%m/", blank=True)
    nom_fichier = models.CharField(_("nom du fichier"), max_length=200, blank=True)
    demande_par = models.ForeignKey(
        Membre, on_delete=models.CASCADE, related_name="+", db_index=False, verbose_name=_("demandé par")
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    termine_le = models.DateTimeField(null=True, blank=True)
    erreur = models.TextField(_("erreur"), blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "demande_par", "-created_at"], name="export_membre_idx")]

    def __str__(self) -> str:
        return f"{self.get_type_display()} ({self.get_format_display()})"

    @property
    def est_fini(self) -> bool:
        return self.statut in (StatutExport.TERMINE, StatutExport.ECHEC)

    @property
    def pourcentage(self) -> int:
        if self.statut == StatutExport.TERMINE:
            return 100
        if not self.total:
            return 0
        return min(99, self.fait * 100 // self.total)
