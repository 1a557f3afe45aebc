"""Imports of clients, contacts, invoices and payments from a CSV or XLSX file.

An ``Import`` is one file going through upload → column mapping → preview →
commit (at once when small, by a worker when large). A ``ModeleCorrespondance``
is a saved column mapping (a preset) of the organisation for one kind of file.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from recouvrement.tenancy.models import Membre, TenantModel


class TypeImport(models.TextChoices):
    CLIENTS = "clients", _("Clients")
    CONTACTS = "contacts", _("Contacts")
    FACTURES = "factures", _("Factures et avoirs")
    PAIEMENTS = "paiements", _("Paiements")


class StatutImport(models.TextChoices):
    # Uploaded; its columns are being mapped and previewed.
    BROUILLON = "brouillon", _("À configurer")
    EN_ATTENTE = "en_attente", _("En attente")
    VALIDATION = "validation", _("Contrôle des lignes")
    ECRITURE = "ecriture", _("Écriture")
    TERMINE = "termine", _("Terminé")
    # Some line was bad: nothing was written, the report says why.
    REJETE = "rejete", _("Refusé (rien n'a été importé)")
    ECHEC = "echec", _("Échec")


class ModeleCorrespondance(TenantModel):
    """A saved column mapping: ``colonnes`` maps a normalised column header
    (lower case, no accents, single spaces) to a target field, "" for ignored."""

    type = models.CharField(_("type"), max_length=20, choices=TypeImport.choices)
    nom = models.CharField(_("nom"), max_length=100)
    colonnes = models.JSONField(_("colonnes"), default=dict, blank=True)
    par_defaut = models.BooleanField(_("modèle par défaut"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("modèle de correspondance")
        verbose_name_plural = _("modèles de correspondance")
        ordering = ["type", "nom"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "type", "nom"], name="import_modele_nom_unique"),
            models.UniqueConstraint(
                fields=["tenant", "type"],
                condition=models.Q(par_defaut=True),
                name="import_modele_un_defaut",
            ),
        ]

    def __str__(self) -> str:
        return self.nom


class Import(TenantModel):
    """One imported file. ``entetes``: the file's column headers as written;
    ``correspondance``: the target field of each column ("" = ignored), same order;
    ``erreurs``: the report, one dict per problem (``ligne``, ``colonne``, ``champ``,
    ``code``, ``message``), the line numbered as in the file (header = line 1)."""

    type = models.CharField(_("type"), max_length=20, choices=TypeImport.choices)
    statut = models.CharField(_("statut"), max_length=20, choices=StatutImport.choices, default=StatutImport.BROUILLON)
    fichier = models.FileField(_("fichier"), upload_to="imports/%Y/%m/")
    nom_fichier = models.CharField(_("nom du fichier"), max_length=200)
    format = models.CharField(_("format"), max_length=10)
    entetes = models.JSONField(_("en-têtes"), default=list, blank=True)
    correspondance = models.JSONField(_("correspondance"), default=list, blank=True)
    modele = models.ForeignKey(
        ModeleCorrespondance,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("modèle de correspondance"),
    )
    total = models.PositiveIntegerField(_("lignes"), default=0)
    lues = models.PositiveIntegerField(_("lignes contrôlées"), default=0)
    ecrites = models.PositiveIntegerField(_("lignes écrites"), default=0)
    crees = models.PositiveIntegerField(_("créées"), default=0)
    mises_a_jour = models.PositiveIntegerField(_("mises à jour"), default=0)
    inchangees = models.PositiveIntegerField(_("inchangées"), default=0)
    lignes_en_erreur = models.PositiveIntegerField(_("lignes en erreur"), default=0)
    erreurs = models.JSONField(_("erreurs"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    demande_par = models.ForeignKey(
        Membre, on_delete=models.CASCADE, related_name="+", db_index=False, verbose_name=_("demandé par")
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    lance_le = models.DateTimeField(null=True, blank=True)
    termine_le = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="import_date_idx")]

    def __str__(self) -> str:
        return f"{self.get_type_display()} ({self.nom_fichier})"

    @property
    def est_fini(self) -> bool:
        return self.statut in (StatutImport.TERMINE, StatutImport.REJETE, StatutImport.ECHEC)

    @property
    def en_cours(self) -> bool:
        return self.statut in (StatutImport.EN_ATTENTE, StatutImport.VALIDATION, StatutImport.ECRITURE)

    @property
    def pourcentage(self) -> int:
        """Checking the lines is the first half of the work, writing them the second."""
        if self.est_fini:
            return 100
        if not self.total:
            return 0
        return min(99, (self.lues + self.ecrites) * 50 // self.total)
