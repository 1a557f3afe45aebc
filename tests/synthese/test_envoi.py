"""The weekly send: when (the organisation's day, hour and time zone), to whom, what the
e-mail holds (text, HTML with inline PNG charts, PDF), and exactly once."""

from __future__ import annotations

import datetime
import subprocess
import zoneinfo

import pytest
import time_machine

from recouvrement.tenancy.models import Role
from synthese import services, tasks
from synthese.models import AbonnementSynthese, ParametresSynthese, StatutSynthese, SyntheseHebdo
from tests.factories import ClientFactory, MembreFactory, UserFactory
from tests.smtp import html, pieces_jointes, texte
from tests.synthese.donnees import LUNDI, facture, payer

UTC = zoneinfo.ZoneInfo("UTC")
D = datetime.date


@pytest.fixture
def files(monkeypatch):
    """Record the sends the scheduler queues instead of giving them to the broker."""
    envoyees: list[dict] = []
    monkeypatch.setattr(tasks.synthese_envoyer, "delay", lambda **kw: envoyees.append(kw))
    return envoyees


@pytest.fixture
def ordonnancer(django_capture_on_commit_callbacks):
    """One scheduler round; the sends it queues after commit are run (here: recorded by ``files``)."""

    def tour() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return tasks.synthese_ordonnancer()

    return tour


def a_(jour: datetime.datetime):
    return time_machine.travel(jour, tick=False)


def test_not_before_the_organisations_day_and_hour_in_its_time_zone(tenant_a, tenant_b, files, ordonnancer):
    # A: Paris, the default Monday 08:00. B: New York (UTC-5), Wednesday 18:00.
    tenant_b.organisation.fuseau_horaire = "America/New_York"
    tenant_b.organisation.save()
    with tenant_b.scope():
        services.parametres_update(
            actif=True, jour_semaine=2, heure=datetime.time(18), destinataires_supplementaires=[]
        )
    # Monday 23 November, 06:59 UTC = 07:59 in Paris.
    with a_(datetime.datetime(2026, 11, 23, 6, 59, tzinfo=UTC)):
        assert ordonnancer() == 0
    assert files == []
    # 07:00 UTC = 08:00 in Paris: A's digest of the week of 16 November; twice: once.
    with a_(datetime.datetime(2026, 11, 23, 7, 0, tzinfo=UTC)):
        assert ordonnancer() == 1
        assert ordonnancer() == 0
    with tenant_a.scope():
        synthese = SyntheseHebdo.objects.get()
    assert synthese.semaine == LUNDI
    assert files == [{"organisation_id": tenant_a.organisation.pk, "synthese_id": synthese.pk}]
    # Wednesday 22:59 UTC = 17:59 in New York: not yet; 23:00 UTC = 18:00: B's turn, for the same week.
    files.clear()
    with a_(datetime.datetime(2026, 11, 25, 22, 59, tzinfo=UTC)):
        assert ordonnancer() == 0
    with a_(datetime.datetime(2026, 11, 25, 23, 0, tzinfo=UTC)):
        assert ordonnancer() == 1
    with tenant_b.scope():
        assert SyntheseHebdo.objects.get().semaine == LUNDI
    # The next Monday in Paris: the next week.
    with a_(datetime.datetime(2026, 11, 30, 7, 0, tzinfo=UTC)):
        assert ordonnancer() == 1
    with tenant_a.scope():
        assert sorted(SyntheseHebdo.objects.values_list("semaine", flat=True)) == [LUNDI, D(2026, 11, 23)]


def test_an_inactive_organisation_gets_no_digest(tenant_a, files, ordonnancer):
    with tenant_a.scope():
        services.parametres_update(
            actif=False, jour_semaine=0, heure=datetime.time(8), destinataires_supplementaires=[]
        )
    with a_(datetime.datetime(2026, 11, 23, 12, 0, tzinfo=UTC)):
        assert ordonnancer() == 0
    with tenant_a.scope():
        assert not SyntheseHebdo.objects.exists()


def test_recipients_daf_members_subscribers_and_extra_addresses(scope_a):
    def membre(role, email, **extra):
        return MembreFactory(role=role, user=UserFactory(email=email), **extra)

    membre(Role.DAF, "daf@alpha.fr")
    desabonne = membre(Role.DAF, "daf2@alpha.fr")
    membre(Role.DAF, "ancien-daf@alpha.fr", actif=False)
    abonne = membre(Role.CHARGE, "charge@alpha.fr")
    membre(Role.LECTURE, "lecture@alpha.fr")
    assert services.abonnement_basculer(membre=desabonne) is False
    assert services.abonnement_basculer(membre=abonne) is True
    services.parametres_update(
        actif=True,
        jour_semaine=0,
        heure=datetime.time(8),
        destinataires_supplementaires=["Expert@Cabinet.fr", "daf@alpha.fr", " "],
    )

    assert services.destinataires_synthese() == ["charge@alpha.fr", "daf@alpha.fr", "expert@cabinet.fr"]
    # Toggling twice gives the role's default back.
    assert services.abonnement_basculer(membre=desabonne) is True
    assert AbonnementSynthese.objects.get(membre=desabonne).abonne is True


