"""The three ready scenarios: valid templates in both languages, the steps a credit manager expects."""

from __future__ import annotations

import pytest

from clients.models import Categorie
from relances.gabarits import contexte_exemple, gabarit_rendre, gabarit_valider
from relances.models import Canal, Etape, RoleContact, RoleInterne, Ton
from relances.scenarios_defaut import (
    MENTION_AFFACTURAGE,
    REGLES_DEFAUT,
    SCENARIOS_DEFAUT,
    modeles_defaut,
    scenario_defaut,
)

MODELES = list(modeles_defaut())


@pytest.mark.parametrize(
    ("scenario", "etape", "langue", "modele"),
    MODELES,
    ids=[f"{s.nom}-J{e.decalage_jours:+d}-{langue}" for s, e, langue, _m in MODELES],
)
def test_every_default_template_is_valid_and_renders_with_sample_data(scenario, etape, langue, modele):
    gabarit_valider(sujet=modele.sujet, corps=modele.corps)

    rendu = gabarit_rendre(
        sujet=modele.sujet,
        corps=modele.corps,
        contexte=contexte_exemple(langue=langue, mention_affacturage=scenario.mention_affacturage),
        langue=langue,
    )

    assert rendu.sujet
    assert "\n" not in rendu.sujet
    assert "{{" not in rendu.texte
    assert "{%" not in rendu.texte
    assert "F2026-0412" in rendu.texte  # the invoices are listed
    assert "<table" in rendu.corps_html
    assert "Camille Bernard" in rendu.texte  # signed


def test_every_message_step_has_french_and_english_templates_and_every_call_a_script():
    for scenario in SCENARIOS_DEFAUT:
        for etape in scenario.etapes:
            if etape.canal in (Canal.EMAIL, Canal.COURRIER):
                assert set(etape.modeles) == {"fr", "en"}, (scenario.nom, etape.nom)
                for modele in etape.modeles.values():
                    assert "{{ tableau_factures }}" in modele.corps
                    assert len(modele.sujet) <= 300
            else:
                assert not etape.modeles, (scenario.nom, etape.nom)
                assert etape.script_appel.strip(), (scenario.nom, etape.nom)
            if etape.tache_appel:
                assert etape.script_appel.strip()


def test_offsets_are_unique_and_increasing_in_each_scenario():
    for scenario in SCENARIOS_DEFAUT:
        decalages = [etape.decalage_jours for etape in scenario.etapes]
        assert decalages == sorted(set(decalages)), scenario.nom
        assert decalages[0] == -10  # a preventive reminder first


def test_the_steps_fit_the_model():
    for scenario in SCENARIOS_DEFAUT:
        for etape in scenario.etapes:
            Etape(
                nom=etape.nom,
                decalage_jours=etape.decalage_jours,
                canal=etape.canal,
                ton=etape.ton,
                necessite_validation=etape.necessite_validation,
                contacts_a=list(etape.contacts_a),
                contacts_cc=list(etape.contacts_cc),
                internes_cc=list(etape.internes_cc),
                internes_cci=list(etape.internes_cci),
            ).clean()
            assert etape.canal in Canal.values
            assert etape.ton in Ton.values
            assert len(etape.nom) <= 100


def test_one_default_scenario_and_rules_that_name_existing_ones():
    assert [s.nom for s in SCENARIOS_DEFAUT if s.par_defaut] == ["Standard"]
    assert len({s.nom for s in SCENARIOS_DEFAUT}) == len(SCENARIOS_DEFAUT)
    noms = {s.nom for s in SCENARIOS_DEFAUT}
    assert [(r.ordre, r.scenario) for r in REGLES_DEFAUT] == [(10, "Affacturage"), (20, "Grand compte")]
    for regle in REGLES_DEFAUT:
        assert regle.scenario in noms
        assert set(regle.categories) <= set(Categorie.values)
    assert REGLES_DEFAUT[0].affacturage is True
    assert REGLES_DEFAUT[0].categories == ()
    assert set(REGLES_DEFAUT[1].categories) == {Categorie.GRAND_COMPTE, Categorie.SECTEUR_PUBLIC}
    assert REGLES_DEFAUT[1].affacturage is None


