"""Helpers of the digest tests: the week under test is ISO 2026-W47, Monday 16 to
Sunday 22 November 2026, in the organisation's time zone (Europe/Paris, UTC+1)."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

from factures.models import Facture, Nature
from factures.services import lettrage_create
from synthese.selectors import Semaine
from tests.factories import FactureFactory, PaiementFactory

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
LUNDI = datetime.date(2026, 11, 16)


def paris(annee: int, mois: int, jour: int, heure: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(annee, mois, jour, heure, minute, tzinfo=PARIS)


SEMAINE = Semaine(lundi=LUNDI, fuseau="Europe/Paris")


def facture(client, *, emission: datetime.date, echeance: datetime.date, ttc: str, **extra) -> Facture:
    montant = Decimal(ttc)
    ht = (montant / Decimal("1.2")).quantize(Decimal("0.01"))
    return FactureFactory(
        client=client,
        date_emission=emission,
        date_echeance=echeance,
        montant_ht=ht,
        montant_tva=montant - ht,
        montant_ttc=montant,
        **extra,
    )


def avoir(client, *, emission: datetime.date, ttc: str) -> Facture:
    return facture(client, emission=emission, echeance=emission, ttc=ttc, nature=Nature.AVOIR)


def payer(f: Facture, montant: str, *, le: datetime.date):
    """A payment of ``montant`` on ``le`` allocated to ``f`` on the same day."""
    paiement = PaiementFactory(client=f.client, montant=Decimal(montant), date_paiement=le)
    return lettrage_create(facture=f, paiement=paiement, montant=Decimal(montant), date_lettrage=le)
