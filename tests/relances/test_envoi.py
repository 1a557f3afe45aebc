"""Sending, in this process, to a real SMTP server on loopback: recipients per step,
content, attachments, letters, what is withdrawn at send time, errors, approval."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from clients.models import Evenement
from factures.models import Facture
from factures.services import lettrage_create, paiement_create
from relances.models import Envoi, Relance, StatutEnvoi, StatutRelance, StatutTache, Tache, TypeTache
from relances.selectors import factures_avec_derniere_relance
from relances.services.envoi import ErreurTransitoire, envoi_executer, envoi_ignorer, envoi_valider, envois_reserver
from relances.services.planification import organisation_planifier
from tests.relances.conftest import STANDARD
from tests.smtp import ServeurSMTP, html, pieces_jointes, port_libre, texte

JEUDI = datetime.date(2026, 11, 26)
J = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path, taux_2026_s2):
    settings.MEDIA_ROOT = tmp_path


def envoyer_tout(jour=JEUDI):
    return [envoi_executer(envoi_id=i, jour=jour) for i in envois_reserver(jour=jour)]


def test_a_reminder_goes_to_the_right_people_with_the_invoices(scope_relances, smtp):
    r = scope_relances
    client = r.client()
    f1 = r.facture(client, echeance=JEUDI - 2 * J, ttc="1500.00")
    f2 = r.facture(client, echeance=JEUDI - 16 * J, ttc="240.00")
    organisation_planifier(jour=JEUDI)
    (envoi,) = envoyer_tout()
    assert envoi.statut == StatutEnvoi.ENVOYE
    (message,) = smtp.boite.messages
    # The highest step (J+15): To accounts payable, Cc purchasing; Reply-To the credit manager.
    assert message["To"].addresses[0].addr_spec == f"compta@{client.pk}.client.example"
    assert [a.addr_spec for a in message["Cc"].addresses] == [f"achats@{client.pk}.client.example"]
    assert message["Reply-To"].addresses[0].addr_spec == r.charge.user.email
    assert message["Subject"].startswith("[fr] Relance ferme — Relance")
    assert message["Message-ID"] == f"<recouvrement-{r.tenant.organisation.pk}-envoi-{envoi.pk}@recouvrement.localhost>"
    for corps in (texte(message), html(message)):
        assert f1.numero in corps
        assert f2.numero in corps
        assert "1\u00a0740,00\u00a0€" in corps or "1 740,00\u00a0€" in corps  # html escapes nbsp
    assert set(Relance.objects.filter(envoi=envoi).values_list("statut", flat=True)) == {StatutRelance.ENVOYEE}
    assert Evenement.objects.filter(client=client, type="relance.envoyee").count() == 1
    facture = factures_avec_derniere_relance(Facture.objects.filter(pk=f1.pk)).get()
    assert facture.derniere_relance_le is not None
    assert facture.derniere_relance_canal == "email"


def test_sending_again_does_nothing(scope_relances, smtp):
    r = scope_relances
    r.facture(r.client(), echeance=JEUDI - 2 * J)
    organisation_planifier(jour=JEUDI)
    (envoi,) = envoyer_tout()
    envoi_executer(envoi_id=envoi.pk, jour=JEUDI)
    assert envoyer_tout() == []
    assert len(smtp.boite.messages) == 1
    assert smtp.boite.doublons == 0


def test_tone_and_recipients_escalate(scope_relances, smtp):
    r = scope_relances
    client = r.client()
    r.facture(client, echeance=JEUDI - 31 * J)
    organisation_planifier(jour=JEUDI)
    envoyer_tout()
    (message,) = smtp.boite.messages
    a = {x.addr_spec for x in message["To"].addresses}
    cc = {x.addr_spec for x in message["Cc"].addresses}
    assert a == {f"compta@{client.pk}.client.example", f"signataire@{client.pk}.client.example"}
    assert cc == {f"achats@{client.pk}.client.example", r.commercial.user.email}
    assert "Dernier rappel" in message["Subject"]


def test_the_formal_notice_letter_needs_approval_then_goes_as_pdf_with_the_finance_director(scope_relances, smtp):
    r = scope_relances
    client = r.client()
    facture = r.facture(client, echeance=JEUDI - 50 * J)
    facture.pdf.save("facture.pdf", ContentFile(b"%PDF-1.4 facture"), save=True)
    organisation_planifier(jour=JEUDI)
    assert envoyer_tout() == []  # waiting for approval
    envoi = Envoi.objects.get()
    envoi_valider(envoi=envoi, auteur=r.tenant.admin)
    (envoi,) = envoyer_tout()
    assert envoi.statut == StatutEnvoi.ENVOYE
    (message,) = smtp.boite.messages
    cc = {x.addr_spec for x in message["Cc"].addresses}
    assert {r.daf.user.email, r.commercial.user.email} <= cc
    jointes = dict(pieces_jointes(message))
    lettre = next(contenu for nom, contenu in jointes.items() if nom.startswith("relance-"))
    assert lettre.startswith(b"%PDF")
    assert jointes[f"{facture.numero}.pdf"] == b"%PDF-1.4 facture"
    assert envoi.courrier_pdf
    assert envoi.courrier_html
    types = set(Tache.objects.filter(envoi=envoi).values_list("type", flat=True))
    assert types == {TypeTache.COURRIER, TypeTache.APPEL}


def test_a_skipped_send_never_goes(scope_relances, smtp):
    r = scope_relances
    r.facture(r.client(), echeance=JEUDI - 50 * J)
    organisation_planifier(jour=JEUDI)
    envoi_ignorer(envoi=Envoi.objects.get(), auteur=r.tenant.admin)
    assert envoyer_tout() == []
    assert smtp.boite.messages == []
    assert Relance.objects.get().statut == StatutRelance.ANNULEE


def test_an_invoice_paid_between_planning_and_sending_is_withdrawn(scope_relances, smtp):
    r = scope_relances
    client = r.client()
    payee = r.facture(client, echeance=JEUDI - 2 * J)
    due = r.facture(client, echeance=JEUDI - 2 * J)
    organisation_planifier(jour=JEUDI)
    paiement = paiement_create(client=client, montant=payee.reste_du, date_paiement=JEUDI)
    lettrage_create(facture=payee, paiement=paiement, montant=payee.reste_du)
    envoyer_tout()
    (message,) = smtp.boite.messages
    assert due.numero in texte(message)
    assert payee.numero not in texte(message)
    assert Relance.objects.get(facture=payee).statut == StatutRelance.ANNULEE


def test_nothing_left_to_chase_cancels_the_send(scope_relances, smtp):
    r = scope_relances
    client = r.client()
    facture = r.facture(client, echeance=JEUDI - 2 * J)
    organisation_planifier(jour=JEUDI)
    paiement = paiement_create(client=client, montant=facture.reste_du, date_paiement=JEUDI)
    lettrage_create(facture=facture, paiement=paiement, montant=facture.reste_du)
    (envoi,) = envoyer_tout()
    assert envoi.statut == StatutEnvoi.ANNULE
    assert smtp.boite.messages == []


def test_a_preventive_reminder_approved_too_late_is_dropped(scope_relances, smtp):
    r = scope_relances
    r.standard.etapes.filter(decalage_jours=-10).update(necessite_validation=True)
    r.facture(r.client(), echeance=JEUDI + 5 * J)
    organisation_planifier(jour=JEUDI)
    envoi_valider(envoi=Envoi.objects.get(), auteur=r.tenant.admin)
    (envoi,) = envoyer_tout(JEUDI + 6 * J)  # approved and sent after the due date
    assert envoi.statut == StatutEnvoi.ANNULE
    assert smtp.boite.messages == []


def test_an_english_speaking_client_gets_the_english_template(scope_relances, smtp):
    r = scope_relances
    client = r.client(langue="en")
    r.facture(client, echeance=JEUDI - 2 * J)
    organisation_planifier(jour=JEUDI)
    envoyer_tout()
    assert smtp.boite.messages[0]["Subject"].startswith("[en] ")


def test_an_unreachable_server_is_a_transient_error_and_the_send_stays_in_progress(scope_relances, settings):
    r = scope_relances
    r.facture(r.client(), echeance=JEUDI - 2 * J)
    organisation_planifier(jour=JEUDI)
    settings.MAILERS = ServeurSMTP(port=port_libre()).mailers  # nobody listens there
    (envoi_id,) = envois_reserver(jour=JEUDI)
    with pytest.raises(ErreurTransitoire):
        envoi_executer(envoi_id=envoi_id, jour=JEUDI)
    envoi = Envoi.objects.get(pk=envoi_id)
    assert (envoi.statut, envoi.tentatives) == (StatutEnvoi.EN_COURS, 1)
    assert envoi.sujet, "the message was rendered once and kept for the retry"


def test_a_refused_recipient_is_a_permanent_failure_and_a_task(scope_relances, smtp):
    r = scope_relances
    client = r.client()
    r.facture(client, echeance=JEUDI - 2 * J)
    smtp.boite.refuser.add(f"compta@{client.pk}.client.example")
    organisation_planifier(jour=JEUDI)
    (envoi,) = envoyer_tout()
    assert envoi.statut == StatutEnvoi.ECHEC
    tache = Tache.objects.get(type=TypeTache.ECHEC_ENVOI)
    assert (tache.client_id, tache.statut, tache.assigne_a_id) == (client.pk, StatutTache.A_FAIRE, r.charge.pk)
    assert Relance.objects.get().statut == StatutRelance.ECHEC


def test_a_call_step_creates_a_call_task_for_the_credit_manager(scope_relances, smtp):
    r = scope_relances
    from relances.models import Canal, Etape

    Etape.objects.create(
        scenario=r.standard,
        nom="Appel",
        decalage_jours=20,
        canal=Canal.APPEL,
        script_appel="Demander une date de paiement.",
    )
    r.facture(r.client(), echeance=JEUDI - 21 * J)
    organisation_planifier(jour=JEUDI)
    (envoi,) = envoyer_tout()
    assert envoi.statut == StatutEnvoi.ENVOYE
    assert smtp.boite.messages == []
    tache = Tache.objects.get()
    assert (tache.type, tache.description) == (TypeTache.APPEL, "Demander une date de paiement.")


def test_a_letter_without_a_published_rate_fails_with_a_task_then_goes_once_the_rate_is_added(scope_relances, smtp):
    from relances.models import TauxReference
    from relances.services.envoi import envoi_reessayer

    r = scope_relances
    TauxReference.objects.filter(semestre_debut=datetime.date(2026, 7, 1)).delete()
    r.facture(r.client(), echeance=JEUDI - 50 * J)
    organisation_planifier(jour=JEUDI)
    envoi_valider(envoi=Envoi.objects.get(), auteur=r.tenant.admin)
    (envoi,) = envoyer_tout()
    assert envoi.statut == StatutEnvoi.ECHEC
    assert "2e semestre 2026" in envoi.erreur
    assert "2e semestre 2026" in Tache.objects.get(type=TypeTache.ECHEC_ENVOI).description
    TauxReference.objects.create(
        semestre_debut=datetime.date(2026, 7, 1), taux_bce=Decimal("2.15"), taux_legal=Decimal("2.62")
    )
    envoi_reessayer(envoi=envoi, auteur=r.tenant.admin)
    (envoi,) = envoyer_tout()
    assert envoi.statut == StatutEnvoi.ENVOYE
    assert len(smtp.boite.messages) == 1


def test_standard_steps_fixture_matches_the_issue():
    assert [e[1] for e in STANDARD] == [-10, 1, 15, 30, 45]


def test_the_amounts_in_the_message_are_the_remaining_due(scope_relances, smtp):
    r = scope_relances
    client = r.client()
    facture = r.facture(client, echeance=JEUDI - 2 * J, ttc="1000.00")
    paiement = paiement_create(client=client, montant=Decimal("400.00"), date_paiement=JEUDI - J)
    lettrage_create(facture=facture, paiement=paiement, montant=Decimal("400.00"))
    organisation_planifier(jour=JEUDI)
    envoyer_tout()
    assert "600,00" in texte(smtp.boite.messages[0])
