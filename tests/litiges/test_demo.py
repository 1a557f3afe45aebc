"""The demo's disputes: one in progress, one past its SLA, one resolved by a credit note."""

from __future__ import annotations

import datetime
from decimal import Decimal

from factures.models import Facture, Nature, Statut
from litiges.demo import litiges_demo_creer
from tableau.selectors import litiges_ouverts

JEUDI = datetime.date(2026, 11, 26)
J = datetime.timedelta(days=1)


def test_demo_disputes(scope_relances):
    r = scope_relances
    factures = [r.facture(r.client(), echeance=JEUDI - (40 - i) * J, ttc="1000.00") for i in range(4)]
    en_cours, en_retard, resolu = litiges_demo_creer(aujourd_hui=JEUDI, responsable=r.charge)
    assert (en_cours.statut, en_retard.statut, resolu.statut) == ("en_cours", "ouvert", "resolu_avoir")
    assert [litige.client_id for litige in (en_cours, en_retard, resolu)] == [f.client_id for f in factures[:3]]
    assert en_cours.commentaires.count() == 1
    factures[2].refresh_from_db()
    assert (factures[2].reste_du, factures[2].statut) == (Decimal("750.00"), Statut.PARTIELLEMENT_PAYEE)
    assert Facture.objects.get(nature=Nature.AVOIR).montant_ttc == Decimal("250.00")
    bloc = litiges_ouverts(aujourd_hui=JEUDI)
    assert (bloc.nombre, bloc.en_retard) == (2, 1)
