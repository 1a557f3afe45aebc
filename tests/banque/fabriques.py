"""Rows of the banque tables for tests of other folders (isolation). Inside an organisation scope."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

from banque.models import ComptePayeur, LigneReleve, Releve
from tests.factories import ClientFactory


def releve_de_test() -> Releve:
    return Releve.objects.create(format="csv", nom_fichier="releve.csv", empreinte=uuid.uuid4().hex)


def ligne_de_test(releve: Releve | None = None) -> LigneReleve:
    return LigneReleve.objects.create(
        releve=releve or releve_de_test(),
        sens="credit",
        montant=Decimal("120.00"),
        date_operation=datetime.date(2026, 11, 20),
        libelle="VIR SEPA",
        reference_banque=f"test:{uuid.uuid4().hex}",
    )


def compte_payeur_de_test() -> ComptePayeur:
    return ComptePayeur.objects.create(client=ClientFactory(), iban=f"FR76{uuid.uuid4().int % 10**23:023d}")
