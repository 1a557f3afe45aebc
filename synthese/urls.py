from django.urls import path

from synthese import views

app_name = "synthese"

urlpatterns = [
    path("", views.index, name="index"),
    path("parametres/", views.parametres, name="parametres"),
    path("abonnement/", views.abonnement, name="abonnement"),
    path("apercu/", views.apercu, name="apercu"),
    path("pdf/", views.pdf, name="pdf"),
    path("envoyer/", views.envoyer, name="envoyer"),
]
