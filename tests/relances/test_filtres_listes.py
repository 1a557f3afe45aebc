"""The sends and tasks lists filter as the dashboard's links ask: bounced e-mails, calls to make."""

from __future__ import annotations

import datetime

from django.urls import reverse

from relances.models import Envoi, Livraison, StatutEnvoi, Tache, TypeTache

JEUDI = datetime.date(2026, 11, 26)


def test_the_sends_list_shows_the_bounced_ones_only(client, relances):
    r = relances
    with r.tenant.scope():
        etape = r.standard.etapes.get(nom="Rappel")
        rejete, delivre = (r.client(raison_sociale=nom) for nom in ("Rejeté SA", "Délivré SA"))
        for cible, livraison in ((rejete, Livraison.REBOND), (delivre, Livraison.DELIVRE)):
            Envoi.objects.create(
                client=cible,
                date_prevue=JEUDI,
                etape=etape,
                canal=etape.canal,
                statut=StatutEnvoi.ENVOYE,
                livraison=livraison,
            )
    client.force_login(r.charge.user)
    page = client.get(reverse("relances:envois"), {"statut": "envoye", "livraison": "rebond"}).content.decode()
    assert "Rejeté SA" in page
    assert "Délivré SA" not in page
    assert "Livraison : Rejeté (bounce)." in page
    # An unknown value is ignored rather than refused: every sent one is listed.
    tout = client.get(reverse("relances:envois"), {"statut": "envoye", "livraison": "n'importe"}).content.decode()
    assert "Rejeté SA" in tout
    assert "Délivré SA" in tout


def test_the_tasks_list_filters_by_type(client, relances):
    r = relances
    with r.tenant.scope():
        cible = r.client()
        Tache.objects.create(client=cible, type=TypeTache.APPEL, titre="Appeler la compta", echeance=JEUDI)
        Tache.objects.create(client=cible, type=TypeTache.COURRIER, titre="Poster le courrier", echeance=JEUDI)
    client.force_login(r.charge.user)
    page = client.get(reverse("relances:taches"), {"toutes": "1", "type": "appel"}).content.decode()
    assert "Appeler la compta" in page
    assert "Poster le courrier" not in page
    tout = client.get(reverse("relances:taches"), {"toutes": "1"}).content.decode()
    assert "Poster le courrier" in tout
