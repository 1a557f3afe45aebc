from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.webhook_liste, name="liste"),
    path("nouveau/", views.webhook_creer, name="creer"),
    path("<int:endpoint_id>/", views.webhook_modifier, name="modifier"),
    path("<int:endpoint_id>/secret/", views.webhook_secret, name="secret"),
    path("<int:endpoint_id>/test/", views.webhook_tester, name="tester"),
    path("<int:endpoint_id>/supprimer/", views.webhook_supprimer, name="supprimer"),
    path("livraisons/", views.livraison_liste, name="journal"),
    path("livraisons/<int:livraison_id>/", views.livraison_detail, name="livraison"),
    path("livraisons/<int:livraison_id>/renvoyer/", views.livraison_renvoyer, name="renvoyer"),
]
