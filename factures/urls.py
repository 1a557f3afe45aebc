from django.urls import path

from factures import views

app_name = "factures"

urlpatterns = [
    path("", views.facture_liste, name="liste"),
    path("actions/", views.facture_actions, name="actions"),
    path("nouvelle/", views.facture_creer, name="creer"),
    path("<int:facture_id>/", views.facture_detail, name="detail"),
    path("<int:facture_id>/pdf/", views.facture_pdf, name="pdf"),
    path("<int:facture_id>/annuler/", views.facture_annuler, name="annuler"),
    path("<int:facture_id>/lettrer/", views.lettrage_creer, name="lettrer"),
    path("lettrages/<int:lettrage_id>/annuler/", views.lettrage_annuler, name="lettrage_annuler"),
    path("paiements/nouveau/", views.paiement_creer, name="paiement_creer"),
]
