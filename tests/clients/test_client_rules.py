"""Client data rules: French identifiers, VAT, IBAN, and the legal caps on payment terms."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from clients.models import Client
from clients.services import client_create, client_update, contact_create, contact_update
from recouvrement.core.validators import valider_bic, valider_iban, valider_siren, valider_siret, valider_tva
from tests.factories import ClientFactory, ContactFactory

# Real, public identifiers (a large French company), used only as valid test values.
SIREN = "732829320"
SIRET = "73282932000074"
TVA = "FR44732829320"


@pytest.mark.parametrize(
    ("validator", "valid", "invalid"),
    [
        (valider_siren, "732829320", ["732829321", "12345678", "ABCDEFGHI"]),
        (valider_siret, "73282932000074", ["73282932000075", "7328293200007"]),
        (valider_tva, "FR44732829320", ["FR45732829320", "FR4473282932"]),
        (valider_iban, "FR7630006000011234567890189", ["FR7630006000011234567890188", "FR76300060000112345"]),
        (valider_bic, "AGRIFRPP", ["AGRIFR", "12345678"]),
    ],
)
def test_identifier_validators(validator, valid, invalid):
    validator(valid)
    for value in invalid:
        with pytest.raises(ValidationError):
            validator(value)


def test_identifiers_are_stored_compact(scope_a):
    client = client_create(
        raison_sociale="Compact SA", siren="732 829 320", siret="732 829 320 00074", tva_intracom="fr 44 732829320"
    )
    assert (client.siren, client.siret, client.tva_intracom) == (SIREN, SIRET, TVA)


def test_siren_is_derived_from_siret(scope_a):
    client = client_create(raison_sociale="Dérivé", siret=SIRET)
    assert client.siren == SIREN


@pytest.mark.parametrize(
    ("fields", "field_in_error"),
    [
        ({"siren": "732829321"}, "siren"),
        ({"siren": SIREN, "siret": "55210055400013"}, "siret"),
        ({"siren": SIREN, "tva_intracom": "FR83404833048"}, "tva_intracom"),
        ({"delai_paiement_jours": 61}, "delai_paiement_jours"),
        ({"delai_paiement_jours": 46, "fin_de_mois": True}, "delai_paiement_jours"),
        ({"plafond_credit": Decimal("-1")}, "plafond_credit"),
        ({"agrement_affacturage": Decimal("10000")}, "affactureur"),
    ],
)
def test_bad_client_data_is_refused_on_the_field(scope_a, fields, field_in_error):
    with pytest.raises(ValidationError) as error:
        client_create(raison_sociale="Erreur SARL", **fields)
    assert field_in_error in error.value.message_dict
    assert not Client.objects.exists()


@pytest.mark.parametrize(("jours", "fin_de_mois"), [(60, False), (45, True), (0, False), (30, True)])
def test_payment_terms_within_the_legal_caps(scope_a, jours, fin_de_mois):
    client = client_create(raison_sociale="Délai OK", delai_paiement_jours=jours, fin_de_mois=fin_de_mois)
    assert client.pk


def test_the_database_enforces_the_caps_too(scope_a):
    client = ClientFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Client.objects.filter(pk=client.pk).update(delai_paiement_jours=50, fin_de_mois=True)


def test_the_form_shows_the_cap_next_to_the_field_in_french(client, tenant_a):
    tenant_a.login(client)
    response = client.post(
        reverse("clients:creer"),
        {
            "raison_sociale": "Trop long",
            "delai_paiement_jours": 90,
            "categorie": "tpe_pme",
            "langue": "fr",
            "pays": "FR",
            "devise": "EUR",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "delai_paiement_jours" in errors
    assert "60 jours" in errors["delai_paiement_jours"][0]


def test_siret_is_unique_per_organisation_only(tenant_a, tenant_b):
    with tenant_a.scope():
        client_create(raison_sociale="Un", siret=SIRET)
        with pytest.raises(ValidationError) as error:
            client_create(raison_sociale="Deux", siret=SIRET)
        assert error.value.message_dict["siret"] == ["Un client de votre organisation a déjà ce SIRET."]
    with tenant_b.scope():
        assert client_create(raison_sociale="Ailleurs", siret=SIRET).pk


def test_update_records_what_changed(scope_a):
    client = client_create(raison_sociale="Avant")
    client_update(client=client, raison_sociale="Après", delai_paiement_jours=45)
    evenement = client.evenements.first()
    assert evenement.type == "client.modifie"
    assert evenement.donnees == {"champs": ["delai_paiement_jours", "raison_sociale"]}


def test_a_new_email_clears_the_bounce_flag(scope_a):
    contact = ContactFactory(email_invalide=True)
    contact_update(contact=contact, telephone="0102030405")
    assert contact.email_invalide
    contact_update(contact=contact, email="Nouvelle@Client.fr")
    assert not contact.email_invalide
    assert contact.email == "nouvelle@client.fr"


def test_contact_roles_and_reachability(scope_a):
    client = ClientFactory()
    contact = contact_create(
        client=client, nom="Petit", email="achat@client.fr", role_achats=True, role_signataire=True
    )
    assert contact.roles == ["achats", "signataire de la commande"]
    assert contact.joignable_par_email
    contact_update(contact=contact, opt_out=True)
    assert not contact.joignable_par_email
