"""Bank statements, their lines, and the payer accounts learnt from matches."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from factures.models import MONTANT, Paiement
from recouvrement.tenancy.models import TenantModel


class FormatReleve(models.TextChoices):
    CAMT053 = "camt053", _("CAMT.053 (XML ISO 20022)")
    CSV = "csv", _("CSV")


class Sens(models.TextChoices):
    CREDIT = "credit", _("Crédit")
    DEBIT = "debit", _("Débit")


class StatutLigne(models.TextChoices):
    A_RAPPROCHER = "a_rapprocher", _("À rapprocher")
    RAPPROCHEE = "rapprochee", _("Rapprochée")
    AVOIR_CLIENT = "avoir_client", _("Crédit client")
    IGNOREE = "ignoree", _("Ignorée")
    DEBIT = "debit", _("Débit (non traité)")


class ModeRapprochement(models.TextChoices):
    REFERENCE = "reference", _("Automatique : n° de facture")
    MONTANT = "montant", _("Automatique : montant et payeur")
    MANUEL = "manuel", _("Manuel")


class Releve(TenantModel):
    """One imported bank statement file. ``empreinte`` (SHA-256 of the file) makes a second
    import of the same file a no-op."""

    format = models.CharField(_("format"), max_length=10, choices=FormatReleve.choices)
    nom_fichier = models.CharField(_("fichier"), max_length=255, blank=True)
    empreinte = models.CharField(max_length=64)
    identifiant = models.CharField(_("identifiant du relevé"), max_length=140, blank=True)
    iban = models.CharField(_("compte"), max_length=34, blank=True)
    date_debut = models.DateField(_("du"), null=True, blank=True)
    date_fin = models.DateField(_("au"), null=True, blank=True)
    lignes_doublons = models.PositiveIntegerField(_("lignes déjà importées"), default=0)
    importe_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta(TenantModel.Meta):
        verbose_name = _("relevé bancaire")
        verbose_name_plural = _("relevés bancaires")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "empreinte"], name="releve_empreinte_unique")]
        indexes = [models.Index(fields=["tenant", "created_at"], name="releve_tenant_date_idx")]

    def __str__(self) -> str:
        return self.nom_fichier or self.identifiant or str(self.pk)


class LigneReleve(TenantModel):
    """One booked operation of a statement. ``reference_banque`` (the bank's reference, or a
    fingerprint of the line when the bank gives none) is unique: a line is imported once."""

    releve = models.ForeignKey(Releve, on_delete=models.CASCADE, related_name="lignes", db_index=False)
    position = models.PositiveIntegerField(default=0)
    sens = models.CharField(_("sens"), max_length=6, choices=Sens.choices)
    montant = models.DecimalField(_("montant"), **MONTANT)
    devise = models.CharField(_("devise"), max_length=3, default="EUR")
    date_operation = models.DateField(_("date d'opération"))
    date_valeur = models.DateField(_("date de valeur"), null=True, blank=True)
    libelle = models.CharField(_("libellé"), max_length=500, blank=True)
    references = models.CharField(_("références structurées"), max_length=500, blank=True)
    payeur_nom = models.CharField(_("payeur"), max_length=140, blank=True)
    payeur_iban = models.CharField(_("IBAN du payeur"), max_length=34, blank=True)
    reference_banque = models.CharField(_("référence bancaire"), max_length=140)
    statut = models.CharField(_("statut"), max_length=15, choices=StatutLigne.choices, default=StatutLigne.A_RAPPROCHER)
    mode = models.CharField(_("rapprochement"), max_length=10, choices=ModeRapprochement.choices, blank=True)
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    paiement = models.ForeignKey(
        Paiement, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    traitee_le = models.DateTimeField(null=True, blank=True)
    traitee_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )

    class Meta(TenantModel.Meta):
        verbose_name = _("ligne de relevé")
        verbose_name_plural = _("lignes de relevé")
        ordering = ["releve_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "reference_banque"], name="ligne_releve_reference_unique"),
            models.CheckConstraint(condition=Q(montant__gt=0), name="ligne_releve_montant_positif"),
        ]
        indexes = [
            models.Index(fields=["tenant", "releve", "position"], name="ligne_releve_releve_idx"),
            models.Index(
                fields=["tenant", "date_operation"],
                condition=Q(statut="a_rapprocher"),
                name="ligne_releve_a_rapprocher_idx",
            ),
            models.Index(fields=["tenant", "paiement"], name="ligne_releve_paiement_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.date_operation} {self.montant} {self.libelle[:40]}"

    @property
    def texte_remise(self) -> str:
        """All the remittance information: free text and structured references."""
        return f"{self.libelle} {self.references}".strip()


class ComptePayeur(TenantModel):
    """An IBAN seen paying a client's invoices: a later line from it is that client's money."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", db_index=False)
    iban = models.CharField(_("IBAN"), max_length=34)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta(TenantModel.Meta):
        verbose_name = _("compte payeur")
        verbose_name_plural = _("comptes payeurs")
        constraints = [models.UniqueConstraint(fields=["tenant", "iban"], name="compte_payeur_iban_unique")]
        indexes = [models.Index(fields=["tenant", "client"], name="compte_payeur_client_idx")]

    def __str__(self) -> str:
        return self.iban
