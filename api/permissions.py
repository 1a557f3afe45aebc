"""Who may do what through the API.

A key: reading always, writing only with the « écriture » scope. A session: an active
member of the organisation; the same role rules as the pages (a read-only member does not
write, only managers of receivables write clients, invoices, payments and allocations; a
commercial sees only his clients, through the selectors).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions
from rest_framework.request import Request

from api.models import CleApi
from recouvrement.tenancy import roles

SAFE_METHODS = permissions.SAFE_METHODS


class PermissionApi(permissions.BasePermission):
    message = _("Vous n'avez pas les droits pour cette opération.")

    def has_permission(self, request: Request, view: Any) -> bool:
        if isinstance(request.auth, CleApi):
            if request.method in SAFE_METHODS:
                return True
            self.message = _("Cette clé d'API ne permet que la lecture.")
            return request.auth.peut_ecrire
        membre = getattr(request._request, "membre", None)
        if not request.user.is_authenticated or membre is None:
            self.message = _("Vous n'êtes membre d'aucune organisation.")
            return False
        if request.method in SAFE_METHODS:
            return True
        if not roles.peut_ecrire(membre):
            self.message = _("Votre rôle ne permet que la lecture.")
            return False
        if getattr(view, "ecriture_creances", False) and not roles.peut_gerer_creances(membre):
            self.message = _("Votre rôle ne permet pas de modifier les créances.")
            return False
        return True
