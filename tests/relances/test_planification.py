"""The daily planning on PostgreSQL: offsets, catch-up, calendar, grouping, skip rules,
assignment rules and idempotency (also with two planners in two processes)."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from factures.models import Nature, Statut
from factures.services import facture_annuler, lettrage_create, paiement_create
from recouvrement.tenancy.context import organisation_scope
from relances.models import (
    Canal,
    Envoi,
    MotifPause,
    RegleAffectation,
    Relance,
    ScenarioImpose,
    StatutEnvoi,
    StatutRelance,
    Tache,
    TypeTache,
)
from relances.services.pauses import pause_create, pause_lever
from relances.services.planification import client_relancer_maintenant, organisation_planifier
from tests.factories import ClientFactory, ContactFactory
from tests.relances.conftest import creer_scenario

JEUDI = datetime.date(2026, 11, 26)  # a business day
J = datetime.timedelta(days=1)


def planifier(jour):
    return organisation_planifier(jour=jour)


def etapes_de(facture):
    return sorted(Relance.objects.filter(facture=facture).values_list("decalage_jours", flat=True))


@pytest.mark.parametrize(("ecart", "attendu"), [(-10, [-10]), (1, [1]), (15, [15]), (30, [30]), (45, [45])])
def test_each_step_is_planned_at_its_offset(scope_relances, ecart, attendu):
    r = scope_relances
    facture = r.facture(r.client(), echeance=JEUDI - ecart * J)
    planifier(JEUDI)
    assert etapes_de(facture) == attendu


def test_nothing_between_two_steps(scope_relances):
    r = scope_relances
    facture = r.facture(r.client(), echeance=JEUDI - 5 * J)
    planifier(JEUDI - 4 * J)  # J+1 is due (on the 5th day before)… planned
    planifier(JEUDI)  # J+5: nothing new (J+15 not yet)
    assert etapes_de(facture) == [1]


def test_a_preventive_reminder_is_never_planned_on_or_after_the_due_date(scope_relances):
    r = scope_relances
    le_jour_meme = r.facture(r.client(), echeance=JEUDI)
    veille = r.facture(r.client(), echeance=JEUDI + J)
    planifier(JEUDI)
    assert etapes_de(le_jour_meme) == []
    assert etapes_de(veille) == [-10]


def test_catch_up_after_downtime_plans_only_the_latest_due_step(scope_relances):
    r = scope_relances
    facture = r.facture(r.client(), echeance=JEUDI - 40 * J)
    planifier(JEUDI)
    assert etapes_de(facture) == [30]
    planifier(JEUDI + J)
    assert etapes_de(facture) == [30], "never goes back to an earlier step"


@pytest.mark.parametrize(
    "jour",
    [
        datetime.date(2026, 11, 28),
        datetime.date(2026, 11, 29),
        datetime.date(2026, 12, 25),
        datetime.date(2026, 11, 11),
    ],
    ids=["samedi", "dimanche", "noel", "armistice"],
)
def test_nothing_is_planned_on_weekends_and_public_holidays(scope_relances, jour):
    r = scope_relances
    facture = r.facture(r.client(), echeance=jour - 20 * J)
    resultat = planifier(jour)
    assert not resultat.jour_ouvre
    assert etapes_de(facture) == []


def test_the_organisations_calendar_decides(scope_relances):
    r = scope_relances
    saint_etienne = datetime.date(2025, 12, 26)  # a Friday
    facture = r.facture(r.client(), echeance=saint_etienne - 20 * J)
    assert planifier(saint_etienne).jour_ouvre  # France: a working day
    Relance.objects.filter(facture=facture).delete()
    Envoi.objects.all().delete()
    r.parametres.calendrier = "FR-57"
    r.parametres.save()
    assert not planifier(saint_etienne).jour_ouvre  # Moselle: Saint-Étienne is a public holiday
    assert etapes_de(facture) == []


def test_one_grouped_send_per_client_and_day_at_the_highest_step(scope_relances):
    r = scope_relances
    client = r.client()
    f1 = r.facture(client, echeance=JEUDI - 1 * J)
    f2 = r.facture(client, echeance=JEUDI - 16 * J)
    f3 = r.facture(client, echeance=JEUDI - 31 * J)
    autre = r.facture(r.client(), echeance=JEUDI - 1 * J)
    resultat = planifier(JEUDI)
    assert (resultat.relances, resultat.envois) == (4, 2)
    envoi = Envoi.objects.get(client=client)
    assert envoi.etape.decalage_jours == 30
    assert envoi.statut == StatutEnvoi.PRET
    assert set(Relance.objects.filter(envoi=envoi).values_list("facture_id", flat=True)) == {f1.pk, f2.pk, f3.pk}
    assert Relance.objects.get(facture=autre).envoi.client_id == autre.client_id


def test_a_step_needing_approval_makes_the_send_wait(scope_relances):
    r = scope_relances
    client = r.client()
    r.facture(client, echeance=JEUDI - 45 * J)
    r.facture(client, echeance=JEUDI - 1 * J)
    planifier(JEUDI)
    envoi = Envoi.objects.get(client=client)
    assert (envoi.canal, envoi.statut) == (Canal.COURRIER, StatutEnvoi.A_VALIDER)


def test_a_later_run_the_same_day_raises_the_pending_send(scope_relances):
    r = scope_relances
    client = r.client()
    r.facture(client, echeance=JEUDI - 1 * J)
    planifier(JEUDI)
    r.facture(client, echeance=JEUDI - 15 * J)  # imported later in the day
    planifier(JEUDI)
    envoi = Envoi.objects.get(client=client)
    assert envoi.etape.decalage_jours == 15
    assert envoi.relances.count() == 2


def test_paid_cancelled_credit_notes_and_settled_invoices_are_skipped(scope_relances):
    r = scope_relances
    client = r.client()
    payee = r.facture(client, echeance=JEUDI - 20 * J)
    paiement = paiement_create(client=client, montant=payee.reste_du, date_paiement=JEUDI - 2 * J)
    lettrage_create(facture=payee, paiement=paiement, montant=payee.reste_du)
    annulee = r.facture(client, echeance=JEUDI - 20 * J)
    facture_annuler(facture=annulee)
    avoir = r.facture(client, echeance=JEUDI - 20 * J, nature=Nature.AVOIR)
    ouverte = r.facture(client, echeance=JEUDI - 20 * J)
    planifier(JEUDI)
    assert etapes_de(payee) == etapes_de(annulee) == etapes_de(avoir) == []
    assert etapes_de(ouverte) == [15]
    payee.refresh_from_db()
    assert payee.statut == Statut.PAYEE


@pytest.mark.parametrize("motif", [MotifPause.LITIGE, MotifPause.ECHEANCIER, MotifPause.PROMESSE, MotifPause.MANUELLE])
def test_paused_invoices_are_skipped_and_resume_at_their_latest_step(scope_relances, motif):
    r = scope_relances
    client = r.client()
    en_pause = r.facture(client, echeance=JEUDI - 20 * J)
    libre = r.facture(client, echeance=JEUDI - 20 * J)
    pause = pause_create(motif=motif, facture=en_pause, origine="test")
    planifier(JEUDI)
    assert etapes_de(en_pause) == []
    assert etapes_de(libre) == [15]
    pause_lever(pause=pause)
    planifier(JEUDI + 12 * J)  # J+32
    assert etapes_de(en_pause) == [30]


def test_a_paused_client_is_skipped_until_the_pause_ends(scope_relances):
    r = scope_relances
    client = r.client()
    facture = r.facture(client, echeance=JEUDI - 3 * J)
    pause_create(motif=MotifPause.PROMESSE, client=client, jusqu_au=JEUDI + J)
    planifier(JEUDI)
    assert etapes_de(facture) == []
    planifier(JEUDI + 4 * J)  # Monday: the pause ended on Friday
    assert etapes_de(facture) == [1]


def test_pausing_withdraws_the_invoice_from_a_send_not_yet_gone(scope_relances):
    r = scope_relances
    client = r.client()
    f1 = r.facture(client, echeance=JEUDI - 2 * J)
    f2 = r.facture(client, echeance=JEUDI - 2 * J)
    planifier(JEUDI)
    pause_create(motif=MotifPause.LITIGE, facture=f1)
    envoi = Envoi.objects.get(client=client)
    assert envoi.statut == StatutEnvoi.PRET
    assert list(envoi.relances.filter(statut=StatutRelance.PLANIFIEE).values_list("facture_id", flat=True)) == [f2.pk]
    pause_create(motif=MotifPause.LITIGE, facture=f2)
    envoi.refresh_from_db()
    assert envoi.statut == StatutEnvoi.ANNULE


def test_a_client_without_a_reachable_contact_gets_a_task_instead(scope_relances):
    r = scope_relances
    client = ClientFactory(commercial=r.commercial)  # no address, no contact
    ContactFactory(client=client, email="parti@client.example", email_invalide=True)
    ContactFactory(client=client, email="non@client.example", opt_out=True)
    facture = r.facture(client, echeance=JEUDI - 2 * J)
    resultat = planifier(JEUDI)
    assert (resultat.envois, resultat.taches) == (0, 1)
    tache = Tache.objects.get()
    assert (tache.type, tache.client_id, tache.assigne_a_id) == (TypeTache.SANS_CONTACT, client.pk, r.charge.pk)
    planifier(JEUDI + J)
    assert Tache.objects.count() == 1, "one open task at a time"
    ContactFactory(client=client, email="nouveau@client.example")
    planifier(JEUDI + 4 * J)
    assert Envoi.objects.get(client=client).relances.get().facture_id == facture.pk


def test_assignment_rules_forced_scenarios_and_the_default(scope_relances):
    r = scope_relances
    doux = creer_scenario("Grand compte", [("Appel", 20, Canal.APPEL, "aimable", False, [], [], [])])
    cede = creer_scenario(
        "Affacturage", [("Rappel affacturé", 5, Canal.EMAIL, "ferme", False, ["comptabilite"], [], [])]
    )
    RegleAffectation.objects.create(ordre=10, nom="Affacturées", scenario=cede, affacturage=True)
    RegleAffectation.objects.create(ordre=20, nom="Grands comptes", scenario=doux, categories=["grand_compte"])
    grand = r.client(categorie="grand_compte")
    pme = r.client()
    impose = r.client()
    ScenarioImpose.objects.create(client=impose, scenario=doux)
    f_grand = r.facture(grand, echeance=JEUDI - 21 * J)
    f_cedee = r.facture(grand, echeance=JEUDI - 6 * J, support_paiement="affacturage", affactureur="Factor SA")
    f_pme = r.facture(pme, echeance=JEUDI - 21 * J)
    f_impose = r.facture(impose, echeance=JEUDI - 21 * J)
    f_facture_imposee = r.facture(impose, echeance=JEUDI - 6 * J)
    ScenarioImpose.objects.create(facture=f_facture_imposee, scenario=cede)
    planifier(JEUDI)
    scenario_de = {r_.facture_id: r_.etape.scenario.nom for r_ in Relance.objects.select_related("etape__scenario")}
    assert scenario_de == {
        f_grand.pk: "Grand compte",
        f_cedee.pk: "Affacturage",
        f_pme.pk: "Standard",
        f_impose.pk: "Grand compte",
        f_facture_imposee.pk: "Affacturage",
    }


def test_rules_on_amount_outstanding_and_seniority(scope_relances):
    r = scope_relances
    special = creer_scenario("Spécial", [("Tôt", 3, Canal.EMAIL, "ferme", False, ["comptabilite"], [], [])])
    RegleAffectation.objects.create(
        ordre=1, nom="Gros encours récents", scenario=special, encours_min=5000, anciennete_max_mois=12
    )
    nouveau = r.client(date_debut_relation=JEUDI - 100 * J)
    ancien = r.client(date_debut_relation=JEUDI - 800 * J)
    f_nouveau = r.facture(nouveau, echeance=JEUDI - 3 * J, ttc="6000.00")
    f_ancien = r.facture(ancien, echeance=JEUDI - 3 * J, ttc="6000.00")
    f_petit = r.facture(r.client(date_debut_relation=JEUDI - 100 * J), echeance=JEUDI - 3 * J, ttc="100.00")
    planifier(JEUDI)
    assert etapes_de(f_nouveau) == [3]
    assert etapes_de(f_ancien) == [1]
    assert etapes_de(f_petit) == [1]


def test_planning_twice_creates_nothing_twice(scope_relances):
    r = scope_relances
    for jours in (2, 16, 31, 46):
        r.facture(r.client(), echeance=JEUDI - jours * J)
    premier = planifier(JEUDI)
    second = planifier(JEUDI)
    assert (premier.relances, premier.envois) == (4, 4)
    assert (second.relances, second.envois) == (0, 0)
    assert Relance.objects.count() == 4


def test_relancer_maintenant_sends_the_next_step_now(scope_relances):
    r = scope_relances
    client = r.client()
    facture = r.facture(client, echeance=JEUDI - 3 * J)
    planifier(JEUDI - 2 * J)  # J+1
    Envoi.objects.update(statut=StatutEnvoi.ENVOYE)
    envoi = client_relancer_maintenant(client_id=client.pk, jour=JEUDI)
    assert etapes_de(facture) == [1, 15]
    assert envoi.etape.decalage_jours == 15


@pytest.mark.django_db(transaction=True)
def test_two_planners_in_two_processes_create_nothing_twice(relances):
    r = relances
    with r.tenant.scope():
        for jours in (2, 16, 31, 46, 3, 17):
            r.facture(r.client(), echeance=JEUDI - jours * J)
    settings = connection.settings_dict
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="recouvrement.settings.test",
        DATABASE_URL=f"postgres://{settings['USER']}:{settings['PASSWORD']}@{settings['HOST']}:{settings['PORT']}/"
        f"{settings['NAME']}",
    )
    commande = [
        sys.executable,
        "manage.py",
        "relances_planifier",
        "--organisation",
        str(r.tenant.organisation.pk),
        "--date",
        JEUDI.isoformat(),
    ]
    racine = Path(__file__).resolve().parents[2]
    processus = [
        subprocess.Popen(commande, cwd=racine, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    sorties = [p.communicate(timeout=120) for p in processus]
    assert [p.returncode for p in processus] == [0, 0], sorties
    with organisation_scope(r.tenant.organisation):
        assert Relance.objects.count() == 6
        assert Envoi.objects.count() == 6
        assert Relance.objects.values("facture_id", "etape_id").distinct().count() == 6


def test_a_rule_on_the_factors_approved_limit(scope_relances):
    r = scope_relances
    hors = creer_scenario("Hors agrément", [("Vite", 2, Canal.EMAIL, "ferme", False, ["comptabilite"], [], [])])
    RegleAffectation.objects.create(ordre=1, nom="Au-delà de l'agrément", scenario=hors, depassement_agrement=True)
    au_dela = r.client(affactureur="Factor SA", agrement_affacturage=1000)
    en_deca = r.client(affactureur="Factor SA", agrement_affacturage=100000)
    f1 = r.facture(au_dela, echeance=JEUDI - 2 * J, ttc="5000.00")
    f2 = r.facture(en_deca, echeance=JEUDI - 2 * J, ttc="5000.00")
    planifier(JEUDI)
    assert etapes_de(f1) == [2]
    assert etapes_de(f2) == [1]


def test_a_rule_on_the_credit_limit(scope_relances):
    r = scope_relances
    serre = creer_scenario("Plafond dépassé", [("Vite", 2, Canal.EMAIL, "ferme", False, ["comptabilite"], [], [])])
    RegleAffectation.objects.create(ordre=1, nom="Au-delà du plafond", scenario=serre, depassement_plafond=True)
    au_dela = r.client(plafond_credit=4000)
    en_deca = r.client(plafond_credit=100000)
    sans_plafond = r.client()
    f1 = r.facture(au_dela, echeance=JEUDI - 2 * J, ttc="5000.00")
    f2 = r.facture(en_deca, echeance=JEUDI - 2 * J, ttc="5000.00")
    f3 = r.facture(sans_plafond, echeance=JEUDI - 2 * J, ttc="5000.00")
    planifier(JEUDI)
    assert etapes_de(f1) == [2]
    assert etapes_de(f2) == [1]
    assert etapes_de(f3) == [1]


def test_a_new_organisation_gets_the_three_ready_scenarios_and_their_rules(client, db):
    from recouvrement.tenancy.models import Organisation
    from relances.models import Scenario

    client.post(
        "/inscription/",
        {
            "raison_sociale": "Neuve SAS",
            "siren": "732829320",
            "first_name": "A",
            "last_name": "B",
            "email": "neuve@exemple.fr",
            "password": "motdepasse-solide-2026",
        },
    )
    with organisation_scope(Organisation.objects.get(raison_sociale="Neuve SAS")):
        noms = set(Scenario.objects.values_list("nom", flat=True))
        assert noms == {"Standard", "Grand compte", "Affacturage"}
        assert Scenario.objects.get(par_defaut=True).nom == "Standard"
        assert list(Scenario.objects.get(nom="Standard").etapes.values_list("decalage_jours", flat=True)) == [
            -10,
            1,
            15,
            30,
            45,
        ]
        assert RegleAffectation.objects.count() == 2
