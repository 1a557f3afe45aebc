"""Calls and their outcomes, promises, and editing templates (refused at save, never at send)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from relances.models import MotifPause, Pause, Promesse, ResultatAppel, StatutTache, Tache, TypeTache
from relances.services.scenarios import modele_apercu, modele_enregistrer, modele_test_envoyer
from relances.services.taches import appel_enregistrer
from tests.factories import FactureFactory


def test_a_promise_from_a_call_pauses_dunning_until_the_date_plus_grace(scope_relances):
    r = scope_relances
    client = r.client()
    dans_dix_jours = datetime.date.today() + datetime.timedelta(days=10)
    appel_enregistrer(
        client=client,
        resultat=ResultatAppel.PROMESSE,
        auteur=r.tenant.admin,
        membre=r.charge,
        promesse_montant=Decimal("800.00"),
        promesse_date=dans_dix_jours,
        note="Virement prévu",
    )
    promesse = Promesse.objects.get()
    assert (promesse.montant, promesse.prise_par_id) == (Decimal("800.00"), r.charge.pk)
    pause = Pause.objects.get()
    assert (pause.motif, pause.client_id) == (MotifPause.PROMESSE, client.pk)
    assert pause.jusqu_au == dans_dix_jours + datetime.timedelta(days=r.parametres.delai_grace_promesse_jours)
    assert pause.origine == f"promesse:{promesse.pk}"


def test_a_promise_needs_an_amount_and_a_date(scope_relances):
    r = scope_relances
    with pytest.raises(Exception, match="montant et la date"):
        appel_enregistrer(client=r.client(), resultat=ResultatAppel.PROMESSE, auteur=None, membre=r.charge)


def test_a_dispute_raised_on_the_phone_pauses_the_invoice(scope_relances):
    r = scope_relances
    facture = FactureFactory(client=r.client())
    appel_enregistrer(
        client=facture.client,
        facture=facture,
        resultat=ResultatAppel.LITIGE,
        auteur=None,
        membre=r.charge,
        note="Quantités contestées",
    )
    pause = Pause.objects.get()
    assert (pause.motif, pause.facture_id, pause.client_id) == (MotifPause.LITIGE, facture.pk, None)


@pytest.mark.parametrize(
    ("resultat", "type_suite", "jours"),
    [
        (ResultatAppel.PAS_DE_REPONSE, TypeTache.APPEL, 2),
        (ResultatAppel.MAUVAIS_CONTACT, TypeTache.SANS_CONTACT, 0),
        (ResultatAppel.DEJA_PAYE, TypeTache.MANUELLE, 1),
    ],
)
def test_other_outcomes_create_the_follow_up(scope_relances, resultat, type_suite, jours):
    r = scope_relances
    tache = Tache.objects.create(
        client=r.client(), type=TypeTache.APPEL, titre="Appeler", echeance=datetime.date.today()
    )
    suite = appel_enregistrer(
        client=tache.client, resultat=resultat, auteur=r.tenant.admin, membre=r.charge, tache=tache
    )
    tache.refresh_from_db()
    assert (tache.statut, tache.resultat) == (StatutTache.FAITE, resultat)
    assert suite.type == type_suite
    assert suite.echeance == datetime.date.today() + datetime.timedelta(days=jours)


@pytest.mark.parametrize(
    ("sujet", "corps", "champ", "message"),
    [
        (
            "Relance",
            "Bonjour,\n\n{{ client.nom_commercial }}",
            "corps",
            "Ligne 3 : variable inconnue « client.nom_commercial »",
        ),
        ("Relance", "{% for f in factures %}\n{{ f.montant_inconnu }}\n{% endfor %}", "corps", "Ligne 2"),
        ("Relance {{ client.raison_sociale", "ok", "sujet", "Ligne 1"),
        ("Relance", "{% load static %}", "corps", "load"),
        ("Relance", "{{ client.raison_sociale|safe }}", "corps", "safe"),
    ],
)
def test_a_broken_template_is_refused_at_save_with_the_line_and_the_name(scope_relances, sujet, corps, champ, message):
    etape = scope_relances.standard.etapes.first()
    avant = etape.modeles.get(langue="fr").corps
    with pytest.raises(ValidationError) as erreur:
        modele_enregistrer(etape=etape, langue="fr", sujet=sujet, corps=corps)
    assert champ in erreur.value.message_dict
    assert message in " ".join(erreur.value.message_dict[champ])
    assert etape.modeles.get(langue="fr").corps == avant


def test_a_valid_template_is_saved_previewed_and_sent_to_myself(scope_relances):
    r = scope_relances
    etape = r.standard.etapes.first()
    corps = "Bonjour {{ contact.prenom }},\n\n{{ tableau_factures }}\n\n{{ signataire.nom }}"
    modele_enregistrer(etape=etape, langue="fr", sujet="Rappel {{ client.raison_sociale }}", corps=corps)
    apercu = modele_apercu(organisation=r.tenant.organisation, sujet="Rappel {{ client.raison_sociale }}", corps=corps)
    assert apercu.sujet.startswith("Rappel ")
    client = r.client(raison_sociale="Vrai Client SAS")
    FactureFactory(client=client, numero="FA-REEL-1")
    reel = modele_apercu(
        organisation=r.tenant.organisation, sujet="Rappel {{ client.raison_sociale }}", corps=corps, client=client
    )
    assert reel.sujet == "Rappel Vrai Client SAS"
    assert "FA-REEL-1" in reel.texte
    modele_test_envoyer(
        organisation=r.tenant.organisation, user=r.tenant.admin, sujet="Rappel {{ client.raison_sociale }}", corps=corps
    )
    assert mail.outbox[-1].to == [r.tenant.admin.email]
    assert mail.outbox[-1].subject.startswith("[TEST] Rappel")


def test_a_contractual_rate_under_three_times_the_legal_rate_is_refused(scope_relances, taux_2026_s2):
    parametres = scope_relances.parametres
    parametres.taux_contractuel = Decimal("5.00")
    with pytest.raises(ValidationError) as erreur:
        parametres.full_clean()
    assert "plancher légal" in " ".join(erreur.value.message_dict["taux_contractuel"])
    parametres.taux_contractuel = Decimal("12.00")
    parametres.full_clean()
