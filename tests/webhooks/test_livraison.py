"""Delivery: retries with backoff, abandon after N attempts, « renvoyer », one attempt per
claim, a lost task taken again by the scheduler, no redirect, SSRF guard, a real worker."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from factures.models import Facture
from recouvrement.tenancy.context import unscoped
from tests.factories import FactureFactory
from tests.worker import Worker, attendre, env_du_worker
from webhooks import services, transport
from webhooks.models import Livraison, StatutLivraison, Tentative
from webhooks.secrets import SecretIllisible, secret_chiffrer, secret_dechiffrer, signature
from webhooks.tasks import livraisons_reprendre_tache

DEBUT = datetime.datetime(2026, 11, 26, 9, 0, tzinfo=datetime.UTC)
S = datetime.timedelta(seconds=1)


@pytest.fixture
def en_file(monkeypatch) -> list[tuple[int, list[int]]]:
    """The task messages queued (not run): tests run the attempts themselves."""
    files: list[tuple[int, list[int]]] = []
    monkeypatch.setattr(
        "webhooks.tasks.livraisons_envoyer_tache.delay",
        lambda **kwargs: files.append((kwargs["organisation_id"], kwargs["livraison_ids"])),
    )
    return files


def _une_livraison(recepteur, evenements=("facture.payee",)) -> tuple[Livraison, str]:
    _endpoint, secret = services.endpoint_create(url=recepteur.url, evenements=list(evenements))
    (livraison,) = services.evenement_publier(type="facture.payee", facture_ids=[FactureFactory(numero="F-1").pk])
    return livraison, secret


def _reprendre() -> list[tuple[int, int]]:
    with unscoped(reason="tests: the scheduler"):
        return services.livraisons_a_reprendre()


def test_500_then_200_makes_two_attempts_the_second_after_the_backoff(scope_a, recepteur, en_file, time_machine):
    time_machine.move_to(DEBUT, tick=False)
    recepteur.repondre(500)
    livraison, secret = _une_livraison(recepteur)

    livraison = services.livraison_tenter(livraison_id=livraison.pk)
    assert (livraison.statut, livraison.tentatives, livraison.dernier_code) == (StatutLivraison.EN_ATTENTE, 1, 500)
    assert livraison.prochaine_tentative == DEBUT + 60 * S
    assert services.livraison_tenter(livraison_id=livraison.pk) is None  # not due yet
    time_machine.move_to(DEBUT + 59 * S, tick=False)
    assert _reprendre() == []

    time_machine.move_to(DEBUT + 61 * S, tick=False)
    assert _reprendre() == [(scope_a.organisation.pk, livraison.pk)]
    assert _reprendre() == []  # queued once, not every minute
    livraison = services.livraison_tenter(livraison_id=livraison.pk)
    assert (livraison.statut, livraison.tentatives, livraison.dernier_code) == (StatutLivraison.LIVREE, 2, 200)
    assert livraison.livree_le == DEBUT + 61 * S
    premiere, seconde = Tentative.objects.filter(livraison=livraison).order_by("numero")
    assert (premiere.numero, premiere.code_http, premiere.succes, premiere.debut) == (1, 500, False, DEBUT)
    assert '"code": 500' in premiere.reponse
    assert (seconde.numero, seconde.code_http, seconde.succes, seconde.debut) == (2, 200, True, DEBUT + 61 * S)
    un, deux = recepteur.requetes
    assert un.corps == deux.corps  # the same bytes, signed again at each attempt
    assert un.entetes["X-Recouvrement-Livraison"] == deux.entetes["X-Recouvrement-Livraison"] == str(livraison.pk)
    assert deux.entetes["X-Recouvrement-Signature"] == signature(
        secret=secret, horodatage=int((DEBUT + 61 * S).timestamp()), corps=deux.corps
    )


def test_abandoned_after_n_attempts_then_sent_again_by_hand(
    scope_a, recepteur, en_file, time_machine, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_DELAIS_SECONDES = [60, 300]
    time_machine.move_to(DEBUT, tick=False)
    recepteur.repondre(500, 502, 503)
    livraison, _secret = _une_livraison(recepteur)
    livraison = services.livraison_tenter(livraison_id=livraison.pk)
    assert livraison.prochaine_tentative == DEBUT + 60 * S
    time_machine.move_to(DEBUT + 60 * S, tick=False)
    livraison = services.livraison_tenter(livraison_id=livraison.pk)
    assert (livraison.statut, livraison.prochaine_tentative) == (StatutLivraison.EN_ATTENTE, DEBUT + 360 * S)
    time_machine.move_to(DEBUT + 360 * S, tick=False)
    livraison = services.livraison_tenter(livraison_id=livraison.pk)
    assert (livraison.statut, livraison.tentatives, livraison.dernier_code) == (StatutLivraison.ABANDONNEE, 3, 503)
    assert livraison.prochaine_tentative is None
    time_machine.move_to(DEBUT + 10 * 3600 * S, tick=False)
    assert _reprendre() == []
    assert len(recepteur.requetes) == 3

    with django_capture_on_commit_callbacks(execute=True):
        livraison = services.livraison_renvoyer(livraison=livraison)
    assert livraison.statut == StatutLivraison.EN_ATTENTE
    assert en_file[-1] == (scope_a.organisation.pk, [livraison.pk])
    livraison = services.livraison_tenter(livraison_id=livraison.pk)
    assert (livraison.statut, livraison.tentatives, livraison.tentatives_cycle) == (StatutLivraison.LIVREE, 4, 1)
    assert Tentative.objects.filter(livraison=livraison).count() == 4


def test_one_claim_per_attempt_and_a_dead_workers_attempt_is_taken_again(scope_a, recepteur, en_file, time_machine):
    time_machine.move_to(DEBUT, tick=False)
    livraison, _secret = _une_livraison(recepteur)
    assert services._reclamer(livraison_id=livraison.pk, maintenant=DEBUT) is True
    assert services._reclamer(livraison_id=livraison.pk, maintenant=DEBUT) is False  # a second worker gets nothing
    assert services.livraison_tenter(livraison_id=livraison.pk) is None
    # The first worker died mid-send: after the lease (120 s) and the re-queue delay (300 s).
    time_machine.move_to(DEBUT + 119 * S, tick=False)
    assert services.livraison_tenter(livraison_id=livraison.pk) is None
    time_machine.move_to(DEBUT + 301 * S, tick=False)
    assert _reprendre() == [(scope_a.organisation.pk, livraison.pk)]
    livraison = services.livraison_tenter(livraison_id=livraison.pk)
    assert (livraison.statut, livraison.tentatives) == (StatutLivraison.LIVREE, 2)
    assert len(recepteur.requetes) == 1


def test_a_lost_task_message_is_queued_again_by_the_beat_job(scope_a, recepteur, en_file, time_machine, monkeypatch):
    time_machine.move_to(DEBUT, tick=False)
    livraison, _secret = _une_livraison(recepteur)  # its message is "lost": never run
    time_machine.move_to(DEBUT + 299 * S, tick=False)
    assert livraisons_reprendre_tache() == 0
    time_machine.move_to(DEBUT + 301 * S, tick=False)
    files: list[dict] = []
    monkeypatch.setattr("webhooks.tasks.livraisons_envoyer_tache.delay", lambda **kw: files.append(kw))
    assert livraisons_reprendre_tache() == 1
    assert files == [{"organisation_id": scope_a.organisation.pk, "livraison_ids": [livraison.pk]}]


def test_a_redirect_is_not_followed(scope_a, recepteur, en_file):
    recepteur.entetes_reponse["Location"] = "http://127.0.0.1:1/ailleurs"
    recepteur.repondre(302)
    livraison, _secret = _une_livraison(recepteur)
    livraison = services.livraison_tenter(livraison_id=livraison.pk)
    assert (livraison.statut, livraison.dernier_code, livraison.derniere_erreur) == (
        StatutLivraison.EN_ATTENTE,
        302,
        "HTTP 302",
    )
    assert len(recepteur.requetes) == 1


def test_an_unreachable_endpoint_is_an_error_logged(scope_a, en_file):
    _endpoint, _secret = services.endpoint_create(url="http://127.0.0.1:1/rien", evenements=["facture.payee"])
    (livraison,) = services.evenement_publier(type="facture.payee", facture_ids=[FactureFactory().pk])
    livraison = services.livraison_tenter(livraison_id=livraison.pk)
    assert livraison.statut == StatutLivraison.EN_ATTENTE
    assert livraison.dernier_code is None
    assert livraison.derniere_erreur.startswith("ConnectionRefusedError")
    (tentative,) = Tentative.objects.filter(livraison=livraison)
    assert tentative.erreur == livraison.derniere_erreur


def test_private_targets_and_http_are_refused_unless_allowed(scope_a, recepteur, en_file, settings):
    livraison, _secret = _une_livraison(recepteur)
    settings.WEBHOOKS_CIBLES_PRIVEES = False
    livraison = services.livraison_tenter(livraison_id=livraison.pk)
    assert livraison.derniere_erreur == "Cible refusée : adresse privée ou réservée refusée : 127.0.0.1"
    assert recepteur.requetes == []
    for url in ("http://10.0.0.1/x", "https://169.254.169.254/latest", "https://[::1]/x", "https://localhost/x"):
        with pytest.raises(transport.CibleRefusee):
            transport.verifier_url(url) if "localhost" not in url else transport._resoudre("localhost", 443)
    settings.WEBHOOKS_HTTP_AUTORISE = False
    with pytest.raises(transport.CibleRefusee):
        transport.verifier_url("http://erp.example.com/hook")
    transport.verifier_url("https://erp.example.com/hook")


def test_an_inactive_endpoint_abandons_its_pending_deliveries(scope_a, recepteur, en_file):
    livraison, _secret = _une_livraison(recepteur)
    endpoint = livraison.endpoint
    services.endpoint_update(endpoint=endpoint, url=endpoint.url, evenements=endpoint.evenements, actif=False)
    livraison = services.livraison_tenter(livraison_id=livraison.pk)
    assert livraison.statut == StatutLivraison.ABANDONNEE
    assert recepteur.requetes == []


def test_a_new_secret_signs_the_next_attempt(scope_a, recepteur, en_file):
    livraison, ancien = _une_livraison(recepteur)
    nouveau = services.endpoint_secret_regenerer(endpoint=livraison.endpoint)
    services.livraison_tenter(livraison_id=livraison.pk)
    (requete,) = recepteur.requetes
    assert requete.signature_valide(nouveau)
    assert not requete.signature_valide(ancien)


def test_secrets_are_stored_encrypted_and_survive_a_key_rotation(settings):
    chiffre = secret_chiffrer("whsec_abc")
    assert "whsec_abc" not in chiffre
    assert secret_dechiffrer(chiffre) == "whsec_abc"
    assert chiffre != secret_chiffrer("whsec_abc")  # a nonce each time
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "une-autre-cle"
    assert secret_dechiffrer(chiffre) == "whsec_abc"
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(SecretIllisible):
        secret_dechiffrer(chiffre)
    falsifie = chiffre[:-2] + ("A" if chiffre[-2] != "A" else "B") + chiffre[-1]
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(SecretIllisible):
        secret_dechiffrer(falsifie)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_an_event(
    tenant_a, recepteur, tmp_path, file_isolee, django_capture_on_commit_callbacks
):
    from factures.signals import facture_payee

    with tenant_a.scope():
        endpoint, secret = services.endpoint_create(url=recepteur.url, evenements=["facture.payee"])
        facture = FactureFactory(numero="F-W1")
    env = env_du_worker(
        CELERY_TASK_DEFAULT_QUEUE=file_isolee, WEBHOOKS_HTTP_AUTORISE="true", WEBHOOKS_CIBLES_PRIVEES="true"
    )
    with Worker(env=env, journal=tmp_path / "worker.log", queues=file_isolee) as worker:
        with tenant_a.scope():
            facture_payee.send(sender=Facture, facture_ids=[facture.pk], organisation_id=tenant_a.organisation.pk)

        def livree() -> bool:
            with tenant_a.scope():
                return Livraison.objects.filter(statut=StatutLivraison.LIVREE).exists()

        attendre(livree, worker=worker, message="the delivery is made")
    (requete,) = recepteur.requetes
    assert requete.signature_valide(secret)
    assert requete.json["data"]["facture"]["numero"] == "F-W1"
    with tenant_a.scope():
        livraison = Livraison.objects.get()
        assert (livraison.tentatives, livraison.dernier_code, livraison.endpoint_id) == (1, 200, endpoint.pk)
        assert livraison.livree_le <= timezone.now()
