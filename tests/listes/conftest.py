"""A small ledger whose every figure is known, shared by the list and export tests."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from clients.models import Categorie, ClasseRisque, Client
from factures.models import Facture, Nature, Statut, SupportPaiement
from litiges.services import litige_ouvrir
from recouvrement.tenancy.models import Membre, Role
from tests.conftest import Tenant
from tests.factories import ClientFactory, FactureFactory, MembreFactory

J = datetime.timedelta(days=1)


def facture(client, *, echeance, ttc="1200.00", reste=None, statut=Statut.OUVERTE, nature=Nature.FACTURE, **extra):
    ttc_d = Decimal(ttc)
    reste_d = ttc_d if reste is None else Decimal(reste)
    if statut in (Statut.PAYEE,):
        reste_d = Decimal("0.00")
    return FactureFactory(
        client=client,
        date_emission=echeance - 30 * J,
        date_echeance=echeance,
        montant_ht=ttc_d,
        montant_tva=Decimal("0.00"),
        montant_ttc=ttc_d,
        reste_du=reste_d,
        statut=statut,
        nature=nature,
        **extra,
    )


@dataclass
class Grand:
    tenant: Tenant
    rep1: Membre
    rep2: Membre
    alpha: Client
    bravo: Client
    charlie: Client
    delta: Client
    f: dict[str, Facture]
    aujourd_hui: datetime.date


@pytest.fixture
def grand_livre(tenant_a, tenant_b) -> Grand:
    """Organisation A:

    - Alpha (rep1, ETI, A, limit 1,000): F1 1,200 due 10 days ago, F2 1,000 with 600 left due
      50 days ago (in an open dispute), credit note 100 → outstanding 1,700, overdue 1,800, 50 days late;
    - Bravo (rep2, SME, C, factor on the sheet): F3 500 due in 5 days (factored), F4 paid long ago;
    - Charlie (no rep, large account, E): F6 300 due 70 days ago, factored → 300, 70 days;
    - Delta (rep1, SIREN 732829320, external id EXT-9): F5 cancelled → nothing due.

    Organisation B has a client named "Alpha Bis" with a large invoice: never seen from A.
    """
    aujourd_hui = timezone.localdate()
    with tenant_b.scope():
        autre = ClientFactory(raison_sociale="Alpha Bis")
        facture(autre, echeance=aujourd_hui - 90 * J, ttc="99999.00")
    with tenant_a.scope():
        rep1 = MembreFactory(role=Role.COMMERCIAL)
        rep2 = MembreFactory(role=Role.COMMERCIAL)
        alpha = ClientFactory(
            raison_sociale="Alpha",
            commercial=rep1,
            categorie=Categorie.ETI,
            classe_risque=ClasseRisque.A,
            plafond_credit=Decimal("1000.00"),
        )
        bravo = ClientFactory(
            raison_sociale="Bravo",
            commercial=rep2,
            categorie=Categorie.TPE_PME,
            classe_risque=ClasseRisque.C,
            affactureur="Factor SA",
        )
        charlie = ClientFactory(
            raison_sociale="Charlie", commercial=None, categorie=Categorie.GRAND_COMPTE, classe_risque=ClasseRisque.E
        )
        delta = ClientFactory(raison_sociale="Delta", commercial=rep1, siren="732829320", external_id="EXT-9")
        f = {
            "F1": facture(alpha, echeance=aujourd_hui - 10 * J, numero="F1"),
            "F2": facture(
                alpha,
                echeance=aujourd_hui - 50 * J,
                ttc="1000.00",
                reste="600.00",
                statut=Statut.PARTIELLEMENT_PAYEE,
                numero="F2",
            ),
            "AV1": facture(alpha, echeance=aujourd_hui - 5 * J, ttc="100.00", nature=Nature.AVOIR, numero="AV1"),
            "F3": facture(
                bravo,
                echeance=aujourd_hui + 5 * J,
                ttc="500.00",
                numero="F3",
                support_paiement=SupportPaiement.AFFACTURAGE,
                affactureur="Factor SA",
            ),
            "F4": facture(bravo, echeance=aujourd_hui - 100 * J, ttc="800.00", statut=Statut.PAYEE, numero="F4"),
            "F5": facture(delta, echeance=aujourd_hui - 20 * J, ttc="700.00", statut=Statut.ANNULEE, numero="F5"),
            "F6": facture(
                charlie,
                echeance=aujourd_hui - 70 * J,
                ttc="300.00",
                numero="F6",
                support_paiement=SupportPaiement.AFFACTURAGE,
                affactureur="Factor SA",
            ),
        }
        litige_ouvrir(client=alpha, factures=[(f["F2"], None)], type="prix", description="Prix contesté", auteur=None)
    return Grand(tenant_a, rep1, rep2, alpha, bravo, charlie, delta, f, aujourd_hui)
