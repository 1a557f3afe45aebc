from django.urls import path

from contentieux import views

app_name = "contentieux"

urlpatterns = [
    path("", views.dossier_liste, name="liste"),
    path("clients/<int:client_id>/ouvrir/", views.dossier_ouvrir, name="ouvrir"),
    path("factures/<int:facture_id>/ouvrir/", views.dossier_ouvrir_facture, name="ouvrir_facture"),
    path("<int:dossier_id>/", views.dossier_detail, name="detail"),
    path("<int:dossier_id>/pdf/", views.dossier_telecharger, name="pdf"),
    path("<int:dossier_id>/transmettre/", views.dossier_transmettre, name="transmettre"),
    path("<int:dossier_id>/clore/", views.dossier_clore, name="clore"),
    path("<int:dossier_id>/reprendre/", views.dossier_reprendre, name="reprendre"),
]