def _donnees_et_daf():
    MembreFactory(role=Role.DAF, user=UserFactory(email="daf@alpha.fr"))
    ParametresSynthese.objects.create(destinataires_supplementaires=["expert@cabinet.fr"])
    client = ClientFactory(raison_sociale="Dupont Frères")
    f = facture(client, emission=D(2026, 10, 1), echeance=D(2026, 10, 31), ttc="12345.60")
    payer(f, "2345.60", le=D(2026, 11, 18))


def test_the_email_has_text_html_inline_charts_and_a_pdf_and_goes_once(scope_a, smtp, tmp_path):
    _donnees_et_daf()
    synthese = SyntheseHebdo.objects.create(semaine=LUNDI)

    services.synthese_envoyer(synthese_id=synthese.pk)
    services.synthese_envoyer(synthese_id=synthese.pk)  # sent already: nothing

    assert len(smtp.boite.messages) == 1
    message = smtp.boite.messages[0]
    assert sorted(smtp.boite.enveloppes[0]) == ["daf@alpha.fr", "expert@cabinet.fr"]
    assert message["Message-ID"] == f"<recouvrement-{scope_a.organisation.pk}-synthese-2026-W47@recouvrement.localhost>"
    assert "semaine du 16 novembre 2026" in str(message["Subject"])
    # Text: the week's collections (2,345.60) and the overdue at the end of the week (10,000.00).
    corps_texte = texte(message).replace("\u202f", " ").replace("\u00a0", " ")
    assert "Encaissé : 2 345,60 € (1 paiement)" in corps_texte
    assert "Échu : 10 000,00 € (12 345,60 € une semaine plus tôt)" in corps_texte
    # HTML with two inline PNG charts whose Content-IDs match the cid: references.
    corps_html = html(message)
    assert 'src="cid:synthese-balance"' in corps_html
    assert 'src="cid:synthese-dso"' in corps_html
    images = {p["Content-ID"]: p for p in message.walk() if p.get_content_type() == "image/png"}
    assert set(images) == {"<synthese-balance>", "<synthese-dso>"}
    for partie in images.values():
        assert partie.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    related = [p for p in message.walk() if p.get_content_type() == "multipart/related"]
    assert len(related) == 1
    assert related[0].get_payload()[0].get_content_type() == "text/html"
    assert [p.get_content_type() for p in message.walk()][:3] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
    ]
    # The PDF attachment renders: pdftotext finds the totals.
    ((nom, contenu),) = [(n, c) for n, c in pieces_jointes(message) if n and n.endswith(".pdf")]
    assert nom == "synthese-2026-W47.pdf"
    fichier = tmp_path / nom
    fichier.write_bytes(contenu)
    extrait = subprocess.run(["pdftotext", "-layout", str(fichier), "-"], capture_output=True, check=True).stdout
    extrait_texte = extrait.decode().replace("\u202f", " ").replace("\u00a0", " ")
    assert "Synthèse hebdomadaire" in extrait_texte
    assert "2 345,60 €" in extrait_texte
    assert "12 345,60 €" in extrait_texte  # the balance at 15/11
    assert "Dupont Frères" in extrait_texte
    synthese.refresh_from_db()
    assert synthese.statut == StatutSynthese.ENVOYEE
    assert synthese.tentatives == 1


def test_no_recipient_is_a_failure_not_a_retry(scope_a, smtp):
    synthese = SyntheseHebdo.objects.create(semaine=LUNDI)
    services.synthese_envoyer(synthese_id=synthese.pk)
    synthese.refresh_from_db()
    assert synthese.statut == StatutSynthese.ECHEC
    assert smtp.boite.messages == []


def test_a_digest_left_in_progress_is_taken_again_after_the_delay(scope_a, smtp, settings):
    _donnees_et_daf()
    settings.RELANCES_DELAI_RECONCILIATION = 600
    maintenant = datetime.datetime.now(UTC)
    recent = SyntheseHebdo.objects.create(
        semaine=LUNDI, statut=StatutSynthese.EN_COURS, en_cours_depuis=maintenant, destinataires=["daf@alpha.fr"]
    )
    ancien = SyntheseHebdo.objects.create(
        semaine=LUNDI - datetime.timedelta(days=7),
        statut=StatutSynthese.EN_COURS,
        en_cours_depuis=maintenant - datetime.timedelta(minutes=11),
        destinataires=["daf@alpha.fr"],
    )
    assert services.syntheses_a_reprendre(delai=datetime.timedelta(minutes=10)) == [ancien.pk]
    # A second attempt while the first may still be running sends nothing.
    services.synthese_envoyer(synthese_id=recent.pk)
    assert smtp.boite.messages == []
    services.synthese_envoyer(synthese_id=ancien.pk)
    assert len(smtp.boite.messages) == 1
    assert smtp.boite.enveloppes[0] == ["daf@alpha.fr"]  # the recipients frozen at the first claim
    ancien.refresh_from_db()
    assert (ancien.statut, ancien.tentatives) == (StatutSynthese.ENVOYEE, 1)
