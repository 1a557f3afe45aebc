"""End to end: a real Celery worker on Redis plans and sends a day to a real SMTP
server; then the same with the worker killed (-9) in the middle of the batch."""

from __future__ import annotations

import datetime
import time
from collections import Counter

import pytest

from recouvrement.tenancy.context import organisation_scope
from relances.models import Envoi, StatutEnvoi
from relances.services.envoi import envoi_valider, envois_bloques
from relances.tasks import envoi_envoyer, relances_planifier
from tests.smtp import ServeurSMTP, pieces_jointes, texte
from tests.worker import Worker, attendre, env_du_worker

JEUDI = datetime.date(2026, 11, 26)
J = datetime.timedelta(days=1)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def smtp():
    with ServeurSMTP() as serveur:
        yield serveur


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def lancer(relances, worker_env, tmp_path, file_isolee):
    return Worker(env=worker_env, journal=tmp_path / "worker.log", queues=file_isolee)


def test_a_worker_plans_and_sends_a_day(relances, smtp, tmp_path, file_isolee, taux_2026_s2):
    r = relances
    with r.tenant.scope():
        a, b, c, d = (r.client(raison_sociale=nom) for nom in ("Alpha", "Bravo", "Charlie", "Delta"))
        fa = r.facture(a, echeance=JEUDI - 2 * J)
        fb = r.facture(b, echeance=JEUDI - 16 * J)
        fc = r.facture(c, echeance=JEUDI - 31 * J)
        fd = r.facture(d, echeance=JEUDI - 46 * J)
    env = env_du_worker(
        SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp.port), CELERY_TASK_DEFAULT_QUEUE=file_isolee, MEDIA_ROOT=str(tmp_path)
    )
    with lancer(r, env, tmp_path, file_isolee) as worker:
        relances_planifier.delay(organisation_id=r.tenant.organisation.pk, jour=JEUDI.isoformat())
        attendre(lambda: len(smtp.boite.messages) == 3, worker=worker, message="three e-mails")
        with organisation_scope(r.tenant.organisation):
            lettre = Envoi.objects.get(client=d)
            assert lettre.statut == StatutEnvoi.A_VALIDER  # the formal notice waits for approval
            envoi_valider(envoi=lettre, auteur=r.tenant.admin)
        envoi_envoyer.delay(organisation_id=r.tenant.organisation.pk, envoi_id=lettre.pk)
        attendre(lambda: len(smtp.boite.messages) == 4, worker=worker, message="the letter")
    recus = {m["To"].addresses[0].addr_spec.split("@")[1].split(".")[0]: m for m in smtp.boite.messages}
    par_client = {client.pk: recus[str(client.pk)] for client in (a, b, c, d)}
    # Tone and recipients per step.
    assert "Rappel" in par_client[a.pk]["Subject"]
    assert par_client[a.pk]["Cc"] is None
    assert "Relance ferme" in par_client[b.pk]["Subject"]
    assert {x.addr_spec for x in par_client[b.pk]["Cc"].addresses} == {f"achats@{b.pk}.client.example"}
    assert "Dernier rappel" in par_client[c.pk]["Subject"]
    assert r.commercial.user.email in {x.addr_spec for x in par_client[c.pk]["Cc"].addresses}
    assert "Mise en demeure" in par_client[d.pk]["Subject"]
    assert r.daf.user.email in {x.addr_spec for x in par_client[d.pk]["Cc"].addresses}
    # The invoices listed, and the letter attached.
    for client, facture in ((a, fa), (b, fb), (c, fc), (d, fd)):
        assert facture.numero in texte(par_client[client.pk])
    nom, contenu = pieces_jointes(par_client[d.pk])[0]
    assert nom.startswith("relance-")
    assert contenu.startswith(b"%PDF")
    assert smtp.boite.doublons == 0


class BoiteLente:
    """Slows the SMTP server down so that the kill lands in the middle of the batch, and at
    the worst moment: the server has taken the message but not yet said so, so the worker
    cannot have recorded it. The resend carries the same idempotency key (Message-ID)."""

    def __init__(self, boite, delai: float) -> None:
        self.boite = boite
        self.delai = delai

    def __getattr__(self, nom):
        return getattr(self.boite, nom)

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        reponse = await self.boite.handle_DATA(server, session, envelope)
        await asyncio.sleep(self.delai)
        return reponse


def test_a_worker_killed_mid_batch_sends_every_reminder_exactly_once(relances, tmp_path, file_isolee):
    r = relances
    nombre = 30
    with r.tenant.scope():
        clients = [r.client(raison_sociale=f"Client {i:02d}") for i in range(nombre)]
        for client in clients:
            r.facture(client, echeance=JEUDI - 2 * J)
    serveur = ServeurSMTP()
    serveur.controller.handler = BoiteLente(serveur.boite, 0.15)
    with serveur:
        env = env_du_worker(
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(serveur.port),
            CELERY_TASK_DEFAULT_QUEUE=file_isolee,
            CELERY_VISIBILITY_TIMEOUT="5",
            MEDIA_ROOT=str(tmp_path),
        )
        worker = Worker(env=env, journal=tmp_path / "worker.log", queues=file_isolee)
        worker.demarrer()
        relances_planifier.delay(organisation_id=r.tenant.organisation.pk, jour=JEUDI.isoformat())
        attendre(lambda: len(serveur.boite.messages) >= 8, worker=worker, message="the batch to start")
        worker.tuer()
        recus_au_moment = len(serveur.boite.messages)
        assert recus_au_moment < nombre, "the kill must land in the middle of the batch"
        time.sleep(1)
        # A new worker; the beat's reconciliation takes the sends left "en cours".
        worker = Worker(env=env, journal=tmp_path / "worker-2.log", queues=file_isolee)
        worker.demarrer()
        try:
            with organisation_scope(r.tenant.organisation):
                for envoi_id in envois_bloques(delai=datetime.timedelta(0)):
                    envoi_envoyer.delay(organisation_id=r.tenant.organisation.pk, envoi_id=envoi_id)
            attendre(lambda: len(serveur.boite.messages) == nombre, delai=90, worker=worker, message="every reminder")
            time.sleep(7)  # let redelivered tasks (visibility timeout 5 s) run: they must send nothing
        finally:
            worker.arreter()
    destinataires = Counter(m["To"].addresses[0].addr_spec for m in serveur.boite.messages)
    assert len(destinataires) == nombre
    assert set(destinataires.values()) == {1}
    # At most the one message in flight at the kill was handed over twice, with the same key.
    print("crash:", recus_au_moment, "received at the kill,", serveur.boite.doublons, "duplicate(s)")
    assert serveur.boite.doublons <= 1
    with organisation_scope(r.tenant.organisation):
        assert set(Envoi.objects.values_list("statut", flat=True)) == {StatutEnvoi.ENVOYE}
