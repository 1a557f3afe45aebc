"""ESP tracking webhooks (django-anymail, here Postmark's format): delivery status,
hard bounces flag the contact and give a task, and an ESP event settles a send left in progress."""

from __future__ import annotations

import base64
import datetime
import json

import pytest
from django.urls import reverse

from clients.models import Contact
from relances.models import Envoi, Livraison, Relance, StatutEnvoi, StatutRelance, Tache, TypeTache
from tests.factories import FactureFactory, scenario_avec_etape

AUTH = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"webhook:secret-de-test").decode()}
URL = "/anymail/postmark/tracking/"


@pytest.fixture
def envoi(scope_relances):
    r = scope_relances
    client = r.client()
    etape = scenario_avec_etape()
    envoi = Envoi.objects.create(
        client=client,
        date_prevue=datetime.date(2026, 11, 26),
        etape=etape,
        canal="email",
        statut=StatutEnvoi.ENVOYE,
        message_id="pm-123",
    )
    facture = FactureFactory(client=client)
    Relance.objects.create(
        facture=facture,
        client=client,
        etape=etape,
        envoi=envoi,
        date_prevue=envoi.date_prevue,
        decalage_jours=1,
        canal="email",
        statut=StatutRelance.ENVOYEE,
    )
    return envoi


def poster(client, evenement, auth=AUTH):
    return client.post(URL, data=json.dumps(evenement), content_type="application/json", **auth)


def metadata(envoi):
    return {"organisation_id": str(envoi.tenant_id), "envoi_id": str(envoi.pk)}


def test_the_route_is_the_anymail_one():
    assert reverse("anymail:postmark_tracking_webhook") == URL


def test_delivery_then_open_are_recorded_and_never_go_back(client, envoi):
    assert (
        poster(
            client,
            {
                "RecordType": "Delivery",
                "MessageID": "pm-123",
                "Recipient": "x@y.example",
                "DeliveredAt": "2026-11-26T10:00:00Z",
                "Metadata": metadata(envoi),
            },
        ).status_code
        == 200
    )
    poster(
        client,
        {
            "RecordType": "Open",
            "MessageID": "pm-123",
            "Recipient": "x@y.example",
            "ReceivedAt": "2026-11-26T11:00:00Z",
            "Metadata": metadata(envoi),
        },
    )
    poster(
        client,
        {
            "RecordType": "Delivery",
            "MessageID": "pm-123",
            "Recipient": "x@y.example",
            "DeliveredAt": "2026-11-26T12:00:00Z",
            "Metadata": metadata(envoi),
        },
    )
    envoi.refresh_from_db()
    assert envoi.livraison == Livraison.OUVERT


def test_without_metadata_the_send_is_found_by_its_message_id(client, envoi):
    poster(
        client,
        {
            "RecordType": "Delivery",
            "MessageID": "pm-123",
            "Recipient": "x@y.example",
            "DeliveredAt": "2026-11-26T10:00:00Z",
        },
    )
    envoi.refresh_from_db()
    assert envoi.livraison == Livraison.DELIVRE


def test_a_hard_bounce_flags_the_contact_and_gives_a_task(client, envoi):
    adresse = f"compta@{envoi.client_id}.client.example"
    poster(
        client,
        {
            "RecordType": "Bounce",
            "Type": "HardBounce",
            "MessageID": "pm-123",
            "Email": adresse,
            "Description": "Mailbox does not exist",
            "BouncedAt": "2026-11-26T10:00:00Z",
            "ID": 42,
            "Metadata": metadata(envoi),
        },
    )
    envoi.refresh_from_db()
    assert envoi.livraison == Livraison.REBOND
    contact = Contact.objects.get(email=adresse)
    assert contact.email_invalide
    tache = Tache.objects.get(type=TypeTache.REBOND)
    assert adresse in tache.titre
    assert tache.description == "Mailbox does not exist"


def test_a_complaint_stops_emails_to_that_person(client, envoi):
    adresse = f"achats@{envoi.client_id}.client.example"
    poster(
        client,
        {
            "RecordType": "SpamComplaint",
            "Type": "SpamComplaint",
            "MessageID": "pm-123",
            "Email": adresse,
            "BouncedAt": "2026-11-26T10:00:00Z",
            "Metadata": metadata(envoi),
        },
    )
    assert Contact.objects.get(email=adresse).opt_out


def test_an_esp_event_settles_a_send_left_in_progress(client, envoi):
    Envoi.objects.filter(pk=envoi.pk).update(statut=StatutEnvoi.EN_COURS, message_id="")
    Relance.objects.filter(envoi=envoi).update(statut=StatutRelance.PLANIFIEE)
    poster(
        client,
        {
            "RecordType": "Delivery",
            "MessageID": "pm-999",
            "Recipient": "x@y.example",
            "DeliveredAt": "2026-11-26T10:00:00Z",
            "Metadata": metadata(envoi),
        },
    )
    envoi.refresh_from_db()
    assert (envoi.statut, envoi.message_id) == (StatutEnvoi.ENVOYE, "pm-999")
    assert Relance.objects.get(envoi=envoi).statut == StatutRelance.ENVOYEE


def test_unauthenticated_calls_are_refused(client, envoi):
    reponse = poster(
        client,
        {"RecordType": "Delivery", "MessageID": "pm-123", "Metadata": metadata(envoi)},
        auth={"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"webhook:faux").decode()},
    )
    assert reponse.status_code in (400, 401, 403)
    envoi.refresh_from_db()
    assert envoi.livraison == ""


def test_an_event_cannot_reach_another_organisations_send(client, envoi, tenant_b):
    """Metadata naming organisation B with A's send id finds nothing (the scope is B's)."""
    faux = {"organisation_id": str(tenant_b.organisation.pk), "envoi_id": str(envoi.pk)}
    poster(
        client,
        {
            "RecordType": "Delivery",
            "MessageID": "pm-123",
            "Recipient": "x@y.example",
            "DeliveredAt": "2026-11-26T10:00:00Z",
            "Metadata": faux,
        },
    )
    envoi.refresh_from_db()
    assert envoi.livraison == ""
