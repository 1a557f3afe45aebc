from django.urls import path

from clients import liste, views

app_name = "clients"

urlpatterns = [
    path("", liste.client_liste, name="liste"),
    path("nouveau/", views.client_creer, name="creer"),
    path("<int:client_id>/", views.client_detail, name="detail"),
    path("<int:client_id>/modifier/", views.client_modifier, name="modifier"),
    path("<int:client_id>/notes/", views.note_ajouter, name="note_ajouter"),
    path("<int:client_id>/appel/", views.appel_noter, name="appel"),
    path("<int:client_id>/promesses/", views.promesse_enregistrer, name="promesse"),
    path("<int:client_id>/releve.pdf", views.client_releve, name="releve"),
    path("<int:client_id>/contacts/nouveau/", views.contact_creer, name="contact_creer"),
    path("<int:client_id>/contacts/<int:contact_id>/", views.contact_modifier, name="contact_modifier"),
]
