"""The owner's e-mails: on assignment, and SLA reminders near and past the due date, each
sent once per dispute and kind to a real SMTP server, whatever the number of runs."""

from __future__ import annotations

import datetime
import time
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from litiges.models import Litige
from litiges.services import litige_ouvrir, litige_parametres_enregistrer, litige_statut_changer, litige_suivi_modifier
from litiges.tasks import litige_affectation_notifier, litiges_rappels_envoyer, litiges_rappels_ordonnancer
from recouvrement.tenancy.models import Role
from tests.factories import MembreFactory, UserFactory
from tests.smtp import ServeurSMTP, texte
from tests.worker import Worker, attendre, env_du_worker

UTC = datetime.UTC


def _a(jour: datetime.date, heure: int = 9):
    return time_machine.travel(datetime.datetime(jour.year, jour.month, jour.day, heure, tzinfo=UTC), tick=False)


@pytest.fixture
def dossier(relances):
    """A dispute on two invoices of « Métallerie Durand », owned by Paul Martin, due 10/12/2026."""
    r = relances
    with r.tenant.scope():
        responsable = MembreFactory(
            role=Role.CHARGE, user=UserFactory(first_name="Paul", last_name="Martin", email="paul.martin@alpha.example")
        )
        client = r.client(raison_sociale="Métallerie Durand")
        f1 = r.facture(client, echeance=datetime.date(2026, 10, 15), ttc="1200.00", numero="FA-2001")
        f2 = r.facture(client, echeance=datetime.date(2026, 10, 30), ttc="480.00", numero="FA-2002")
        litige = litige_ouvrir(
            client=client,
            factures=[(f1, Decimal("300.00")), (f2, None)],
            type="livraison",
            description="Livraison incomplète",
            auteur=None,
            echeance=datetime.date(2026, 12, 10),
        )
    return r, litige, responsable


def _rappels(r, jour: datetime.date) -> dict:
    with _a(jour):
        return litiges_rappels_envoyer.apply(kwargs={"organisation_id": r.tenant.organisation.pk}).get()


def test_sla_reminders_near_then_past_each_sent_once(dossier, smtp):
    r, litige, responsable = dossier
    with r.tenant.scope():
        litige_suivi_modifier(litige=litige, responsable=responsable, echeance=litige.echeance, auteur=None)
    # Default lead time: 2 days. On 7/12 nothing is due; on 8/12 the « near » reminder.
    assert _rappels(r, datetime.date(2026, 12, 7)) == {"proche": 0, "depasse": 0}
    assert _rappels(r, datetime.date(2026, 12, 8)) == {"proche": 1, "depasse": 0}
    assert _rappels(r, datetime.date(2026, 12, 8)) == {"proche": 0, "depasse": 0}  # the job runs again
    assert _rappels(r, datetime.date(2026, 12, 10)) == {"proche": 0, "depasse": 0}  # due today: not past yet
    assert _rappels(r, datetime.date(2026, 12, 11)) == {"proche": 0, "depasse": 1}
    assert _rappels(r, datetime.date(2026, 12, 12)) == {"proche": 0, "depasse": 0}

    boite = smtp.boite
    assert [str(m["Subject"]) for m in boite.messages] == [
        "Rappel : litige Métallerie Durand à résoudre avant le 10/12/2026",
        "Litige en retard : Métallerie Durand (échéance du 10/12/2026 dépassée)",
    ]
    assert boite.enveloppes == [["paul.martin@alpha.example"], ["paul.martin@alpha.example"]]
    proche, depasse = (texte(m) for m in boite.messages)
    assert "à résoudre avant le 10/12/2026, dans 2 jours." in proche
    assert "il a 1 jour de retard." in depasse
    for corps in (proche, depasse):
        assert "- FA-2001 (échéance 15/10/2026) : 300,00\u00a0€ contestés, reste dû 1\xa0200,00\u00a0€" in corps
        assert "- FA-2002 (échéance 30/10/2026) : 480,00\u00a0€ contestés" in corps
        assert "Total contesté : 780,00\u00a0€" in corps
        assert f"http://localhost:8000{reverse('litiges:detail', args=[litige.pk])}" in corps


def test_a_new_due_date_makes_the_reminders_due_again_and_resolved_disputes_get_none(dossier, smtp):
    r, litige, _responsable = dossier
    with r.tenant.scope():
        litige_parametres_enregistrer(delais={}, rappel_jours_avant=5)
    assert _rappels(r, datetime.date(2026, 12, 5)) == {"proche": 1, "depasse": 0}
    with r.tenant.scope():
        litige_suivi_modifier(litige=litige, responsable=None, echeance=datetime.date(2026, 12, 20), auteur=None)
    assert _rappels(r, datetime.date(2026, 12, 6)) == {"proche": 0, "depasse": 0}
    assert _rappels(r, datetime.date(2026, 12, 15)) == {"proche": 1, "depasse": 0}
    with r.tenant.scope():
        litige_statut_changer(litige=litige, statut="resolu_rejete", auteur=None)
    assert _rappels(r, datetime.date(2026, 12, 21)) == {"proche": 0, "depasse": 0}
    assert len(smtp.boite.messages) == 2


def test_without_an_owner_the_default_credit_manager_is_reminded_else_the_admins(dossier, smtp):
    r, _litige, _responsable = dossier
    assert _rappels(r, datetime.date(2026, 12, 9)) == {"proche": 1, "depasse": 0}
    assert smtp.boite.enveloppes[-1] == [r.charge.user.email]
    with r.tenant.scope():
        r.parametres.charge_par_defaut = None
        r.parametres.save()
    assert _rappels(r, datetime.date(2026, 12, 11)) == {"proche": 0, "depasse": 1}
    assert smtp.boite.enveloppes[-1] == [r.tenant.admin.email]


