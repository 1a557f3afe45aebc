"""The tenant (``Organisation``), its people (``User``, ``Membre``, ``Invitation``)
and the base class of every tenant-owned model (``TenantModel``)."""

from __future__ import annotations

import datetime
import zoneinfo
from email.utils import formataddr
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from recouvrement.core.validators import (
    valider_bic,
    valider_fuseau_horaire,
    valider_iban,
    valider_siren,
)
from recouvrement.tenancy.context import current_scope
from recouvrement.tenancy.managers import TenantManager, assign_tenant


class Langue(models.TextChoices):
    FR = "fr", _("Français")
    EN = "en", _("Anglais")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who logs in. Platform-level: belongs to organisations through ``Membre``."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("adresse e-mail"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")

    def __str__(self) -> str:
        return self.get_full_name() or self.email


def tranches_par_defaut() -> list[int]:
    return [30, 45, 60]


class Organisation(models.Model):
    """The tenant: a company that sells on credit and chases its receivables here."""

    raison_sociale = models.CharField(_("raison sociale"), max_length=200)
    siren = models.CharField(_("SIREN"), max_length=9, validators=[valider_siren])
    adresse = models.CharField(_("adresse"), max_length=200, blank=True)
    adresse_complement = models.CharField(_("complément d'adresse"), max_length=200, blank=True)
    code_postal = models.CharField(_("code postal"), max_length=10, blank=True)
    ville = models.CharField(_("ville"), max_length=100, blank=True)
    pays = models.CharField(_("pays"), max_length=2, default="FR")
    fuseau_horaire = models.CharField(
        _("fuseau horaire"), max_length=64, default="Europe/Paris", validators=[valider_fuseau_horaire]
    )
    langue = models.CharField(_("langue"), max_length=2, choices=Langue.choices, default=Langue.FR)

    expediteur_nom = models.CharField(_("nom de l'expéditeur"), max_length=120, blank=True)
    expediteur_email = models.EmailField(_("adresse de l'expéditeur"), blank=True)
    signature = models.TextField(_("signature des e-mails"), blank=True)
    entete = models.TextField(_("en-tête des courriers"), blank=True)
    logo = models.FileField(
        _("logo"),
        upload_to="organisations/logos/",
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg", "svg"])],
    )

    banque = models.CharField(_("banque"), max_length=120, blank=True)
    titulaire_compte = models.CharField(_("titulaire du compte"), max_length=200, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True, validators=[valider_iban])
    bic = models.CharField(_("BIC"), max_length=11, blank=True, validators=[valider_bic])

    clause_penalites = models.TextField(
        _("clause de pénalités de retard"),
        blank=True,
        help_text=_("Extrait des conditions générales de vente imprimé sur les courriers."),
    )
    clause_reserve_propriete = models.TextField(_("clause de réserve de propriété"), blank=True)
    tranches_balance_agee = models.JSONField(
        _("tranches de la balance âgée (jours)"),
        default=tranches_par_defaut,
        help_text=_("Les bornes en jours de retard : 30, 45, 60 donnent non échu, 0–30, 30–45, 45–60, plus de 60."),
    )
    # The onboarding checklist (``recouvrement.core.demarrage``): when the scenarios were
    # reviewed, and when the checklist was dismissed before being complete.
    scenarios_revus_le = models.DateTimeField(_("scénarios revus le"), null=True, blank=True, editable=False)
    demarrage_masque_le = models.DateTimeField(_("démarrage masqué le"), null=True, blank=True, editable=False)

    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["raison_sociale"]

    def __str__(self) -> str:
        return self.raison_sociale

    def heure_locale(self, maintenant: datetime.datetime | None = None) -> datetime.datetime:
        """``maintenant`` (by default now) in the organisation's time zone: its day and hour for
        every job that runs at a local time (planning, reminders, scores, the digest)."""
        return (maintenant or timezone.now()).astimezone(zoneinfo.ZoneInfo(self.fuseau_horaire))

    @property
    def adresse_expediteur(self) -> str:
        """« Nom <adresse> » of every e-mail the organisation sends (reminders, notifications,
        the digest): its sender identity, else its name and the platform's address."""
        return formataddr(
            (self.expediteur_nom or self.raison_sociale, self.expediteur_email or settings.RELANCES_EXPEDITEUR)
        )

    def clean(self) -> None:
        bornes = self.tranches_balance_agee
        if (
            not isinstance(bornes, list)
            or not 1 <= len(bornes) <= 8
            or any(not isinstance(b, int) or b <= 0 for b in bornes)
            or bornes != sorted(set(bornes))
        ):
            raise ValidationError(
                {"tranches_balance_agee": _("Des nombres de jours croissants et positifs, par exemple 30, 45, 60.")}
            )


