from django.urls import path

from banque import views

app_name = "banque"

urlpatterns = [
    path("", views.releve_liste, name="releves"),
    path("a-rapprocher/", views.a_rapprocher, name="a_rapprocher"),
    path("releves/<int:releve_id>/", views.releve_detail, name="releve"),
    path("lignes/<int:ligne_id>/", views.ligne_detail, name="ligne"),
    path("lignes/<int:ligne_id>/facture/", views.ligne_facture, name="ligne_facture"),
    path("lignes/<int:ligne_id>/rapprocher/", views.ligne_rapprocher, name="ligne_rapprocher"),
    path("lignes/<int:ligne_id>/credit/", views.ligne_avoir, name="ligne_avoir"),
    path("lignes/<int:ligne_id>/ignorer/", views.ligne_ignorer, name="ligne_ignorer"),
    path("lignes/<int:ligne_id>/annuler/", views.ligne_annuler, name="ligne_annuler"),
]