def test_the_beat_job_walks_the_organisations_with_reminders_pending(dossier, tenant_b):
    _r, _litige, _responsable = dossier
    with tenant_b.scope():
        assert not Litige.objects.exists()
    assert litiges_rappels_ordonnancer.apply().get() == 1


def test_assignment_email_goes_once_to_the_new_owner(dossier, smtp):
    r, litige, responsable = dossier
    organisation_id = r.tenant.organisation.pk
    with r.tenant.scope():
        litige_suivi_modifier(litige=litige, responsable=responsable, echeance=litige.echeance, auteur=None)
    with _a(datetime.date(2026, 11, 27)):
        assert litige_affectation_notifier.apply(
            kwargs={"organisation_id": organisation_id, "litige_id": litige.pk}
        ).get()
        # Celery delivers it again (acks_late, a worker restarted): nothing more is sent.
        assert not litige_affectation_notifier.apply(
            kwargs={"organisation_id": organisation_id, "litige_id": litige.pk}
        ).get()
    (message,) = smtp.boite.messages
    assert str(message["Subject"]) == "Litige à traiter : Métallerie Durand — Livraison"
    assert smtp.boite.enveloppes == [["paul.martin@alpha.example"]]
    corps = texte(message)
    assert "Un litige vous est confié : Métallerie Durand — Livraison." in corps
    assert "À résoudre avant le : 10/12/2026" in corps
    assert "Description : Livraison incomplète" in corps
    assert "Total contesté : 780,00\u00a0€" in corps


def test_opening_and_reassigning_queue_the_assignment_email_after_commit(
    relances, django_capture_on_commit_callbacks, monkeypatch
):
    r = relances
    appels = []
    monkeypatch.setattr("litiges.tasks.litige_affectation_notifier.delay", lambda **kwargs: appels.append(kwargs))
    with r.tenant.scope():
        autre = MembreFactory(role=Role.COMMERCIAL)
        facture = r.facture(r.client(), echeance=datetime.date(2026, 11, 1))
        with django_capture_on_commit_callbacks(execute=True):
            sans = litige_ouvrir(
                client=facture.client, factures=[(facture, None)], type="prix", description="x", auteur=None
            )
        assert appels == []
        with django_capture_on_commit_callbacks(execute=True):
            avec = litige_ouvrir(
                client=facture.client,
                factures=[(facture, Decimal("1.00"))],
                type="prix",
                description="x",
                auteur=None,
                responsable=r.charge,
            )
        with django_capture_on_commit_callbacks(execute=True):
            litige_suivi_modifier(litige=sans, responsable=autre, echeance=sans.echeance, auteur=None)
        with django_capture_on_commit_callbacks(execute=True):  # the same owner again: no e-mail
            litige_suivi_modifier(litige=sans, responsable=autre, echeance=sans.echeance, auteur=None)
        with django_capture_on_commit_callbacks(execute=True):  # opened for himself: no e-mail
            litige_ouvrir(
                client=facture.client,
                factures=[(facture, Decimal("2.00"))],
                type="prix",
                description="x",
                auteur=r.charge.user,
                responsable=r.charge,
            )
    organisation_id = r.tenant.organisation.pk
    assert appels == [
        {"organisation_id": organisation_id, "litige_id": avec.pk},
        {"organisation_id": organisation_id, "litige_id": sans.pk},
    ]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_each_sla_reminder_once(relances, tmp_path, file_isolee):
    """Beat's job run three times through a real worker and SMTP server: one « near » and one
    « past » reminder, no more."""
    r = relances
    aujourd_hui = timezone.localdate()
    with r.tenant.scope():
        client = r.client(raison_sociale="Scierie Vidal")
        facture = r.facture(client, echeance=aujourd_hui - 40 * datetime.timedelta(days=1))
        for echeance in (aujourd_hui + datetime.timedelta(days=1), aujourd_hui - datetime.timedelta(days=1)):
            litige_ouvrir(
                client=client,
                factures=[(facture, Decimal("10.00"))],
                type="prix",
                description="Prix",
                auteur=None,
                echeance=echeance,
            )
    with ServeurSMTP() as smtp:
        env = env_du_worker(SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp.port), CELERY_TASK_DEFAULT_QUEUE=file_isolee)
        with Worker(env=env, journal=tmp_path / "worker.log", queues=file_isolee) as worker:
            for _fois in range(3):
                litiges_rappels_ordonnancer.delay()
            attendre(lambda: len(smtp.boite.messages) >= 2, worker=worker, message="two reminders")

            def tout_reserve() -> bool:
                with r.tenant.scope():
                    return not Litige.objects.filter(
                        rappel_proche_envoye_le__isnull=True, rappel_depasse_envoye_le__isnull=True
                    ).exists()

            attendre(tout_reserve, worker=worker, message="claims recorded")
            litiges_rappels_ordonnancer.delay()
            time.sleep(3)  # time for a fourth run to (not) send
        sujets = sorted(str(m["Subject"]) for m in smtp.boite.messages)
    assert len(sujets) == 2, sujets
    assert sujets[0].startswith("Litige en retard : Scierie Vidal")
    assert sujets[1].startswith("Rappel : litige Scierie Vidal à résoudre avant le")
    assert smtp.boite.enveloppes == [[r.charge.user.email]] * 2
