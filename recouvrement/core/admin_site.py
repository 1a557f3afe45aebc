"""The platform staff's admin: sees every organisation, through the one escape hatch."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from recouvrement.tenancy.context import unscoped


class PlatformAdminSite(admin.AdminSite):
    site_header = _("Recouvrement — administration de la plateforme")
    site_title = _("Plateforme Recouvrement")
    index_title = _("Toutes les organisations")

    def has_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def platform_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            # Escape hatch: platform staff inspect and repair every organisation.
            with unscoped(reason="admin de la plateforme"):
                return inner(request, *args, **kwargs)

        return platform_view


class TenantAdmin(admin.ModelAdmin):
    """Admin of a tenant-owned model: the organisation is shown, filterable, and chosen on creation."""

    list_select_related = ("tenant",)

    def get_list_filter(self, request: HttpRequest) -> Any:
        return ("tenant", *super().get_list_filter(request))

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if kwargs.get("fields"):
            kwargs["fields"] = [name for name in kwargs["fields"] if name != "tenant"]
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            from recouvrement.tenancy.models import Organisation

            class TenantForm(form):  # type: ignore[misc,valid-type]
                tenant = forms.ModelChoiceField(Organisation.objects.all(), label=_("organisation"))

                def _post_clean(self) -> None:
                    self.instance.tenant = self.cleaned_data.get("tenant")
                    super()._post_clean()

            return TenantForm
        return form

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = tuple(super().get_readonly_fields(request, obj))
        return ("tenant", *fields) if obj is not None else fields

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            name, options = fieldsets[0]
            fields = ["tenant", *[f for f in options["fields"] if f != "tenant"]]
            return [(name, {**options, "fields": fields}), *fieldsets[1:]]
        return fieldsets
