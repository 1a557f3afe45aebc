from django.contrib import admin

from clients.models import Client, Contact, Evenement
from recouvrement.core.admin_site import TenantAdmin


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ("prenom", "nom", "email", "telephone", "role_comptabilite", "role_achats", "role_signataire")


@admin.register(Client)
class ClientAdmin(TenantAdmin):
    list_display = ("raison_sociale", "tenant", "siren", "categorie", "commercial")
    list_filter = ("categorie",)
    search_fields = ("raison_sociale", "siren", "external_id")
    raw_id_fields = ("commercial", "chef_projet")


@admin.register(Contact)
class ContactAdmin(TenantAdmin):
    list_display = ("__str__", "tenant", "client", "email", "opt_out", "email_invalide")
    search_fields = ("nom", "email")
    raw_id_fields = ("client",)


@admin.register(Evenement)
class EvenementAdmin(TenantAdmin):
    list_display = ("created_at", "tenant", "client", "type", "message", "auteur")
    search_fields = ("message",)
    raw_id_fields = ("client", "auteur")

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
