"""Disputes pause dunning on the disputed invoices only; settling them resumes it."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from litiges.models import StatutLitige
from litiges.services import litige_ouvrir, litige_statut_changer
from recouvrement.core.errors import ApplicationError
from relances.models import Relance
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
