"""API keys: per organisation, the secret stored hashed, with a scope (read or read/write)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from recouvrement.tenancy.models import TenantModel


class Portee(models.TextChoices):
    LECTURE = "lecture", _("Lecture")
    ECRITURE = "ecriture", _("Lecture et écriture")


class CleApi(TenantModel):
    """A key an ERP or a script uses to call the API as the organisation.

    The full key (``rcv_<prefixe>_<secret>``) is shown once, at creation; only its
    non-secret ``prefixe`` (shown in lists, used to find the row) and the SHA-256 of
    the whole key are stored. A revoked key stays, for the record.
    """

    nom = models.CharField(_("nom"), max_length=100)
    prefixe = models.CharField(_("préfixe"), max_length=16, db_index=True, editable=False)
    empreinte = models.CharField(_("empreinte SHA-256"), max_length=64, editable=False)
    portee = models.CharField(_("portée"), max_length=10, choices=Portee.choices, default=Portee.LECTURE)
    cree_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    derniere_utilisation = models.DateTimeField(_("dernière utilisation"), null=True, blank=True)
    revoquee_le = models.DateTimeField(_("révoquée le"), null=True, blank=True)
    revoquee_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )

    class Meta(TenantModel.Meta):
        verbose_name = _("clé d'API")
        verbose_name_plural = _("clés d'API")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "created_at"], name="cleapi_tenant_idx"),
        ]
        constraints = [
            # Found by its prefix before the organisation is known (``api.services.cle_authentifier``):
            # one index on the prefix alone; the (rare) same prefix in two organisations is told
            # apart by the hash.
            models.UniqueConstraint(fields=["tenant", "prefixe"], name="cleapi_prefixe_unique"),
            models.CheckConstraint(condition=Q(portee__in=["lecture", "ecriture"]), name="cleapi_portee_valide"),
        ]

    def __str__(self) -> str:
        return f"{self.nom} ({self.prefixe}…)"

    @property
    def active(self) -> bool:
        return self.revoquee_le is None

    @property
    def peut_ecrire(self) -> bool:
        return self.portee == Portee.ECRITURE

    # DRF's ``request.auth`` is this object; the views read the scope and the organisation from it.
    def as_dict(self) -> dict[str, Any]:
        return {"id": self.pk, "nom": self.nom, "prefixe": self.prefixe, "portee": self.portee}
