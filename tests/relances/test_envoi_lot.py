"""Sending by batches (``envois_executer``), to a real SMTP server on loopback: one
connection per batch, one failure does not lose nor duplicate the others, a
transient error stops the batch cleanly, and the queries do not grow with it."""

from __future__ import annotations

import datetime
import smtplib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.models import Evenement
from relances.models import Envoi, Relance, StatutEnvoi, StatutRelance, Tache, TypeTache
from relances.services.envoi import envoi_executer, envoi_valider, envois_executer, envois_reserver
from relances.services.pauses import pause_create
from relances.services.planification import organisation_planifier
from tests.smtp import Boite, ServeurSMTP

JEUDI = datetime.date(2026, 11, 26)
J = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path, taux_2026_s2):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def connexions(monkeypatch):
    """How many SMTP connections were opened."""
    ouvertes = []
    connect = smtplib.SMTP.connect

    def compter(self, *args, **kwargs):
        ouvertes.append(args)
        return connect(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "connect", compter)
    return ouvertes


def clients_en_retard(r, nombre):
    clients = [r.client(raison_sociale=f"Client {i:02d}") for i in range(nombre)]
    for client in clients:
        r.facture(client, echeance=JEUDI - 2 * J)
    organisation_planifier(jour=JEUDI)
    return clients


def destinataire(message) -> str:
    return message["To"].addresses[0].addr_spec


def test_a_batch_sends_every_email_once_over_one_connection(scope_relances, smtp, connexions):
    r = scope_relances
    clients = clients_en_retard(r, 4)
    ids = envois_reserver(jour=JEUDI)
    lot = envois_executer(envoi_ids=ids, jour=JEUDI)
    assert (lot.a_part, lot.a_reessayer) == ([], [])
    assert {e.statut for e in lot.envois} == {StatutEnvoi.ENVOYE}
    assert sorted(destinataire(m) for m in smtp.boite.messages) == sorted(
        f"compta@{c.pk}.client.example" for c in clients
    )
    assert len(connexions) == 1
    envois = Envoi.objects.filter(pk__in=ids)
    assert all(e.message_id == f"<{e.cle_idempotence}@recouvrement.localhost>" for e in envois)
    assert all(e.tentatives == 1 and e.envoye_le is not None for e in envois)
    assert set(Relance.objects.values_list("statut", flat=True)) == {StatutRelance.ENVOYEE}
    assert Evenement.objects.filter(type="relance.envoyee").count() == 4


def test_a_batch_sends_the_same_message_as_one_by_one(scope_relances, smtp):
    r = scope_relances
    client = r.client()
    r.facture(client, echeance=JEUDI - 16 * J, ttc="240.00")
    organisation_planifier(jour=JEUDI)
    envois_executer(envoi_ids=envois_reserver(jour=JEUDI), jour=JEUDI)
    envoi = Envoi.objects.get()
    (message,) = smtp.boite.messages
    assert message["Subject"].startswith("[fr] Relance ferme")
    assert [a.addr_spec for a in message["Cc"].addresses] == [f"achats@{client.pk}.client.example"]
    assert message["Reply-To"].addresses[0].addr_spec == r.charge.user.email
    # What a retry would send: the content is kept on the row.
    assert (envoi.sujet, envoi.destinataires["a"]) == (str(message["Subject"]), [str(message["To"])])


def test_sending_a_batch_again_sends_nothing(scope_relances, smtp):
    r = scope_relances
    clients_en_retard(r, 3)
    ids = envois_reserver(jour=JEUDI)
    envois_executer(envoi_ids=ids, jour=JEUDI)
    again = envois_executer(envoi_ids=ids, jour=JEUDI)
    assert {e.statut for e in again.envois} == {StatutEnvoi.ENVOYE}
    assert len(smtp.boite.messages) == 3
    assert smtp.boite.doublons == 0
    assert Evenement.objects.filter(type="relance.envoyee").count() == 3


def test_a_refused_message_fails_alone_and_the_others_go_once(scope_relances, smtp, connexions):
    r = scope_relances
    a, b, c = clients_en_retard(r, 3)
    smtp.boite.refuser.add(f"compta@{b.pk}.client.example")
    ids = envois_reserver(jour=JEUDI)
    lot = envois_executer(envoi_ids=ids, jour=JEUDI)
    statuts = {e.client_id: e.statut for e in Envoi.objects.all()}
    assert statuts == {a.pk: StatutEnvoi.ENVOYE, b.pk: StatutEnvoi.ECHEC, c.pk: StatutEnvoi.ENVOYE}
    assert {e.client_id: e.statut for e in lot.envois} == statuts
    assert sorted(destinataire(m) for m in smtp.boite.messages) == [
        f"compta@{a.pk}.client.example",
        f"compta@{c.pk}.client.example",
    ]
    assert Tache.objects.get(type=TypeTache.ECHEC_ENVOI).client_id == b.pk
    assert Relance.objects.get(client=b).statut == StatutRelance.ECHEC
    assert (lot.a_part, lot.a_reessayer) == ([], [])
    assert len(connexions) == 2  # a fresh session after the refusal
    # Run again (a redelivered task): nothing more goes.
    envois_executer(envoi_ids=ids, jour=JEUDI)
    assert len(smtp.boite.messages) == 2
    assert smtp.boite.doublons == 0


