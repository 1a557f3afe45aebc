"""Disputes: an invoice (or part of it) the customer contests. While a dispute is
open, dunning pauses on the disputed invoices (a ``relances.Pause`` each)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from factures.models import Facture
from recouvrement.tenancy.models import Membre, TenantModel


class TypeLitige(models.TextChoices):
    PRIX = "prix", _("Prix")
    QUANTITE = "quantite", _("Quantité")
    QUALITE = "qualite", _("Qualité")
    LIVRAISON = "livraison", _("Livraison")
    ADMINISTRATIF = "administratif", _("Administratif (bon de commande manquant…)")
    DEJA_PAYE = "deja_paye", _("Déjà payé selon le client")
    AUTRE = "autre", _("Autre")


class StatutLitige(models.TextChoices):
    OUVERT = "ouvert", _("Ouvert")
    EN_COURS = "en_cours", _("En cours")
    RESOLU_AVOIR = "resolu_avoir", _("Résolu : avoir émis")
    RESOLU_REJETE = "resolu_rejete", _("Résolu : rejeté")
    RESOLU_ACCORD = "resolu_accord", _("Résolu : accord commercial")
    CLOS = "clos", _("Clos")


STATUTS_LITIGE_ACTIFS = (StatutLitige.OUVERT, StatutLitige.EN_COURS)


class Litige(TenantModel):
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="litiges", db_index=False)
    type = models.CharField(_("type"), max_length=20, choices=TypeLitige.choices)
    description = models.TextField(_("description"))
    statut = models.CharField(_("statut"), max_length=20, choices=StatutLitige.choices, default=StatutLitige.OUVERT)
    souleve_par = models.CharField(
        _("soulevé par"), max_length=200, blank=True, help_text=_("La personne, chez le client, qui conteste.")
    )
    responsable = models.ForeignKey(
        Membre,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="litiges",
        db_index=False,
        verbose_name=_("responsable"),
    )
    echeance = models.DateField(_("à résoudre avant le"), null=True, blank=True)
    resolution = models.TextField(_("résolution"), blank=True)
    ouvert_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    resolu_le = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("litige")
        verbose_name_plural = _("litiges")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "client", "statut"], name="litige_client_idx"),
            models.Index(fields=["tenant", "statut", "echeance"], name="litige_statut_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} — {self.client}"

    @property
    def est_actif(self) -> bool:
        return self.statut in STATUTS_LITIGE_ACTIFS


class LigneLitige(TenantModel):
    """A disputed invoice, for its whole amount or a part (``montant``)."""

    litige = models.ForeignKey(Litige, on_delete=models.CASCADE, related_name="lignes", db_index=False)
    facture = models.ForeignKey(Facture, on_delete=models.PROTECT, related_name="+", db_index=False)
    montant = models.DecimalField(_("montant contesté"), max_digits=14, decimal_places=2)

    class Meta(TenantModel.Meta):
        verbose_name = _("facture en litige")
        verbose_name_plural = _("factures en litige")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "litige", "facture"], name="ligne_litige_unique"),
            models.CheckConstraint(condition=Q(montant__gt=0), name="ligne_litige_montant_positif"),
        ]
        indexes = [models.Index(fields=["tenant", "facture"], name="ligne_litige_facture_idx")]
