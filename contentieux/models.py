"""Litigation (contentieux): invoices taken out of the amicable flow and handed to a
court procedure (injonction de payer), a collection agency, a lawyer or a commissaire
de justice.

While a dossier holds an invoice, dunning is paused on it (a ``relances.Pause`` of
motif ``contentieux``, origine « contentieux:<id> »). Closing the dossier lifts those
pauses only when the credit manager asks for it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from factures.models import Facture
from recouvrement.tenancy.models import TenantModel


class Destination(models.TextChoices):
    INJONCTION = "injonction", _("Injonction de payer")
    SOCIETE_RECOUVREMENT = "societe_recouvrement", _("Société de recouvrement")
    AVOCAT = "avocat", _("Avocat")
    COMMISSAIRE = "commissaire", _("Commissaire de justice (huissier)")


class StatutDossier(models.TextChoices):
    OUVERT = "ouvert", _("Ouvert")
    TRANSMIS = "transmis", _("Transmis")
    CLOS = "clos", _("Clos")


STATUTS_DOSSIER_ACTIFS = (StatutDossier.OUVERT, StatutDossier.TRANSMIS)


class IssueDossier(models.TextChoices):
    RECOUVRE = "recouvre", _("Recouvré")
    RECOUVRE_PARTIELLEMENT = "recouvre_partiellement", _("Recouvré en partie")
    ACCORD = "accord", _("Accord amiable (échéancier, transaction)")
    IRRECOUVRABLE = "irrecouvrable", _("Irrécouvrable")
    ABANDONNE = "abandonne", _("Abandonné")


class DossierContentieux(TenantModel):
    """A litigation file for one client and some of its overdue invoices (``lignes``)."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+", db_index=False)
    destination = models.CharField(_("destination"), max_length=30, choices=Destination.choices)
    statut = models.CharField(_("statut"), max_length=10, choices=StatutDossier.choices, default=StatutDossier.OUVERT)
    issue = models.CharField(_("issue"), max_length=30, choices=IssueDossier.choices, blank=True)
    date_dossier = models.DateField(
        _("date du dossier"), help_text=_("La créance (intérêts, indemnités) est arrêtée à cette date.")
    )
    intervenant = models.CharField(
        _("cabinet, société ou tribunal"),
        max_length=200,
        blank=True,
        help_text=_("La société de recouvrement, l'avocat, le commissaire de justice ou le greffe saisi."),
    )
    reference = models.CharField(_("référence du dossier chez l'intervenant"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)
    commentaire_cloture = models.TextField(_("commentaire de clôture"), blank=True)
    montant_recouvre = models.DecimalField(
        _("montant recouvré"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    sans_mise_en_demeure = models.BooleanField(_("ouvert sans mise en demeure envoyée"), default=False, editable=False)
    cree_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    transmis_le = models.DateTimeField(null=True, blank=True)
    clos_le = models.DateTimeField(null=True, blank=True)
    relances_reprises_le = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("dossier contentieux")
        verbose_name_plural = _("dossiers contentieux")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "statut", "created_at"], name="contentieux_statut_idx"),
            models.Index(fields=["tenant", "client"], name="contentieux_client_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(statut=StatutDossier.CLOS, clos_le__isnull=False)
                | (~Q(statut=StatutDossier.CLOS) & Q(issue="")),
                name="contentieux_clos_coherent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_destination_display()} — {self.client}"

    @property
    def est_actif(self) -> bool:
        return self.statut in STATUTS_DOSSIER_ACTIFS

    @property
    def origine_pause(self) -> str:
        """The ``Pause.origine`` of the pauses this dossier created."""
        return f"contentieux:{self.pk}"


class LigneDossier(TenantModel):
    """An invoice of a dossier, with what it still owed when it was escalated.

    ``actif`` is true while the dossier is open or transmitted: an invoice is in at
    most one active dossier (a partial unique index), so escalating it twice fails in
    the database, whatever two members do at the same moment.
    """

    dossier = models.ForeignKey(DossierContentieux, on_delete=models.CASCADE, related_name="lignes", db_index=False)
    facture = models.ForeignKey(Facture, on_delete=models.PROTECT, related_name="+", db_index=False)
    montant_principal = models.DecimalField(_("principal à la date du dossier"), max_digits=14, decimal_places=2)
    actif = models.BooleanField(default=True, editable=False)

    class Meta(TenantModel.Meta):
        verbose_name = _("facture en contentieux")
        verbose_name_plural = _("factures en contentieux")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "dossier", "facture"], name="ligne_dossier_unique"),
            models.UniqueConstraint(
                fields=["tenant", "facture"], condition=Q(actif=True), name="ligne_dossier_facture_active"
            ),
            models.CheckConstraint(condition=Q(montant_principal__gt=0), name="ligne_dossier_principal_positif"),
        ]
