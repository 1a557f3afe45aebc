"""« A payment that settles an invoice stops its dunning at once »: the next planning skips it,
a reminder not yet sent is withdrawn when the payment is committed, and the send path skips
an invoice paid after its reminder was prepared."""

from __future__ import annotations

import datetime

from banque.services import releve_importer
from factures.models import Statut
from relances.models import Envoi, Relance, StatutEnvoi, StatutRelance
from relances.services.envoi import envoi_executer, envois_reserver
from relances.services.planification import organisation_planifier
from tests.banque.conftest import Ntry, Tx, camt
from tests.smtp import texte

JEUDI = datetime.date(2026, 11, 26)
J = datetime.timedelta(days=1)


def _payer(numero: str, montant: str, ref: str) -> None:
    releve_importer(contenu=camt([Ntry(montant, ref=ref, date="2026-11-26", tx=[Tx(ustrd=[numero])])], releve=ref))


def test_a_bank_payment_withdraws_the_pending_reminder_at_once(scope_relances, django_capture_on_commit_callbacks):
    r = scope_relances
    client = r.client()
    payee = r.facture(client, echeance=JEUDI - 2 * J)
    organisation_planifier(jour=JEUDI)
    relance = Relance.objects.get(facture=payee)
    assert relance.statut == StatutRelance.PLANIFIEE
    assert relance.envoi.statut == StatutEnvoi.PRET

    with django_capture_on_commit_callbacks(execute=True):
        _payer(payee.numero, "1200.00", "P1")

    payee.refresh_from_db()
    relance.refresh_from_db()
    assert payee.statut == Statut.PAYEE
    assert relance.statut == StatutRelance.ANNULEE
    assert Envoi.objects.get(pk=relance.envoi_id).statut == StatutEnvoi.ANNULE  # nothing left to say: not sent
    assert envois_reserver(jour=JEUDI) == []


def test_a_send_keeps_going_for_the_other_invoices_and_the_next_planning_skips_the_paid_one(
    scope_relances, django_capture_on_commit_callbacks, smtp
):
    r = scope_relances
    client = r.client()
    payee = r.facture(client, echeance=JEUDI - 2 * J)
    due = r.facture(client, echeance=JEUDI - 2 * J)
    organisation_planifier(jour=JEUDI)
    with django_capture_on_commit_callbacks(execute=True):
        _payer(payee.numero, "1200.00", "P2")
    assert Relance.objects.get(facture=payee).statut == StatutRelance.ANNULEE
    assert Relance.objects.get(facture=due).statut == StatutRelance.PLANIFIEE
    for envoi_id in envois_reserver(jour=JEUDI):
        envoi_executer(envoi_id=envoi_id, jour=JEUDI)
    (message,) = smtp.boite.messages
    assert due.numero in texte(message)
    assert payee.numero not in texte(message)
    # 20 days later the next step (« Relance ferme », J+15) is due for the open invoice only
    organisation_planifier(jour=JEUDI + 20 * J)
    assert Relance.objects.filter(facture=payee).count() == 1
    assert Relance.objects.filter(facture=due).count() == 2


def test_the_send_path_skips_an_invoice_paid_after_its_reminder_was_prepared(scope_relances, smtp):
    """Without the after-commit withdrawal (its callbacks are not run here), the send itself
    re-checks the invoices in its one query and sends nothing for the paid one."""
    r = scope_relances
    client = r.client()
    payee = r.facture(client, echeance=JEUDI - 2 * J)
    organisation_planifier(jour=JEUDI)
    _payer(payee.numero, "1200.00", "P3")
    assert Relance.objects.get(facture=payee).statut == StatutRelance.PLANIFIEE  # not yet withdrawn
    envois = [envoi_executer(envoi_id=i, jour=JEUDI) for i in envois_reserver(jour=JEUDI)]
    assert smtp.boite.messages == []
    assert [e.statut for e in envois] == [StatutEnvoi.ANNULE]
    assert Relance.objects.get(facture=payee).statut == StatutRelance.ANNULEE