def champ_organisation(*, db_constraint: bool = True) -> models.ForeignKey[Any, Any]:
    """The ``tenant`` field of a tenant-owned model.

    ``db_constraint=False`` only where a composite foreign key ``(tenant_id, x_id) →
    (tenant_id, id)`` to another tenant-owned row that is never NULL already proves that the
    organisation exists (that row's own ``tenant`` constraint does): the tables bulk writes
    fill, where each constraint is one more deferred check per row at commit.
    """
    return models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,  # every composite index starts with tenant_id instead
        db_constraint=db_constraint,
        verbose_name=_("organisation"),
    )


class TenantModel(models.Model):
    """Base of every tenant-owned model.

    ``objects`` filters on the active organisation and raises without one; it
    is also the base manager (``Meta.base_manager_name``), so related lookups
    and ``save()`` updates are scoped too. Subclasses that declare a ``Meta``
    must inherit ``TenantModel.Meta`` (a system check enforces it).
    """

    tenant = champ_organisation()

    objects: ClassVar[TenantManager] = TenantManager()

    class Meta:
        abstract = True
        base_manager_name = "objects"

    def save(self, *args: Any, **kwargs: Any) -> None:
        assign_tenant(self)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        assign_tenant(self)
        return super().delete(*args, **kwargs)

    def full_clean(self, *args: Any, **kwargs: Any) -> None:
        # The tenant must be known before validation, or the uniqueness checks
        # of constraints starting with it are skipped.
        assign_tenant(self)
        super().full_clean(*args, **kwargs)


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrateur")
    CHARGE = "charge", _("Chargé de recouvrement")
    COMMERCIAL = "commercial", _("Commercial")
    DAF = "daf", _("Directeur administratif et financier")
    LECTURE = "lecture", _("Lecture seule")


class MembreManager(TenantManager):
    def of_user(self, user: User) -> models.QuerySet[Membre]:
        """The user's own memberships in every organisation (login, organisation switch).

        The one read of a tenant table that is keyed by the user instead of the
        organisation; the row-level security policy ``membre_self`` allows it
        only for the user of the current scope.
        """
        scope = current_scope()
        if not scope.platform and scope.user_id != user.pk:
            from recouvrement.core.errors import TenantScopeError

            raise TenantScopeError("Memberships are readable only by their own user.")
        return models.QuerySet(self.model, using=self._db).filter(user=user)


class Membre(TenantModel):
    """A user in an organisation, with a role."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="membres", db_index=False)
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    actif = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects: ClassVar[MembreManager] = MembreManager()

    class Meta(TenantModel.Meta):
        verbose_name = _("membre")
        verbose_name_plural = _("membres")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="membre_unique_par_organisation"),
        ]
        indexes = [models.Index(fields=["user"], name="membre_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class Invitation(TenantModel):
    """An admin invites someone by email to join with a role; the link carries a signed token."""

    email = models.EmailField(_("adresse e-mail"))
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    invite_par = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+", db_index=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [models.Index(fields=["tenant", "email"], name="invitation_tenant_email_idx")]

    def __str__(self) -> str:
        return self.email

    @property
    def est_ouverte(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()
