"""Receivables: invoices and credit notes, payments, and their allocation (lettrage)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import F, Q, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from recouvrement.core.models import ConstraintErrorsOnFieldsMixin
from recouvrement.tenancy.models import TenantModel, champ_organisation

MONTANT: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}
DEMI_CENTIME = Value(Decimal("0.005"), output_field=models.DecimalField(max_digits=4, decimal_places=3))


class Nature(models.TextChoices):
    FACTURE = "facture", _("Facture")
    AVOIR = "avoir", _("Avoir")


class Statut(models.TextChoices):
    OUVERTE = "ouverte", _("Ouverte")
    PARTIELLEMENT_PAYEE = "partiellement_payee", _("Partiellement payée")
    PAYEE = "payee", _("Payée")
    ANNULEE = "annulee", _("Annulée")


STATUTS_OUVERTS = (Statut.OUVERTE, Statut.PARTIELLEMENT_PAYEE)


class SupportPaiement(models.TextChoices):
    VIREMENT = "virement", _("Virement")
    PRELEVEMENT = "prelevement", _("Prélèvement")
    CHEQUE = "cheque", _("Chèque")
    CARTE = "carte", _("Carte")
    AFFACTURAGE = "affacturage", _("Affacturage")


class MoyenPaiement(models.TextChoices):
    VIREMENT = "virement", _("Virement")
    PRELEVEMENT = "prelevement", _("Prélèvement")
    CHEQUE = "cheque", _("Chèque")
    CARTE = "carte", _("Carte")
    ESPECES = "especes", _("Espèces")
    AFFACTURAGE = "affacturage", _("Règlement de l'affactureur")


def statut_pour(*, reste_du: Decimal, montant_ttc: Decimal) -> Statut:
    """The status that a remaining due implies (cancellation aside)."""
    if reste_du <= 0:
        return Statut.PAYEE
    if reste_du < montant_ttc:
        return Statut.PARTIELLEMENT_PAYEE
    return Statut.OUVERTE


class Facture(ConstraintErrorsOnFieldsMixin, TenantModel):
    """An invoice (or a credit note) owed by a client.

    ``reste_du`` is stored, not computed on read: the daily planning scans a
    million open invoices and must not sum allocations for each. Only
    ``factures.services`` changes it, under a row lock, and database
    constraints keep it between 0 and ``montant_ttc`` and consistent with the
    status. For a credit note, ``reste_du`` is the credit not yet used.
    """

    numero = models.CharField(_("numéro"), max_length=50)
    nature = models.CharField(_("nature"), max_length=10, choices=Nature.choices, default=Nature.FACTURE)
    # On PostgreSQL the client and the organisation are checked by the composite foreign key
    # (tenant_id, client_id) → clients_client (tenant_id, id) alone: the plain constraints it
    # implies were two more deferred checks per invoice at commit (bulk writes, bench/README.md).
    tenant = champ_organisation(db_constraint=False)
    client = models.ForeignKey(
        Client,
        on_delete=models.PROTECT,
        related_name="factures",
        db_index=False,
        db_constraint=False,
        verbose_name=_("client"),
    )
    facture_origine = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="avoirs",
        db_index=False,
        verbose_name=_("facture d'origine"),
    )
    date_emission = models.DateField(_("date d'émission"))
    date_echeance = models.DateField(_("date d'échéance"))
    montant_ht = models.DecimalField(_("montant HT"), **MONTANT)
    montant_tva = models.DecimalField(_("TVA"), **MONTANT)
    montant_ttc = models.DecimalField(_("montant TTC"), **MONTANT)
    devise = models.CharField(_("devise"), max_length=3, default="EUR")
    reste_du = models.DecimalField(_("reste dû"), **MONTANT)
    statut = models.CharField(_("statut"), max_length=20, choices=Statut.choices, default=Statut.OUVERTE)
    support_paiement = models.CharField(
        _("support de paiement"), max_length=20, choices=SupportPaiement.choices, default=SupportPaiement.VIREMENT
    )
    affactureur = models.CharField(_("affactureur"), max_length=120, blank=True)
    numero_commande = models.CharField(_("n° de bon de commande"), max_length=60, blank=True)
    pdf = models.FileField(
        _("PDF de la facture"),
        upload_to="factures/%Y/%m/",
        blank=True,
        validators=[FileExtensionValidator(["pdf"])],
    )
    external_id = models.CharField(_("identifiant externe"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    constraint_fields: ClassVar[dict[str, str]] = {
        "facture_numero_unique": "numero",
        "facture_external_id_unique": "external_id",
        "facture_montants_coherents": "montant_ttc",
        "facture_montants_positifs": "montant_ttc",
        "facture_echeance_apres_emission": "date_echeance",
        "facture_affactureur_renseigne": "affactureur",
    }

    class Meta(TenantModel.Meta):
        verbose_name = _("facture")
        verbose_name_plural = _("factures")
        ordering = ["-date_emission", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "numero"],
                name="facture_numero_unique",
                violation_error_code="facture_numero_unique",
                violation_error_message=_("Ce numéro de facture existe déjà dans votre organisation."),
            ),
            models.UniqueConstraint(
                fields=["tenant", "external_id"],
                condition=~Q(external_id=""),
                name="facture_external_id_unique",
                violation_error_code="facture_external_id_unique",
                violation_error_message=_("Une facture de votre organisation a déjà cet identifiant externe."),
            ),
            # Within half a cent rather than equal: SQLite (the demo) compares
            # decimals as binary floats; amounts have two decimals, so on
            # PostgreSQL this is exact equality.
            models.CheckConstraint(
                condition=Q(
                    montant_ttc__gte=F("montant_ht") + F("montant_tva") - DEMI_CENTIME,
                    montant_ttc__lte=F("montant_ht") + F("montant_tva") + DEMI_CENTIME,
                ),
                name="facture_montants_coherents",
                violation_error_code="facture_montants_coherents",
                violation_error_message=_("Le montant TTC doit être égal au HT plus la TVA."),
            ),
            models.CheckConstraint(
                condition=Q(montant_ttc__gte=0, montant_ht__gte=0),
                name="facture_montants_positifs",
                violation_error_code="facture_montants_positifs",
                violation_error_message=_("Les montants sont positifs ; un avoir se saisit avec la nature « avoir »."),
            ),
            models.CheckConstraint(
                condition=Q(date_echeance__gte=F("date_emission")),
                name="facture_echeance_apres_emission",
                violation_error_code="facture_echeance_apres_emission",
                violation_error_message=_("L'échéance ne peut précéder la date d'émission."),
            ),
            models.CheckConstraint(
                condition=~Q(support_paiement="affacturage") | ~Q(affactureur=""),
                name="facture_affactureur_renseigne",
                violation_error_code="facture_affactureur_renseigne",
                violation_error_message=_("Une facture affacturée doit indiquer son affactureur."),
            ),
            models.CheckConstraint(
                condition=Q(reste_du__gte=0, reste_du__lte=F("montant_ttc")),
                name="facture_reste_du_borne",
                violation_error_code="facture_reste_du_borne",
            ),
            models.CheckConstraint(
                condition=Q(statut="annulee")
                | Q(statut="payee", reste_du=0)
                | Q(statut="partiellement_payee", reste_du__gt=0, reste_du__lt=F("montant_ttc"))
                | Q(statut="ouverte", reste_du__gt=0, reste_du=F("montant_ttc")),
                name="facture_statut_coherent",
                violation_error_code="facture_statut_coherent",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "client", "date_echeance"], name="facture_client_echeance_idx"),
            models.Index(
                fields=["tenant", "date_echeance"],
                name="facture_ouverte_echeance_idx",
                condition=Q(statut__in=["ouverte", "partiellement_payee"]),
            ),
            models.Index(fields=["tenant", "statut"], name="facture_tenant_statut_idx"),
            models.Index(fields=["tenant", "facture_origine"], name="facture_tenant_origine_idx"),
            # The balances of every client at once (the client list sorted or filtered by them,
            # the dashboard's summary and aging balance): an index-only scan of the open pieces.
            models.Index(
                fields=["tenant", "client"],
                include=["nature", "date_echeance", "support_paiement", "reste_du"],
                condition=Q(statut__in=["ouverte", "partiellement_payee"]),
                name="facture_solde_client_idx",
            ),
            # The issues by day (the dashboard's DSO: outstanding at past dates, monthly sales):
            # an index-only scan of a date range.
            models.Index(
                fields=["tenant", "date_emission"],
                include=["nature", "montant_ttc"],
                condition=~Q(statut="annulee"),
                name="facture_emission_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.numero

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.facture_origine_id and self.nature != Nature.AVOIR:
            errors["facture_origine"] = _("Seul un avoir se rattache à une facture d'origine.")
        if self.facture_origine is not None and self.client_id and self.facture_origine.client_id != self.client_id:
            errors["facture_origine"] = _("La facture d'origine doit être du même client.")
        if errors:
            raise ValidationError(errors)

    @property
    def est_ouverte(self) -> bool:
        return self.statut in STATUTS_OUVERTS

    @property
    def est_affacturee(self) -> bool:
        return self.support_paiement == SupportPaiement.AFFACTURAGE

    def jours_de_retard(self, aujourd_hui: Any) -> int:
        return max(0, (aujourd_hui - self.date_echeance).days) if self.est_ouverte else 0


class Paiement(TenantModel):
    """Money received from a client. ``montant_non_affecte`` is what no allocation uses yet."""

    client = models.ForeignKey(
        Client,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="paiements",
        db_index=False,
        verbose_name=_("client"),
    )
    date_paiement = models.DateField(_("date du paiement"))
    montant = models.DecimalField(_("montant"), **MONTANT)
    devise = models.CharField(_("devise"), max_length=3, default="EUR")
    montant_non_affecte = models.DecimalField(_("montant non affecté"), **MONTANT)
    moyen = models.CharField(_("moyen"), max_length=20, choices=MoyenPaiement.choices, default=MoyenPaiement.VIREMENT)
    reference = models.CharField(_("référence"), max_length=140, blank=True)
    libelle = models.CharField(_("libellé"), max_length=500, blank=True)
    external_id = models.CharField(_("identifiant externe"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta(TenantModel.Meta):
        verbose_name = _("paiement")
        verbose_name_plural = _("paiements")
        ordering = ["-date_paiement", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "external_id"], condition=~Q(external_id=""), name="paiement_external_id_unique"
            ),
            models.CheckConstraint(condition=Q(montant__gt=0), name="paiement_montant_positif"),
            models.CheckConstraint(
                condition=Q(montant_non_affecte__gte=0, montant_non_affecte__lte=F("montant")),
                name="paiement_non_affecte_borne",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "client", "date_paiement"], name="paiement_client_date_idx"),
            # The payments by day (the dashboard's DSO and the month's collections): index-only.
            models.Index(
                fields=["tenant", "date_paiement"],
                include=["montant", "montant_non_affecte"],
                name="paiement_date_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.montant} {self.devise} — {self.date_paiement}"


class Lettrage(TenantModel):
    """An allocation of part of a payment, or of a credit note, to one invoice.

    Cancelled allocations stay (``annule_le``) so the history of what was
    matched, by whom, survives; only active ones count in ``reste_du``.
    """

    facture = models.ForeignKey(Facture, on_delete=models.PROTECT, related_name="lettrages", db_index=False)
    paiement = models.ForeignKey(
        Paiement, on_delete=models.PROTECT, null=True, blank=True, related_name="lettrages", db_index=False
    )
    avoir = models.ForeignKey(
        Facture, on_delete=models.PROTECT, null=True, blank=True, related_name="lettrages_avoir", db_index=False
    )
    montant = models.DecimalField(_("montant"), **MONTANT)
    date_lettrage = models.DateField(_("date"), default=timezone.localdate)
    cree_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    annule_le = models.DateTimeField(null=True, blank=True)
    annule_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )

    class Meta(TenantModel.Meta):
        verbose_name = _("lettrage")
        verbose_name_plural = _("lettrages")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(montant__gt=0), name="lettrage_montant_positif"),
            models.CheckConstraint(
                condition=Q(paiement__isnull=False, avoir__isnull=True) | Q(paiement__isnull=True, avoir__isnull=False),
                name="lettrage_une_source",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "facture"], name="lettrage_tenant_facture_idx"),
            models.Index(fields=["tenant", "paiement"], name="lettrage_tenant_paiement_idx"),
            models.Index(fields=["tenant", "avoir"], name="lettrage_tenant_avoir_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.facture} ← {self.montant}"
