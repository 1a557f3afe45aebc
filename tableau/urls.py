from django.urls import path

from tableau import views

app_name = "tableau"

urlpatterns = [
    path("", views.tableau_de_bord, name="index"),
]
