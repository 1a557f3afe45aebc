from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from recouvrement.core import views as core_views
from recouvrement.tenancy import views as tenancy_views
from recouvrement.tenancy.middleware import personal_write

urlpatterns = [
    path("", core_views.accueil, name="accueil"),
    path("demarrage/", core_views.demarrage, name="demarrage"),
    path("demarrage/bandeau/", core_views.demarrage_banniere, name="demarrage_banniere"),
    path("connexion/", tenancy_views.connexion, name="connexion"),
    path("deconnexion/", tenancy_views.deconnexion, name="deconnexion"),
    path("inscription/", tenancy_views.inscription, name="inscription"),
    path("mot-de-passe/", tenancy_views.mot_de_passe, name="mot_de_passe"),
    path("mot-de-passe/change/", tenancy_views.mot_de_passe_change, name="mot_de_passe_change"),
    path("mot-de-passe/oubli/", tenancy_views.reinitialisation, name="reinitialisation"),
    path("mot-de-passe/oubli/envoye/", tenancy_views.reinitialisation_envoyee, name="reinitialisation_envoyee"),
    path(
        "mot-de-passe/oubli/<uidb64>/<token>/",
        tenancy_views.reinitialisation_confirmation,
        name="password_reset_confirm",
    ),
    path("mot-de-passe/oubli/termine/", tenancy_views.reinitialisation_terminee, name="reinitialisation_terminee"),
    path("organisation/aucune/", tenancy_views.sans_organisation, name="sans_organisation"),
    path("organisation/changer/", tenancy_views.changer_organisation, name="changer_organisation"),
    path("organisation/parametres/", tenancy_views.parametres, name="parametres"),
    path("organisation/membres/", tenancy_views.membres, name="membres"),
    path("organisation/membres/<int:membre_id>/", tenancy_views.membre_modifier, name="membre_modifier"),
    path(
        "organisation/invitations/<int:invitation_id>/revoquer/",
        tenancy_views.invitation_revoquer,
        name="invitation_revoquer",
    ),
    path("invitation/<str:token>/", tenancy_views.invitation, name="invitation"),
    path("clients/", include("clients.urls")),
    path("factures/", include("factures.urls")),
    path("relances/", include("relances.urls")),
    path("litiges/", include("litiges.urls")),
    path("contentieux/", include("contentieux.urls")),
    path("risque/", include("risque.urls")),
    path("synthese/", include("synthese.urls")),
    path("tableau-de-bord/", include("tableau.urls")),
    path("exports/", include("exports.urls")),
    path("imports/", include("imports.urls")),
    path("banque/", include("banque.urls")),
    path("organisation/webhooks/", include("webhooks.urls")),
    path("api/", include("api.urls")),
    # ESP tracking webhooks (django-anymail), authenticated with ANYMAIL_WEBHOOK_SECRET.
    path("anymail/", include("anymail.urls")),
    path("langue/", personal_write(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