def test_the_standard_scenario():
    etapes = scenario_defaut("Standard").etapes

    assert [(e.decalage_jours, e.canal, e.ton) for e in etapes] == [
        (-10, Canal.EMAIL, Ton.COURTOIS),
        (1, Canal.EMAIL, Ton.AIMABLE),
        (15, Canal.EMAIL, Ton.FERME),
        (30, Canal.EMAIL, Ton.TRES_FERME),
        (45, Canal.COURRIER, Ton.MISE_EN_DEMEURE),
    ]
    preventive, rappel, ferme, dernier, mise_en_demeure = etapes
    for etape in (preventive, rappel):
        assert etape.contacts_a == (RoleContact.COMPTABILITE,)
        assert etape.contacts_cc == ()
        assert etape.internes_cc == ()
    assert ferme.contacts_a == (RoleContact.COMPTABILITE,)
    assert ferme.contacts_cc == (RoleContact.ACHATS,)
    assert dernier.contacts_a == (RoleContact.COMPTABILITE, RoleContact.SIGNATAIRE)
    assert dernier.contacts_cc == (RoleContact.ACHATS,)
    assert dernier.internes_cc == (RoleInterne.COMMERCIAL,)
    assert set(mise_en_demeure.internes_cc) == {RoleInterne.DAF, RoleInterne.COMMERCIAL}
    assert mise_en_demeure.necessite_validation
    assert mise_en_demeure.tache_appel
    assert mise_en_demeure.envoyer_courrier_par_email
    assert not any(e.necessite_validation for e in etapes[:-1])


def test_the_key_account_scenario_calls_before_it_writes_firmly():
    etapes = scenario_defaut("Grand compte").etapes

    assert [(e.decalage_jours, e.canal) for e in etapes] == [
        (-10, Canal.EMAIL),
        (5, Canal.EMAIL),
        (20, Canal.APPEL),
        (35, Canal.EMAIL),
        (60, Canal.COURRIER),
    ]
    assert set(etapes[3].internes_cc) == {RoleInterne.COMMERCIAL, RoleInterne.CHEF_PROJET}
    assert RoleInterne.DAF in etapes[4].internes_cc
    assert etapes[4].necessite_validation
    assert etapes[4].ton == Ton.MISE_EN_DEMEURE


def test_the_factoring_scenario_escalates_earlier_and_always_names_the_factor():
    scenario = scenario_defaut("Affacturage")

    assert [(e.decalage_jours, e.canal) for e in scenario.etapes] == [
        (-10, Canal.EMAIL),
        (1, Canal.EMAIL),
        (10, Canal.EMAIL),
        (20, Canal.EMAIL),
        (30, Canal.COURRIER),
    ]
    assert RoleInterne.DAF in scenario.etapes[3].internes_cc
    assert scenario.etapes[4].necessite_validation
    assert scenario.mention_affacturage == MENTION_AFFACTURAGE
    assert "exclusivement" in MENTION_AFFACTURAGE
    assert "compte" in MENTION_AFFACTURAGE
    contexte = contexte_exemple(mention_affacturage=scenario.mention_affacturage)
    for etape in scenario.etapes:
        for langue, modele in etape.modeles.items():
            assert "{{ affacturage.mention }}" in modele.corps
            rendu = gabarit_rendre(sujet=modele.sujet, corps=modele.corps, contexte=contexte, langue=langue)
            assert MENTION_AFFACTURAGE in rendu.texte
            assert "Factor Exemple SA" in rendu.texte
            # Paid to the factor: our own bank account must not appear.
            assert contexte["organisation"]["iban"] not in rendu.texte


@pytest.mark.parametrize("nom", ["Standard", "Grand compte", "Affacturage"])
@pytest.mark.parametrize("langue", ["fr", "en"])
def test_the_formal_notice_states_the_law_the_penalties_and_eight_days(nom, langue):
    etape = scenario_defaut(nom).etapes[-1]
    modele = etape.modeles[langue]

    rendu = gabarit_rendre(
        sujet=modele.sujet, corps=modele.corps, contexte=contexte_exemple(langue=langue), langue=langue
    )

    assert etape.canal == Canal.COURRIER
    assert etape.ton == Ton.MISE_EN_DEMEURE
    assert "L441-10" in rendu.texte
    assert ("40 €" if langue == "fr" else "€40") in rendu.texte
    assert ("huit (8) jours" if langue == "fr" else "eight (8) days") in rendu.texte
    assert ("Pénalités de retard" if langue == "fr" else "Late-payment interest") in rendu.texte
    assert "F2026-0457" in rendu.texte
