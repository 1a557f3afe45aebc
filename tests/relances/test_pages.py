"""The dunning pages: approval queue, a send's detail, client actions, tasks, template editing."""

from __future__ import annotations

import datetime
import subprocess

import pytest
from django.urls import reverse

from relances.models import Envoi, MotifPause, Pause, StatutEnvoi, StatutTache, Tache, TypeTache
from relances.services.planification import organisation_planifier

J = datetime.timedelta(days=1)


@pytest.fixture
def aujourd_hui():
    from django.utils import timezone

    return timezone.localdate()


def test_the_approval_queue_and_approving_a_letter(client, relances, aujourd_hui, monkeypatch):
    from relances import views

    envoyes = []
    monkeypatch.setattr(views.envoi_envoyer, "delay", lambda **kw: envoyes.append(kw))
    r = relances
    with r.tenant.scope():
        cible = r.client(raison_sociale="Client En Retard")
        r.facture(cible, echeance=aujourd_hui - 50 * J)
        organisation_planifier(jour=aujourd_hui, forcer=True)
        envoi = Envoi.objects.get()
    r.tenant.login(client)
    page = client.get(reverse("relances:envois")).content.decode()  # default: waiting for approval
    assert "Client En Retard" in page
    assert "Mise en demeure" in page
    detail = client.get(reverse("relances:envoi", args=[envoi.pk])).content.decode()
    assert "Valider et envoyer" in detail
    client.post(reverse("relances:envoi_valider", args=[envoi.pk]))
    with r.tenant.scope():
        envoi.refresh_from_db()
    assert envoi.statut == StatutEnvoi.EN_COURS  # claimed and queued at once
    assert envoyes == [{"organisation_id": r.tenant.organisation.pk, "envoi_id": envoi.pk}]


def test_a_commercial_cannot_approve(client, relances, aujourd_hui):
    r = relances
    with r.tenant.scope():
        cible = r.client()
        r.facture(cible, echeance=aujourd_hui - 50 * J)
        organisation_planifier(jour=aujourd_hui, forcer=True)
        envoi = Envoi.objects.get()
    client.force_login(r.commercial.user)
    assert client.post(reverse("relances:envoi_valider", args=[envoi.pk])).status_code == 403


def test_pausing_and_resuming_a_client_from_its_sheet(client, relances, aujourd_hui):
    r = relances
    with r.tenant.scope():
        cible = r.client()
    r.tenant.login(client)
    client.post(
        reverse("relances:pause_poser", args=[cible.pk]),
        {"jusqu_au": (aujourd_hui + 10 * J).isoformat(), "commentaire": "Négociation en cours"},
    )
    with r.tenant.scope():
        pause = Pause.objects.get()
    assert (pause.motif, pause.client_id, pause.commentaire) == (MotifPause.MANUELLE, cible.pk, "Négociation en cours")
    fiche = client.get(reverse("clients:detail", args=[cible.pk])).content.decode()
    assert "Négociation en cours" in fiche
    client.post(reverse("relances:pause_lever", args=[pause.pk]))
    with r.tenant.scope():
        pause.refresh_from_db()
    assert pause.levee_le is not None


def test_the_client_sheet_shows_the_last_reminder_of_each_invoice(client, relances, aujourd_hui):
    r = relances
    with r.tenant.scope():
        cible = r.client()
        relancee = r.facture(cible, echeance=aujourd_hui - 2 * J)
        organisation_planifier(jour=aujourd_hui, forcer=True)
        Envoi.objects.update(
            statut=StatutEnvoi.ENVOYE, envoye_le=datetime.datetime(2026, 11, 20, 9, tzinfo=datetime.UTC)
        )
        from relances.models import Relance, StatutRelance

        Relance.objects.update(statut=StatutRelance.ENVOYEE)
    r.tenant.login(client)
    fiche = client.get(reverse("clients:detail", args=[cible.pk])).content.decode()
    assert "Dernière relance" in fiche
    assert "20/11/2026" in fiche
    assert relancee.numero in fiche


def test_relancer_maintenant_from_the_sheet(client, relances, aujourd_hui, monkeypatch):
    from relances import views

    envoyes = []
    monkeypatch.setattr(views.envoi_envoyer, "delay", lambda **kw: envoyes.append(kw))
    r = relances
    with r.tenant.scope():
        cible = r.client()
        r.facture(cible, echeance=aujourd_hui - 3 * J)
    r.tenant.login(client)
    reponse = client.post(reverse("relances:client_relancer", args=[cible.pk]))
    assert reponse.status_code == 302
    with r.tenant.scope():
        envoi = Envoi.objects.get()
    assert envoyes == [{"organisation_id": r.tenant.organisation.pk, "envoi_id": envoi.pk}]
    assert envoi.statut == StatutEnvoi.EN_COURS