class BoitePassagere(Boite):
    """Answers 451 (try again later) to the DATA of the messages for ``en_panne``."""

    en_panne: set[str]

    async def handle_DATA(self, server, session, envelope):
        if any(adresse in self.en_panne for adresse in envelope.rcpt_tos):
            return "451 4.3.0 Essayez plus tard"
        return await super().handle_DATA(server, session, envelope)


def test_a_transient_error_stops_the_batch_and_the_rest_goes_later_once(scope_relances, settings):
    r = scope_relances
    a, b, c = clients_en_retard(r, 3)
    serveur = ServeurSMTP()
    serveur.boite = serveur.controller.handler = BoitePassagere()
    serveur.boite.en_panne = {f"compta@{b.pk}.client.example"}
    settings.MAILERS = serveur.mailers
    with serveur:
        ids = envois_reserver(jour=JEUDI)
        lot = envois_executer(envoi_ids=ids, jour=JEUDI)
        par_client = {e.client_id: e for e in Envoi.objects.all()}
        assert par_client[a.pk].statut == StatutEnvoi.ENVOYE
        assert lot.a_reessayer == [par_client[b.pk].pk, par_client[c.pk].pk]
        assert "451" in lot.erreur
        for client in (b, c):
            assert par_client[client.pk].statut == StatutEnvoi.EN_COURS
            assert par_client[client.pk].sujet, "rendered once, kept for the retry"
        assert par_client[b.pk].erreur
        assert [destinataire(m) for m in serveur.boite.messages] == [f"compta@{a.pk}.client.example"]
        # The server recovers; the one-by-one task retries what the batch left.
        serveur.boite.en_panne = set()
        for envoi_id in lot.a_reessayer:
            assert envoi_executer(envoi_id=envoi_id, jour=JEUDI).statut == StatutEnvoi.ENVOYE
    assert len(serveur.boite.messages) == 3
    assert serveur.boite.doublons == 0
    assert Evenement.objects.filter(type="relance.envoyee").count() == 3


def test_a_paused_client_is_withdrawn_from_the_batch_and_the_others_go(scope_relances, smtp):
    r = scope_relances
    a, b = clients_en_retard(r, 2)
    ids = envois_reserver(jour=JEUDI)
    # Paused after the claim: the send is already "en cours", the reminder is checked at send time.
    pause_create(motif="manuelle", client=b)
    envois_executer(envoi_ids=ids, jour=JEUDI)
    statuts = {e.client_id: e.statut for e in Envoi.objects.all()}
    assert statuts == {a.pk: StatutEnvoi.ENVOYE, b.pk: StatutEnvoi.ANNULE}
    assert [destinataire(m) for m in smtp.boite.messages] == [f"compta@{a.pk}.client.example"]


def test_a_letter_is_left_to_the_one_by_one_task(scope_relances, smtp):
    r = scope_relances
    clients_en_retard(r, 1)
    r.facture(r.client(), echeance=JEUDI - 50 * J)
    organisation_planifier(jour=JEUDI)
    envoi_valider(envoi=Envoi.objects.get(statut=StatutEnvoi.A_VALIDER), auteur=r.tenant.admin)
    lot = envois_executer(envoi_ids=envois_reserver(jour=JEUDI), jour=JEUDI)
    lettre = Envoi.objects.get(canal="courrier")
    assert lot.a_part == [lettre.pk]
    assert (lettre.statut, lettre.tentatives, lettre.sujet) == (StatutEnvoi.EN_COURS, 0, "")
    assert envoi_executer(envoi_id=lettre.pk, jour=JEUDI).statut == StatutEnvoi.ENVOYE
    assert len(smtp.boite.messages) == 2


def requetes_du_lot(r, nombre) -> tuple[int, int]:
    """(queries of the batch, sends in it) for ``nombre`` new clients, the first with three invoices."""
    for envoi in Envoi.objects.filter(statut=StatutEnvoi.PRET):
        envoi_executer(envoi_id=envoi.pk, jour=JEUDI)
    clients = [r.client() for _ in range(nombre)]
    for client in clients:
        r.facture(client, echeance=JEUDI - 2 * J)
    r.facture(clients[0], echeance=JEUDI - 3 * J)
    r.facture(clients[0], echeance=JEUDI - 9 * J)
    organisation_planifier(jour=JEUDI)
    ids = envois_reserver(jour=JEUDI)
    with CaptureQueriesContext(connection) as requetes:
        lot = envois_executer(envoi_ids=ids, jour=JEUDI)
    assert {e.statut for e in lot.envois} == {StatutEnvoi.ENVOYE}
    # The test's own transaction turns each commit into savepoints: not statements of the service.
    return len([q for q in requetes if "SAVEPOINT" not in q["sql"]]), len(ids)


def test_the_queries_of_a_batch_do_not_grow_with_its_size(scope_relances, smtp):
    r = scope_relances
    petit, n_petit = requetes_du_lot(r, 2)
    grand, n_grand = requetes_du_lot(r, 7)
    assert (n_petit, n_grand) == (2, 7)
    # Loading, checking and rendering: a fixed number of queries per batch. Recording:
    # two per message (the send with its reminders, its event), committed before the next
    # hand-over so that a crash leaves at most one message unrecorded.
    par_message = 2
    assert grand - petit == (n_grand - n_petit) * par_message
    assert petit - n_petit * par_message == 14
