"""Hand-built payment histories for the risk score tests.

The day is Friday 27 November 2026 (Paris): the 12 months observed start on
27 November 2025, the last 3 months on 27 August 2026.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

import pytest
import time_machine

from clients.models import Client
from factures.models import Facture, Statut
from factures.services import lettrage_create
from litiges.models import Litige
from recouvrement.tenancy.models import Membre, Role
from relances.models import Promesse
from tests.conftest import Tenant
from tests.factories import ClientFactory, FactureFactory, MembreFactory, PaiementFactory

AUJOURD_HUI = datetime.date(2026, 11, 27)
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
MAINTENANT = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=PARIS)


@pytest.fixture
def jour_fixe():
    with time_machine.travel(MAINTENANT, tick=False):
        yield AUJOURD_HUI


def facture(client: Client, *, echeance: datetime.date, montant: str, **extra) -> Facture:
    """An open invoice of ``montant`` (TTC, no VAT to keep the figures plain), issued 30 days before its due date."""
    valeur = Decimal(montant)
    return FactureFactory(
        client=client,
        date_emission=echeance - datetime.timedelta(days=30),
        date_echeance=echeance,
        montant_ht=valeur,
        montant_tva=Decimal("0.00"),
        montant_ttc=valeur,
        **extra,
    )


def facture_payee(client: Client, *, echeance: datetime.date, paye_le: datetime.date, montant: str) -> Facture:
    """An invoice settled in full by one payment dated ``paye_le``."""
    piece = facture(client, echeance=echeance, montant=montant)
    paiement = PaiementFactory(client=client, date_paiement=paye_le, montant=Decimal(montant))
    lettrage_create(facture=piece, paiement=paiement, montant=Decimal(montant))
    piece.refresh_from_db()
    assert piece.statut == Statut.PAYEE
    return piece


def litige(client: Client, *, le: datetime.datetime) -> Litige:
    piece = Litige.objects.create(client=client, type="prix", description="Prix contesté")
    Litige.objects.filter(pk=piece.pk).update(created_at=le)
    return piece


def promesse(client: Client, *, date: datetime.date, statut: str, facture: Facture | None = None) -> Promesse:
    return Promesse.objects.create(
        client=client, facture=facture, montant=Decimal("100.00"), date_promise=date, statut=statut
    )


@dataclass
class Histoires:
    """Six clients of organisation A (see ``histoires``), and the people told of alerts."""

    tenant: Tenant
    ponctuel: Client
    retardataire: Client
    degradation: Client
    litigieux: Client
    au_dela: Client
    nouveau: Client
    commercial: Membre
    autre_commercial: Membre
    charge: Membre


@pytest.fixture
def histoires(tenant_a, jour_fixe) -> Histoires:
    with tenant_a.scope():
        commercial = MembreFactory(role=Role.COMMERCIAL)
        autre_commercial = MembreFactory(role=Role.COMMERCIAL)
        charge = MembreFactory(role=Role.CHARGE)
        d = datetime.date

        # Always on time (one invoice late but settled before the 12 months: not observed;
        # one cancelled invoice: never observed).
        ponctuel = ClientFactory(raison_sociale="Ponctuel", date_debut_relation=d(2022, 1, 1), commercial=commercial)
        facture_payee(ponctuel, echeance=d(2025, 6, 1), paye_le=d(2025, 9, 1), montant="9000.00")
        facture_payee(ponctuel, echeance=d(2026, 2, 15), paye_le=d(2026, 2, 15), montant="1000.00")
        facture_payee(ponctuel, echeance=d(2026, 5, 15), paye_le=d(2026, 5, 10), montant="1000.00")
        facture_payee(ponctuel, echeance=d(2026, 9, 15), paye_le=d(2026, 9, 15), montant="1000.00")
        facture_payee(ponctuel, echeance=d(2026, 10, 15), paye_le=d(2026, 10, 1), montant="1000.00")
        facture(
            ponctuel,
            echeance=d(2026, 7, 1),
            montant="5000.00",
            statut=Statut.ANNULEE,
        )

        # Often late, by big amounts.
        retardataire = ClientFactory(
            raison_sociale="Retardataire", date_debut_relation=d(2024, 11, 27), commercial=commercial
        )
        facture_payee(retardataire, echeance=d(2026, 3, 1), paye_le=d(2026, 4, 30), montant="10000.00")  # 60 days
        facture_payee(retardataire, echeance=d(2026, 5, 1), paye_le=d(2026, 5, 21), montant="2000.00")  # 20 days
        facture_payee(retardataire, echeance=d(2026, 9, 1), paye_le=d(2026, 10, 31), montant="10000.00")  # 60 days
        facture_payee(retardataire, echeance=d(2026, 10, 1), paye_le=d(2026, 10, 1), montant="2000.00")  # on time

        # Used to pay on time, worse and worse lately.
        degradation = ClientFactory(
            raison_sociale="Dégradation", date_debut_relation=d(2020, 1, 1), commercial=autre_commercial
        )
        facture_payee(degradation, echeance=d(2026, 1, 15), paye_le=d(2026, 1, 15), montant="5000.00")  # 0
        facture_payee(degradation, echeance=d(2026, 4, 15), paye_le=d(2026, 4, 20), montant="5000.00")  # 5
        facture_payee(degradation, echeance=d(2026, 9, 15), paye_le=d(2026, 10, 25), montant="5000.00")  # 40
        facture(degradation, echeance=d(2026, 10, 15), montant="5000.00")  # open: 43 days

        # Disputes and broken promises.
        litigieux = ClientFactory(raison_sociale="Litigieux", date_debut_relation=d(2023, 6, 1), commercial=commercial)
        facture_payee(litigieux, echeance=d(2026, 2, 1), paye_le=d(2026, 2, 11), montant="3000.00")  # 10
        facture_payee(litigieux, echeance=d(2026, 6, 1), paye_le=d(2026, 6, 1), montant="3000.00")  # 0
        ouverte = facture(litigieux, echeance=d(2026, 9, 30), montant="3000.00")  # open: 58 days
        litige(litigieux, le=datetime.datetime(2026, 10, 5, 9, 0, tzinfo=PARIS))
        litige(litigieux, le=datetime.datetime(2026, 7, 1, 9, 0, tzinfo=PARIS))
        litige(litigieux, le=datetime.datetime(2025, 6, 1, 9, 0, tzinfo=PARIS))  # before the 12 months
        promesse(litigieux, date=d(2026, 10, 15), statut="rompue")
        promesse(litigieux, date=d(2026, 11, 10), statut="en_cours", facture=ouverte)  # past the 3 days of grace
        promesse(litigieux, date=d(2026, 11, 25), statut="en_cours", facture=ouverte)  # still within grace
        promesse(litigieux, date=d(2026, 8, 1), statut="tenue")
        promesse(litigieux, date=d(2025, 10, 1), statut="rompue")  # before the 12 months

        # A good payer, over its credit limit.
        au_dela = ClientFactory(
            raison_sociale="Au-delà",
            date_debut_relation=d(2025, 11, 27),
            plafond_credit=Decimal("10000.00"),
            commercial=commercial,
        )
        facture_payee(au_dela, echeance=d(2026, 6, 1), paye_le=d(2026, 5, 30), montant="2000.00")
        facture(au_dela, echeance=d(2026, 12, 15), montant="12000.00")  # not due yet

        # New: nothing due yet.
        nouveau = ClientFactory(raison_sociale="Nouveau", date_debut_relation=d(2026, 11, 1), commercial=commercial)
        facture(nouveau, echeance=d(2026, 12, 31), montant="5000.00")

    return Histoires(
        tenant=tenant_a,
        ponctuel=ponctuel,
        retardataire=retardataire,
        degradation=degradation,
        litigieux=litigieux,
        au_dela=au_dela,
        nouveau=nouveau,
        commercial=commercial,
        autre_commercial=autre_commercial,
        charge=charge,
    )
