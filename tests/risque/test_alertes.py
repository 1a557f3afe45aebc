"""Credit-limit alerts: raised once, e-mailed once to the commercial and the credit
manager, ended when the outstanding is back under the limit; the dashboard's piece."""

from __future__ import annotations

import datetime
import smtplib
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from factures.services import lettrage_create
from recouvrement.tenancy.models import Role
from relances.models import ParametresRelance
from risque.models import AlertePlafond
from risque.selectors import depassements_plafond
from risque.services import alerte_notifier, client_risque_recalculer, scores_calculer
from risque.tasks import alerte_notifier_tache
from tests.factories import ClientFactory, MembreFactory, PaiementFactory
from tests.risque.conftest import AUJOURD_HUI, facture
from tests.smtp import texte

pytestmark = pytest.mark.django_db


@pytest.fixture
def au_dela(histoires):
    """Histories computed once: "Au-delà" (12 000 for a 10 000 limit) has an alert; the default
    credit manager is set."""
    with histoires.tenant.scope():
        ParametresRelance.objects.create(charge_par_defaut=histoires.charge)
        MembreFactory(role=Role.CHARGE)  # not the default one: not told
        scores_calculer(aujourd_hui=AUJOURD_HUI)
    return histoires


def test_an_alert_is_raised_once(au_dela):
    with au_dela.tenant.scope():
        alerte = AlertePlafond.objects.get()
        assert (alerte.client_id, alerte.encours, alerte.plafond, alerte.terminee_le) == (
            au_dela.au_dela.pk,
            Decimal("12000.00"),
            Decimal("10000.00"),
            None,
        )
        assert alerte.depassement == Decimal("2000.00")
        assert scores_calculer(aujourd_hui=AUJOURD_HUI).alertes_levees == 0
        assert client_risque_recalculer(client=au_dela.au_dela, aujourd_hui=AUJOURD_HUI).alertes_levees == 0
        assert AlertePlafond.objects.count() == 1


def test_the_email_goes_once_to_the_commercial_and_the_credit_manager(au_dela, smtp):
    with au_dela.tenant.scope():
        alerte = AlertePlafond.objects.get()
    kwargs = {"organisation_id": au_dela.tenant.organisation.pk, "alerte_id": alerte.pk}
    assert alerte_notifier_tache.apply(kwargs=kwargs).get() is True
    assert alerte_notifier_tache.apply(kwargs=kwargs).get() is False  # claimed already
    assert len(smtp.boite.messages) == 1
    message = smtp.boite.messages[0]
    assert sorted(smtp.boite.enveloppes[0]) == sorted([au_dela.commercial.user.email, au_dela.charge.user.email])
    assert message["Subject"] == "Plafond de crédit dépassé : Au-delà (2\u00a0000,00\u00a0€ au-delà)"
    corps = texte(message)
    assert "Encours : 12\u00a0000,00\u00a0€" in corps
    assert "Plafond de crédit : 10\u00a0000,00\u00a0€" in corps
    assert "Dépassement : 2\u00a0000,00\u00a0€" in corps
    assert f"http://localhost:8000/clients/{au_dela.au_dela.pk}/" in corps
    assert (
        message["Message-ID"] == f"<alerte-plafond-{au_dela.tenant.organisation.pk}-{alerte.pk}@recouvrement.localhost>"
    )
    with au_dela.tenant.scope():
        alerte.refresh_from_db()
        assert alerte.notifiee_le is not None
        assert sorted(alerte.destinataires) == sorted([au_dela.commercial.user.email, au_dela.charge.user.email])


def test_without_a_default_credit_manager_every_active_charge_is_told(histoires, smtp):
    with histoires.tenant.scope():
        autre = MembreFactory(role=Role.CHARGE)
        MembreFactory(role=Role.CHARGE, actif=False)
        histoires.au_dela.commercial = None
        histoires.au_dela.save()
        scores_calculer(aujourd_hui=AUJOURD_HUI)
        assert alerte_notifier(alerte_id=AlertePlafond.objects.get().pk) is True
    assert sorted(smtp.boite.enveloppes[0]) == sorted([histoires.charge.user.email, autre.user.email])


def test_a_refused_send_gives_the_claim_back(au_dela, smtp):
    with au_dela.tenant.scope():
        alerte = AlertePlafond.objects.get()
        smtp.boite.refuser = {au_dela.commercial.user.email, au_dela.charge.user.email}
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            alerte_notifier(alerte_id=alerte.pk)
        alerte.refresh_from_db()
        assert alerte.notifiee_le is None
        smtp.boite.refuser = set()
        assert alerte_notifier(alerte_id=alerte.pk) is True
    assert len(smtp.boite.messages) == 1


def test_the_alert_ends_when_back_under_the_limit_and_a_new_one_can_come(au_dela, smtp):
    client = au_dela.au_dela
    with au_dela.tenant.scope():
        ouverte = client.factures.get(date_echeance=datetime.date(2026, 12, 15))
        paiement = PaiementFactory(client=client, date_paiement=AUJOURD_HUI, montant=Decimal("3000.00"))
        lettrage_create(facture=ouverte, paiement=paiement, montant=Decimal("3000.00"))
        resultat = client_risque_recalculer(client=client, aujourd_hui=AUJOURD_HUI)
        assert (resultat.alertes_terminees, resultat.alertes_levees) == (1, 0)
        premiere = AlertePlafond.objects.get()
        assert premiere.terminee_le is not None
        assert depassements_plafond(limite=10).nombre == 0
        # Ended before its e-mail left: none is sent.
        assert alerte_notifier(alerte_id=premiere.pk) is False
        facture(client, echeance=datetime.date(2026, 12, 20), montant="4000.00")  # 13 000 now
        assert scores_calculer(aujourd_hui=AUJOURD_HUI).alertes_levees == 1
        assert AlertePlafond.objects.filter(terminee_le__isnull=True).get().encours == Decimal("13000.00")
        assert AlertePlafond.objects.count() == 2
    assert smtp.boite.messages == []


def test_the_dashboard_piece_counts_and_lists_the_largest_excesses_in_one_query(au_dela):
    with au_dela.tenant.scope():
        autre = ClientFactory(raison_sociale="Zèbre", plafond_credit=Decimal("0.00"))
        facture(autre, echeance=datetime.date(2026, 12, 1), montant="500.00")  # over a zero limit, no alert yet
        with CaptureQueriesContext(connection) as requetes:
            resultat = depassements_plafond(limite=1)
        assert len(requetes) == 1
        assert resultat.nombre == 2
        [premier] = resultat.clients
        assert (premier.client_id, premier.encours, premier.plafond, premier.depassement) == (
            au_dela.au_dela.pk,
            Decimal("12000.00"),
            Decimal("10000.00"),
            Decimal("2000.00"),
        )
        assert premier.depuis == AlertePlafond.objects.get().levee_le
        dernier = depassements_plafond(limite=5).clients[-1]
        assert (dernier.raison_sociale, dernier.depassement, dernier.depuis) == ("Zèbre", Decimal("500.00"), None)


def test_an_organisation_sees_only_its_alerts(au_dela, tenant_b):
    with tenant_b.scope():
        assert not AlertePlafond.objects.exists()
        assert depassements_plafond(limite=10).nombre == 0
