"""Clients (the tenant's customers), their contacts, and the event timeline."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from recouvrement.core.models import ConstraintErrorsOnFieldsMixin
from recouvrement.core.validators import (
    siren_de_la_tva,
    valider_siren,
    valider_siret,
    valider_tva,
)
from recouvrement.tenancy.models import Langue, Membre, TenantModel, champ_organisation

# French caps on payment terms (Code de commerce, art. L441-10 I): 60 days from
# the invoice date, or 45 days end of month.
DELAI_MAX_JOURS = 60
DELAI_MAX_JOURS_FIN_DE_MOIS = 45


class Categorie(models.TextChoices):
    TPE_PME = "tpe_pme", _("TPE / PME")
    ETI = "eti", _("ETI")
    GRAND_COMPTE = "grand_compte", _("Grand compte")
    SECTEUR_PUBLIC = "secteur_public", _("Secteur public")
    AUTRE = "autre", _("Autre")


class ClasseRisque(models.TextChoices):
    A = "A", _("A — risque très faible")
    B = "B", _("B — risque faible")
    C = "C", _("C — risque modéré")
    D = "D", _("D — risque élevé")
    E = "E", _("E — risque très élevé")


class Client(ConstraintErrorsOnFieldsMixin, TenantModel):
    """A customer company that buys on credit from the organisation.

    ``encours`` (what it still owes), ``échu`` (the overdue part) and the
    average delay are derived from its invoices by ``clients.selectors``.
    """

    raison_sociale = models.CharField(_("raison sociale"), max_length=200)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True, validators=[valider_siren])
    siret = models.CharField(_("SIRET"), max_length=14, blank=True, validators=[valider_siret])
    tva_intracom = models.CharField(
        _("n° de TVA intracommunautaire"), max_length=16, blank=True, validators=[valider_tva]
    )
    adresse = models.CharField(_("adresse"), max_length=200, blank=True)
    adresse_complement = models.CharField(_("complément d'adresse"), max_length=200, blank=True)
    code_postal = models.CharField(_("code postal"), max_length=10, blank=True)
    ville = models.CharField(_("ville"), max_length=100, blank=True)
    pays = models.CharField(_("pays"), max_length=2, default="FR")

    delai_paiement_jours = models.PositiveSmallIntegerField(_("délai de paiement (jours)"), default=30)
    fin_de_mois = models.BooleanField(_("fin de mois"), default=False)
    plafond_credit = models.DecimalField(_("plafond de crédit"), max_digits=14, decimal_places=2, null=True, blank=True)
    affactureur = models.CharField(_("affactureur"), max_length=120, blank=True)
    agrement_affacturage = models.DecimalField(
        _("agrément de l'affactureur"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    categorie = models.CharField(_("catégorie"), max_length=20, choices=Categorie.choices, default=Categorie.TPE_PME)
    classe_risque = models.CharField(_("classe de risque"), max_length=1, choices=ClasseRisque.choices, blank=True)
    date_debut_relation = models.DateField(_("client depuis"), null=True, blank=True)
    # An external rating (credit bureau, insurer), normalised to 0–100, higher = safer.
    # Entered on the client form (later by API); it counts in the risk score when present.
    note_externe = models.PositiveSmallIntegerField(
        _("note externe (0 à 100)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_("Note d'un organisme extérieur, ramenée de 0 (risque maximal) à 100 (risque minimal)."),
    )
    note_externe_source = models.CharField(_("source de la note externe"), max_length=120, blank=True)
    note_externe_date = models.DateField(_("date de la note externe"), null=True, blank=True)
    commercial = models.ForeignKey(
        Membre,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="clients_suivis",
        db_index=False,
        verbose_name=_("commercial"),
    )
    chef_projet = models.ForeignKey(
        Membre,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="clients_pilotes",
        db_index=False,
        verbose_name=_("chef de projet"),
    )
    langue = models.CharField(_("langue"), max_length=2, choices=Langue.choices, default=Langue.FR)
    devise = models.CharField(_("devise"), max_length=3, default="EUR")
    notes = models.TextField(_("notes"), blank=True)
    external_id = models.CharField(_("identifiant externe"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    constraint_fields: ClassVar[dict[str, str]] = {
        "client_siret_unique": "siret",
        "client_external_id_unique": "external_id",
        "client_delai_legal": "delai_paiement_jours",
        "client_plafond_positif": "plafond_credit",
        "client_agrement_positif": "agrement_affacturage",
        "client_note_externe_bornee": "note_externe",
    }

    class Meta(TenantModel.Meta):
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["raison_sociale"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "siret"],
                condition=~Q(siret=""),
                name="client_siret_unique",
                violation_error_code="client_siret_unique",
                violation_error_message=_("Un client de votre organisation a déjà ce SIRET."),
            ),
            models.UniqueConstraint(
                fields=["tenant", "external_id"],
                condition=~Q(external_id=""),
                name="client_external_id_unique",
                violation_error_code="client_external_id_unique",
                violation_error_message=_("Un client de votre organisation a déjà cet identifiant externe."),
            ),
            models.CheckConstraint(
                condition=Q(fin_de_mois=False, delai_paiement_jours__lte=DELAI_MAX_JOURS)
                | Q(fin_de_mois=True, delai_paiement_jours__lte=DELAI_MAX_JOURS_FIN_DE_MOIS),
                name="client_delai_legal",
                violation_error_code="client_delai_legal",
                violation_error_message=_(
                    "Le délai de paiement ne peut dépasser 60 jours à compter de la date de facture, "
                    "ou 45 jours fin de mois (art. L441-10 du Code de commerce)."
                ),
            ),
            models.CheckConstraint(
                condition=Q(plafond_credit__isnull=True) | Q(plafond_credit__gte=0),
                name="client_plafond_positif",
                violation_error_code="client_plafond_positif",
                violation_error_message=_("Le plafond de crédit ne peut être négatif."),
            ),
            models.CheckConstraint(
                condition=Q(agrement_affacturage__isnull=True) | Q(agrement_affacturage__gte=0),
                name="client_agrement_positif",
                violation_error_code="client_agrement_positif",
                violation_error_message=_("L'agrément de l'affactureur ne peut être négatif."),
            ),
            models.CheckConstraint(
                condition=Q(note_externe__isnull=True) | Q(note_externe__lte=100),
                name="client_note_externe_bornee",
                violation_error_code="client_note_externe_bornee",
                violation_error_message=_("La note externe va de 0 à 100."),
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "raison_sociale"], name="client_tenant_nom_idx"),
            models.Index(fields=["tenant", "commercial"], name="client_tenant_commercial_idx"),
            models.Index(fields=["tenant", "siren"], name="client_tenant_siren_idx"),
        ]

    def __str__(self) -> str:
        return self.raison_sociale

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.siret and self.siren and not self.siret.startswith(self.siren):
            errors["siret"] = _("Le SIRET doit commencer par le SIREN du client (%(siren)s).") % {"siren": self.siren}
        if self.tva_intracom and self.siren:
            siren_tva = siren_de_la_tva(self.tva_intracom)
            if siren_tva is not None and siren_tva != self.siren:
                errors["tva_intracom"] = _("Le numéro de TVA ne correspond pas au SIREN %(siren)s.") % {
                    "siren": self.siren
                }
        if self.agrement_affacturage is not None and not self.affactureur:
            errors["affactureur"] = _("Indiquez l'affactureur qui a donné l'agrément.")
        if self.note_externe is None and (self.note_externe_source or self.note_externe_date):
            errors["note_externe"] = _("Indiquez la note, ou effacez sa source et sa date.")
        if errors:
            raise ValidationError(errors)


class Contact(TenantModel):
    """A person at the client. Roles decide who receives which reminder."""

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="contacts", db_index=False, verbose_name=_("client")
    )
    civilite = models.CharField(_("civilité"), max_length=10, blank=True)
    prenom = models.CharField(_("prénom"), max_length=100, blank=True)
    nom = models.CharField(_("nom"), max_length=100)
    fonction = models.CharField(_("fonction"), max_length=120, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    telephone = models.CharField(_("téléphone"), max_length=30, blank=True)
    langue = models.CharField(_("langue"), max_length=2, choices=Langue.choices, default=Langue.FR)
    role_comptabilite = models.BooleanField(_("comptabilité fournisseurs"), default=False)
    role_achats = models.BooleanField(_("achats"), default=False)
    role_signataire = models.BooleanField(_("signataire de la commande"), default=False)
    role_direction = models.BooleanField(_("direction"), default=False)
    opt_out = models.BooleanField(_("ne plus relancer par e-mail"), default=False)
    email_invalide = models.BooleanField(_("adresse en échec (bounce)"), default=False)
    email_invalide_le = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(_("identifiant externe"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta(TenantModel.Meta):
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["nom", "prenom"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "external_id"],
                condition=~Q(external_id=""),
                name="contact_external_id_unique",
                violation_error_code="contact_external_id_unique",
                violation_error_message=_("Un contact de votre organisation a déjà cet identifiant externe."),
            ),
        ]
        indexes = [models.Index(fields=["tenant", "client"], name="contact_tenant_client_idx")]

    def __str__(self) -> str:
        return " ".join(part for part in (self.prenom, self.nom) if part)

    @property
    def roles(self) -> list[str]:
        pairs = (
            (self.role_comptabilite, _("comptabilité fournisseurs")),
            (self.role_achats, _("achats")),
            (self.role_signataire, _("signataire de la commande")),
            (self.role_direction, _("direction")),
        )
        return [str(label) for active, label in pairs if active]

    @property
    def joignable_par_email(self) -> bool:
        return bool(self.email) and not self.opt_out and not self.email_invalide


class Evenement(TenantModel):
    """One line of the append-only timeline of a client (and of one of its invoices).

    Written only by ``clients.events.evenement_record``; never updated nor
    deleted (a trigger refuses it on PostgreSQL). ``facture_id`` is a plain
    column, not a foreign key, so that this lowest app does not depend on
    ``factures`` and the trail survives whatever happens to the invoice.
    """

    # As on ``Facture``: the composite foreign key (tenant_id, client_id) → clients_client
    # (tenant_id, id) alone checks the client and the organisation (one deferred check per event).
    tenant = champ_organisation(db_constraint=False)
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="evenements", db_index=False, db_constraint=False
    )
    facture_id = models.BigIntegerField(null=True, blank=True)
    type = models.CharField(_("type"), max_length=40)
    message = models.CharField(_("message"), max_length=500)
    donnees = models.JSONField(default=dict, blank=True)
    auteur = models.ForeignKey(
        # PROTECT: the trail is never rewritten; users are deactivated, not deleted.
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta(TenantModel.Meta):
        verbose_name = _("événement")
        verbose_name_plural = _("événements")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "client", "-created_at"], name="evenement_client_idx"),
            models.Index(
                fields=["tenant", "facture_id", "-created_at"],
                name="evenement_facture_idx",
                condition=Q(facture_id__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.message

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Evenement is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("Evenement is append-only.")
