"""django-filter filters of the API lists: by client, status, dates, and what changed since."""

from __future__ import annotations

import django_filters as df
from django.utils.translation import gettext_lazy as _

from clients.models import Categorie, Client, Contact
from factures.models import Facture, Lettrage, Nature, Paiement, Statut
from litiges.models import Litige, StatutLitige, TypeLitige
from relances.models import Echeancier, Promesse, Relance, StatutEcheancier, StatutPromesse, StatutRelance


class ClientFiltre(df.FilterSet):
    external_id = df.CharFilter()
    siren = df.CharFilter()
    siret = df.CharFilter()
    categorie = df.ChoiceFilter(choices=Categorie.choices)
    recherche = df.CharFilter(field_name="raison_sociale", lookup_expr="icontains", label=_("raison sociale contient"))
    updated_since = df.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte", label=_("modifiés depuis"))

    class Meta:
        model = Client
        fields: list[str] = []


class ContactFiltre(df.FilterSet):
    client = df.NumberFilter(field_name="client_id")
    email = df.CharFilter(lookup_expr="iexact")
    external_id = df.CharFilter()
    created_since = df.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Contact
        fields: list[str] = []


class FactureFiltre(df.FilterSet):
    client = df.NumberFilter(field_name="client_id")
    statut = df.MultipleChoiceFilter(choices=Statut.choices)
    nature = df.ChoiceFilter(choices=Nature.choices)
    numero = df.CharFilter()
    external_id = df.CharFilter()
    date_emission_min = df.DateFilter(field_name="date_emission", lookup_expr="gte")
    date_emission_max = df.DateFilter(field_name="date_emission", lookup_expr="lte")
    date_echeance_min = df.DateFilter(field_name="date_echeance", lookup_expr="gte")
    date_echeance_max = df.DateFilter(field_name="date_echeance", lookup_expr="lte")
    updated_since = df.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Facture
        fields: list[str] = []


class PaiementFiltre(df.FilterSet):
    client = df.NumberFilter(field_name="client_id")
    external_id = df.CharFilter()
    date_min = df.DateFilter(field_name="date_paiement", lookup_expr="gte")
    date_max = df.DateFilter(field_name="date_paiement", lookup_expr="lte")
    non_affecte = df.BooleanFilter(method="filtrer_non_affecte", label=_("avec une part non affectée"))
    created_since = df.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Paiement
        fields: list[str] = []

    def filtrer_non_affecte(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(montant_non_affecte__gt=0) if value else queryset.filter(montant_non_affecte=0)


class LettrageFiltre(df.FilterSet):
    facture = df.NumberFilter(field_name="facture_id")
    paiement = df.NumberFilter(field_name="paiement_id")
    actif = df.BooleanFilter(field_name="annule_le", lookup_expr="isnull", label=_("non annulés"))
    created_since = df.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Lettrage
        fields: list[str] = []


class RelanceFiltre(df.FilterSet):
    client = df.NumberFilter(field_name="client_id")
    facture = df.NumberFilter(field_name="facture_id")
    statut = df.MultipleChoiceFilter(choices=StatutRelance.choices)
    date_min = df.DateFilter(field_name="date_prevue", lookup_expr="gte")
    date_max = df.DateFilter(field_name="date_prevue", lookup_expr="lte")
    created_since = df.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Relance
        fields: list[str] = []


class LitigeFiltre(df.FilterSet):
    client = df.NumberFilter(field_name="client_id")
    statut = df.MultipleChoiceFilter(choices=StatutLitige.choices)
    type = df.ChoiceFilter(choices=TypeLitige.choices)
    external_id = df.CharFilter()
    created_since = df.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Litige
        fields: list[str] = []


class EcheancierFiltre(df.FilterSet):
    client = df.NumberFilter(field_name="client_id")
    statut = df.MultipleChoiceFilter(choices=StatutEcheancier.choices)
    external_id = df.CharFilter()
    created_since = df.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Echeancier
        fields: list[str] = []


class PromesseFiltre(df.FilterSet):
    client = df.NumberFilter(field_name="client_id")
    facture = df.NumberFilter(field_name="facture_id")
    statut = df.MultipleChoiceFilter(choices=StatutPromesse.choices)
    external_id = df.CharFilter()
    date_min = df.DateFilter(field_name="date_promise", lookup_expr="gte")
    date_max = df.DateFilter(field_name="date_promise", lookup_expr="lte")

    class Meta:
        model = Promesse
        fields: list[str] = []
