from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from recouvrement.core.admin_site import TenantAdmin
from recouvrement.tenancy.context import organisation_scope
from recouvrement.tenancy.models import Invitation, Membre, Organisation, User
from recouvrement.tenancy.signals import organisation_creee


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_staff", "is_active")
    search_fields = ("email", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Identité"), {"fields": ("first_name", "last_name")}),
        (_("Droits"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("raison_sociale", "siren", "ville", "fuseau_horaire", "created_at")
    search_fields = ("raison_sociale", "siren")

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        if not change:
            with organisation_scope(obj):
                organisation_creee.send(sender=Organisation, organisation=obj)


@admin.register(Membre)
class MembreAdmin(TenantAdmin):
    list_display = ("user", "tenant", "role", "actif")
    list_filter = ("role", "actif")
    search_fields = ("user__email",)
    raw_id_fields = ("user",)


@admin.register(Invitation)
class InvitationAdmin(TenantAdmin):
    list_display = ("email", "tenant", "role", "created_at", "accepted_at", "revoked_at")
    search_fields = ("email",)
    raw_id_fields = ("invite_par",)