def test_doing_a_call_task_from_the_task_list(client, relances, aujourd_hui):
    r = relances
    with r.tenant.scope():
        tache = Tache.objects.create(
            client=r.client(), type=TypeTache.APPEL, titre="Appeler le client", echeance=aujourd_hui, assigne_a=r.charge
        )
    client.force_login(r.charge.user)
    assert "Appeler le client" in client.get(reverse("relances:taches")).content.decode()
    client.post(reverse("relances:tache_faire", args=[tache.pk]), {"resultat": "pas_de_reponse", "note": "Messagerie"})
    with r.tenant.scope():
        tache.refresh_from_db()
        assert tache.statut == StatutTache.FAITE
        assert Tache.objects.filter(statut=StatutTache.A_FAIRE, type=TypeTache.APPEL).count() == 1


def test_editing_a_template_shows_errors_next_to_the_field_then_saves(client, relances):
    r = relances
    with r.tenant.scope():
        etape = r.standard.etapes.get(decalage_jours=1)
    r.tenant.login(client)
    url = reverse("relances:modele", args=[etape.pk, "fr"])
    assert client.get(url).status_code == 200
    reponse = client.post(url, {"sujet": "Rappel", "corps": "Bonjour\n{{ client.inconnu }}", "action": "enregistrer"})
    assert reponse.status_code == 200
    assert "Ligne 2 : variable inconnue « client.inconnu »" in " ".join(reponse.context["form"].errors["corps"])
    apercu = client.post(
        url, {"sujet": "Rappel {{ client.raison_sociale }}", "corps": "{{ tableau_factures }}", "action": "apercu"}
    )
    assert apercu.context["apercu"].sujet.startswith("Rappel ")
    client.post(url, {"sujet": "Rappel {{ client.raison_sociale }}", "corps": "Merci.", "action": "enregistrer"})
    with r.tenant.scope():
        assert etape.modeles.get(langue="fr").corps == "Merci."


@pytest.mark.parametrize("nom", ["relances:envois", "relances:taches", "relances:scenarios"])
def test_dunning_pages_keep_a_fixed_number_of_queries(client, relances, aujourd_hui, nom):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    r = relances
    r.tenant.login(client)
    url = reverse(nom) + ("?statut=" if nom == "relances:envois" else "?toutes=1" if nom == "relances:taches" else "")

    def compter():
        with CaptureQueriesContext(connection) as requetes:
            assert client.get(url).status_code == 200
        return len(requetes)

    client.get(url)

    def grandir(n):
        with r.tenant.scope():
            for _ in range(n):
                cible = r.client()
                r.facture(cible, echeance=aujourd_hui - 50 * J)
                Tache.objects.create(client=cible, type=TypeTache.APPEL, titre="Appeler", echeance=aujourd_hui)
            organisation_planifier(jour=aujourd_hui, forcer=True)

    grandir(2)
    avant = compter()
    grandir(15)
    assert compter() == avant


def test_pausing_one_invoice_from_its_page(client, relances, aujourd_hui):
    r = relances
    with r.tenant.scope():
        cible = r.client()
        facture = r.facture(cible, echeance=aujourd_hui - 3 * J)
    r.tenant.login(client)
    assert (
        "Suspendre les relances de cette facture"
        in client.get(reverse("factures:detail", args=[facture.pk])).content.decode()
    )
    client.post(reverse("relances:pause_poser", args=[cible.pk]), {"facture": facture.pk, "commentaire": "Litige"})
    with r.tenant.scope():
        pause = Pause.objects.get()
    assert (pause.facture_id, pause.client_id) == (facture.pk, None)
    page = client.get(reverse("factures:detail", args=[facture.pk])).content.decode()
    assert "Reprendre" in page


def test_an_invoice_of_another_client_cannot_be_paused_through_this_client(client, relances, aujourd_hui):
    r = relances
    with r.tenant.scope():
        un, autre = r.client(), r.client()
        facture = r.facture(autre, echeance=aujourd_hui - 3 * J)
    r.tenant.login(client)
    assert client.post(reverse("relances:pause_poser", args=[un.pk]), {"facture": facture.pk}).status_code == 404


def test_the_print_batch_of_the_days_letters(client, relances, aujourd_hui, taux_2026_s2, settings, tmp_path):
    from relances.services.envoi import envoi_executer, envoi_valider, envois_reserver

    settings.MEDIA_ROOT = tmp_path
    r = relances
    with r.tenant.scope():
        for _ in range(2):
            r.facture(r.client(), echeance=aujourd_hui - 50 * J)
        organisation_planifier(jour=aujourd_hui, forcer=True)
        for envoi in Envoi.objects.all():
            envoi_valider(envoi=envoi, auteur=r.tenant.admin)
        for envoi_id in envois_reserver(jour=aujourd_hui):
            envoi_executer(envoi_id=envoi_id, jour=aujourd_hui)
    r.tenant.login(client)
    reponse = client.get(reverse("relances:courriers_lot") + f"?date={aujourd_hui.isoformat()}")
    assert reponse.status_code == 200
    assert reponse["Content-Type"] == "application/pdf"
    assert reponse.content.startswith(b"%PDF")
    fichier = tmp_path / "lot.pdf"
    fichier.write_bytes(reponse.content)
    texte = subprocess.run(["pdftotext", str(fichier), "-"], capture_output=True, text=True, check=True).stdout
    with r.tenant.scope():
        noms = [e.client.raison_sociale for e in Envoi.objects.select_related("client")]
    assert len(noms) == 2
    assert all(nom in texte for nom in noms)
