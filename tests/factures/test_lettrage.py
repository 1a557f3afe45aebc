"""Remaining due (reste dû) after payments and credit notes, and allocations under concurrency."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from factures.models import Facture, Lettrage, Nature, Paiement, Statut
from factures.services import (
    date_echeance_calculee,
    facture_annuler,
    facture_create,
    lettrage_annuler,
    lettrage_create,
    paiement_create,
)
from recouvrement.core.errors import ApplicationError
from recouvrement.tenancy.context import organisation_scope
from tests.factories import ClientFactory

D = Decimal


@pytest.fixture
def client_a(scope_a):
    return ClientFactory(delai_paiement_jours=30)


def _facture(client, numero="F-1", ht="1000.00", tva="200.00", **extra):
    return facture_create(
        client=client,
        numero=numero,
        date_emission=datetime.date(2026, 9, 1),
        montant_ht=D(ht),
        montant_tva=D(tva),
        **extra,
    )


def test_a_new_invoice_is_fully_due(client_a):
    facture = _facture(client_a)
    assert (facture.montant_ttc, facture.reste_du, facture.statut) == (D("1200.00"), D("1200.00"), Statut.OUVERTE)
    assert facture.date_echeance == datetime.date(2026, 10, 1)


@pytest.mark.parametrize(
    ("emission", "jours", "fin_de_mois", "echeance"),
    [
        (datetime.date(2026, 1, 15), 30, False, datetime.date(2026, 2, 14)),
        (datetime.date(2026, 1, 15), 45, True, datetime.date(2026, 3, 31)),  # 1 March, then month end
        (datetime.date(2026, 1, 31), 60, False, datetime.date(2026, 4, 1)),
        (datetime.date(2027, 12, 20), 45, True, datetime.date(2028, 2, 29)),
    ],
)
def test_due_date_from_payment_terms(emission, jours, fin_de_mois, echeance):
    assert date_echeance_calculee(date_emission=emission, delai_jours=jours, fin_de_mois=fin_de_mois) == echeance


def test_partial_payments_then_full(client_a):
    facture = _facture(client_a)
    paiement = paiement_create(client=client_a, montant=D("500.00"), date_paiement=datetime.date(2026, 10, 5))
    lettrage_create(facture=facture, paiement=paiement, montant=D("500.00"))
    facture.refresh_from_db()
    assert (facture.reste_du, facture.statut) == (D("700.00"), Statut.PARTIELLEMENT_PAYEE)
    second = paiement_create(client=client_a, montant=D("1000.00"), date_paiement=datetime.date(2026, 10, 20))
    lettrage_create(facture=facture, paiement=second, montant=D("700.00"))
    facture.refresh_from_db()
    second.refresh_from_db()
    assert (facture.reste_du, facture.statut) == (D("0.00"), Statut.PAYEE)
    assert second.montant_non_affecte == D("300.00")


def test_one_payment_for_several_invoices(client_a):
    f1, f2 = _facture(client_a, "F-1"), _facture(client_a, "F-2", ht="500.00", tva="100.00")
    paiement = paiement_create(client=client_a, montant=D("1800.00"), date_paiement=datetime.date(2026, 10, 5))
    lettrage_create(facture=f1, paiement=paiement, montant=D("1200.00"))
    lettrage_create(facture=f2, paiement=paiement, montant=D("600.00"))
    assert set(Facture.objects.values_list("statut", flat=True)) == {Statut.PAYEE}
    paiement.refresh_from_db()
    assert paiement.montant_non_affecte == D("0.00")


def test_a_credit_note_reduces_what_is_due(client_a):
    facture = _facture(client_a)
    avoir = _facture(client_a, "AV-1", ht="250.00", tva="50.00", nature=Nature.AVOIR, facture_origine=facture)
    lettrage_create(facture=facture, avoir=avoir, montant=D("300.00"))
    facture.refresh_from_db()
    avoir.refresh_from_db()
    assert (facture.reste_du, facture.statut) == (D("900.00"), Statut.PARTIELLEMENT_PAYEE)
    assert (avoir.reste_du, avoir.statut) == (D("0.00"), Statut.PAYEE)


def test_undoing_an_allocation_restores_both_sides(client_a):
    facture = _facture(client_a)
    paiement = paiement_create(client=client_a, montant=D("1200.00"), date_paiement=datetime.date(2026, 10, 5))
    lettrage = lettrage_create(facture=facture, paiement=paiement, montant=D("1200.00"))
    lettrage_annuler(lettrage=lettrage)
    facture.refresh_from_db()
    paiement.refresh_from_db()
    assert (facture.reste_du, facture.statut) == (D("1200.00"), Statut.OUVERTE)
    assert paiement.montant_non_affecte == D("1200.00")
    assert Lettrage.objects.get().annule_le is not None
    lettrage_annuler(lettrage=lettrage)  # idempotent
    facture.refresh_from_db()
    assert facture.reste_du == D("1200.00")


@pytest.mark.parametrize(
    ("montant", "code"),
    [(D("1200.01"), "depasse_reste_du"), (D("0"), "montant_invalide"), (D("10.001"), "montant_invalide")],
)
def test_over_or_malformed_allocations_are_refused(client_a, montant, code):
    facture = _facture(client_a)
    paiement = paiement_create(client=client_a, montant=D("5000.00"), date_paiement=datetime.date(2026, 10, 5))
    with pytest.raises(ApplicationError) as error:
        lettrage_create(facture=facture, paiement=paiement, montant=montant)
    assert error.value.code == code
    facture.refresh_from_db()
    assert facture.reste_du == D("1200.00")


def test_a_payment_cannot_be_spent_twice(client_a):
    f1, f2 = _facture(client_a, "F-1"), _facture(client_a, "F-2")
    paiement = paiement_create(client=client_a, montant=D("1500.00"), date_paiement=datetime.date(2026, 10, 5))
    lettrage_create(facture=f1, paiement=paiement, montant=D("1200.00"))
    with pytest.raises(ApplicationError) as error:
        lettrage_create(facture=f2, paiement=paiement, montant=D("400.00"))
    assert error.value.code == "depasse_paiement"


def test_another_clients_payment_or_credit_note_is_refused(client_a):
    facture = _facture(client_a)
    autre = ClientFactory()
    paiement = paiement_create(client=autre, montant=D("100.00"), date_paiement=datetime.date(2026, 10, 5))
    with pytest.raises(ApplicationError, match="autre client"):
        lettrage_create(facture=facture, paiement=paiement, montant=D("100.00"))


def test_a_cancelled_invoice_takes_no_allocation_and_needs_none_to_be_cancelled(client_a):
    facture = _facture(client_a)
    paiement = paiement_create(client=client_a, montant=D("100.00"), date_paiement=datetime.date(2026, 10, 5))
    lettrage = lettrage_create(facture=facture, paiement=paiement, montant=D("100.00"))
    with pytest.raises(ApplicationError):
        facture_annuler(facture=facture)
    lettrage_annuler(lettrage=lettrage)
    facture_annuler(facture=facture)
    with pytest.raises(ApplicationError):
        lettrage_create(facture=facture, paiement=paiement, montant=D("10.00"))


@pytest.mark.parametrize(
    ("fields", "field_in_error"),
    [
        ({"montant_ttc": D("1300.00")}, "montant_ttc"),
        ({"date_echeance": datetime.date(2026, 8, 1)}, "date_echeance"),
        ({"support_paiement": "affacturage"}, "affactureur"),
    ],
)
def test_invoice_rules_are_reported_on_the_field(client_a, fields, field_in_error):
    with pytest.raises(ValidationError) as error:
        _facture(client_a, **fields)
    assert field_in_error in error.value.message_dict
    assert not Facture.objects.exists()


def test_the_invoice_number_is_unique_per_organisation(tenant_a, tenant_b):
    with tenant_a.scope():
        _facture(ClientFactory(), "F-1")
        with pytest.raises(ValidationError) as error:
            _facture(ClientFactory(), "F-1")
        assert "numero" in error.value.message_dict
    with tenant_b.scope():
        assert _facture(ClientFactory(), "F-1").pk


def test_the_database_keeps_remaining_due_consistent(client_a):
    facture = _facture(client_a)
    for values in ({"reste_du": D("-1")}, {"reste_du": D("1300")}, {"statut": Statut.PAYEE}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Facture.objects.filter(pk=facture.pk).update(**values)


@pytest.mark.django_db(transaction=True)
def test_concurrent_allocations_never_over_allocate(tenant_a):
    """Two workers allocate 800 € each to a 1 200 € invoice at the same moment: one wins."""
    with tenant_a.scope():
        client = ClientFactory()
        facture = _facture(client)
        paiements = [
            paiement_create(client=client, montant=D("800.00"), date_paiement=datetime.date(2026, 10, 5))
            for _ in range(2)
        ]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def allocate(paiement: Paiement) -> None:
        try:
            with organisation_scope(tenant_a.organisation), transaction.atomic():
                barrier.wait(timeout=10)
                lettrage_create(facture=facture, paiement=paiement, montant=D("800.00"))
            outcomes.append("ok")
        except ApplicationError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=allocate, args=(p,)) for p in paiements]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["depasse_reste_du", "ok"]
    with tenant_a.scope():
        facture.refresh_from_db()
        assert facture.reste_du == D("400.00")
        assert Lettrage.objects.filter(annule_le__isnull=True).count() == 1
