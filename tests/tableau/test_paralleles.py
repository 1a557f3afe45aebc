"""The dashboard's two aggregates on two connections: same figures as one after the other,
the DSO really computed in the other thread, in the request's organisation only."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection

from factures.services import lettrage_create, paiement_create
from recouvrement.tenancy.context import organisation_scope
from tableau import paralleles
from tests.factories import ClientFactory, FactureFactory

AUJOURD_HUI = datetime.date(2026, 11, 26)


def _donnees(tenant, *, montant: str) -> None:
    with tenant.scope():
        client = ClientFactory()
        for jours in (-10, 5, 40, 70, 200):
            facture = FactureFactory(
                client=client,
                date_emission=AUJOURD_HUI - datetime.timedelta(days=jours + 30),
                date_echeance=AUJOURD_HUI - datetime.timedelta(days=jours),
                montant_ht=Decimal(montant),
                montant_tva=Decimal("0.00"),
                montant_ttc=Decimal(montant),
            )
        paiement = paiement_create(client=client, montant=Decimal("100.00"), date_paiement=AUJOURD_HUI)
        lettrage_create(facture=facture, paiement=paiement, montant=Decimal("100.00"))


@pytest.mark.django_db(transaction=True)
def test_in_two_threads_the_figures_are_those_of_one_after_the_other(tenant_a, tenant_b, monkeypatch, settings):
    _donnees(tenant_a, montant="1000.00")
    _donnees(tenant_b, montant="7777.00")  # never counted for A
    fils: list[str] = []
    originale = paralleles._dso_dans_le_fil

    def espion(organisation, aujourd_hui):
        fils.append(threading.current_thread().name)
        return originale(organisation, aujourd_hui)

    monkeypatch.setattr(paralleles, "_dso_dans_le_fil", espion)
    with organisation_scope(tenant_a.organisation):
        assert paralleles.en_parallele_possible()
        synthese, dso = paralleles.chiffres_organisation(organisation=tenant_a.organisation, aujourd_hui=AUJOURD_HUI)
        settings.TABLEAU_REQUETES_PARALLELES = False
        assert not paralleles.en_parallele_possible()
        synthese_seq, dso_seq = paralleles.chiffres_organisation(
            organisation=tenant_a.organisation, aujourd_hui=AUJOURD_HUI
        )
    assert len(fils) == 1
    assert fils[0].startswith("tableau-dso")
    assert fils[0] != threading.current_thread().name
    assert synthese == synthese_seq
    assert dso == dso_seq
    assert synthese.encours == Decimal("4900.00")
    assert dso.points[-1].encours == Decimal("4900.00")


def test_inside_a_transaction_it_stays_on_one_connection(tenant_a):
    """A caller's atomic block (and every ``db`` test): the other connection would not see its data."""
    _donnees(tenant_a, montant="1000.00")
    assert connection.in_atomic_block
    with organisation_scope(tenant_a.organisation):
        assert not paralleles.en_parallele_possible()
        synthese, dso = paralleles.chiffres_organisation(organisation=tenant_a.organisation, aujourd_hui=AUJOURD_HUI)
    assert synthese.encours == Decimal("4900.00")
    assert dso.points[-1].encours == Decimal("4900.00")
