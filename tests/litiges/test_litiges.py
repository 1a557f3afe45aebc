"""Disputes pause dunning on the disputed invoices only; settling them resumes it."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from litiges.models import StatutLitige
from litiges.services import litige_ouvrir, litige_statut_changer
from recouvrement.core.errors import ApplicationError
from relances.models import Pause, Relance
from relances.services.planification import organisation_planifier

JEUDI = datetime.date(2026, 11, 26)
J = datetime.timedelta(days=1)


def test_a_dispute_pauses_only_its_invoices_and_settling_it_resumes_them(scope_relances):
    r = scope_relances
    client = r.client()
    contestee = r.facture(client, echeance=JEUDI - 20 * J)
    autre = r.facture(client, echeance=JEUDI - 20 * J)
    litige = litige_ouvrir(
        client=client,
        factures=[(contestee, Decimal("100.00"))],
        type="qualite",
        description="Pièces abîmées",
        auteur=r.tenant.admin,
        souleve_par="M. Achats",
    )
    organisation_planifier(jour=JEUDI)
    assert not Relance.objects.filter(facture=contestee).exists()
    assert Relance.objects.filter(facture=autre).exists()
    litige_statut_changer(
        litige=litige, statut=StatutLitige.RESOLU_REJETE, auteur=r.tenant.admin, resolution="Photos non probantes"
    )
    organisation_planifier(jour=JEUDI + 4 * J)
    assert Relance.objects.filter(facture=contestee).exists()
    litige.refresh_from_db()
    assert litige.resolu_le is not None


def test_a_dispute_checks_its_invoices_and_amounts(scope_relances):
    r = scope_relances
    client = r.client()
    facture = r.facture(client, echeance=JEUDI, ttc="500.00")
    etrangere = r.facture(r.client(), echeance=JEUDI)
    for lignes in ([], [(etrangere, None)], [(facture, Decimal("600.00"))], [(facture, Decimal("0"))]):
        with pytest.raises(ApplicationError):
            litige_ouvrir(client=client, factures=lignes, type="prix", description="x", auteur=None)


def test_a_disputes_pause_cannot_be_lifted_by_hand_only_by_settling_the_dispute(client, relances):
    """The resume button is not shown for it, and posting to the endpoint anyway leaves it in place."""
    r = relances
    with r.tenant.scope():
        facture = r.facture(r.client(), echeance=datetime.date(2026, 10, 1))
        litige = litige_ouvrir(
            client=facture.client, factures=[(facture, None)], type="prix", description="Prix", auteur=None
        )
        pause = Pause.objects.get(facture=facture)
    client.force_login(r.charge.user)
    fiche = client.get(reverse("clients:detail", args=[facture.client_id])).content.decode()
    assert reverse("relances:pause_lever", args=[pause.pk]) not in fiche
    reponse = client.post(reverse("relances:pause_lever", args=[pause.pk]), follow=True)
    assert "Cette pause prendra fin avec ce qui l&#x27;a créée (Litige)." in reponse.content.decode()
    with r.tenant.scope():
        pause.refresh_from_db()
        assert pause.levee_le is None
        litige_statut_changer(litige=litige, statut="resolu_rejete", auteur=None)
        pause.refresh_from_db()
        assert pause.levee_le is not None
