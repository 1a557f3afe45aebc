"""Escalation to litigation: the claim (hand-computed), the pauses and the planning,
closing with or without resuming dunning, double escalation, the formal-notice rule."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from clients.models import Evenement
from contentieux import error_codes
from contentieux.models import DossierContentieux, LigneDossier, StatutDossier
from contentieux.selectors import dossier_contenu
from contentieux.services import dossier_clore, dossier_ouvrir, dossier_relances_reprendre, dossier_transmettre
from factures.models import Statut
from recouvrement.core.errors import ApplicationError
from relances.models import MotifPause, Pause, Relance, StatutRelance, TauxReference
from relances.services.planification import organisation_planifier
from tests.relances.conftest import relance_envoyee

D = datetime.date
JOUR_DOSSIER = D(2026, 11, 20)  # a Friday


@pytest.fixture
def taux_2026(db):
    """Known rates for both half-years of 2026 (ECB rate; statutory = ECB + 10 points)."""
    TauxReference.objects.update_or_create(
        semestre_debut=D(2026, 1, 1), defaults={"taux_bce": Decimal("2.15"), "taux_legal": Decimal("2.62")}
    )
    TauxReference.objects.update_or_create(
        semestre_debut=D(2026, 7, 1), defaults={"taux_bce": Decimal("2.00"), "taux_legal": Decimal("2.50")}
    )


def deux_factures(r):
    client = r.client()
    a = r.facture(client, echeance=D(2026, 5, 31), ttc="1200.00", numero="FA-A")
    b = r.facture(client, echeance=D(2026, 3, 15), ttc="2500.00", numero="FA-B")
    b.reste_du = Decimal("2000.00")
    b.statut = Statut.PARTIELLEMENT_PAYEE
    b.save(update_fields=["reste_du", "statut"])
    return client, a, b


def test_the_claim_matches_a_hand_computed_case(scope_relances, taux_2026):
    r = scope_relances
    # Given two invoices late over both half-years of 2026: A (1 200,00 due 31/05) and
    # B (2 500,00 due 15/03, of which 2 000,00 still due)
    client, a, b = deux_factures(r)
    # When they are escalated on 20/11/2026
    dossier = dossier_ouvrir(client=client, factures=[a, b], destination="avocat", auteur=None, jour=JOUR_DOSSIER)
    creance = dossier_contenu(dossier=dossier).creance
    # Then, by hand (exact/exact, one rounding per half-year segment):
    #   B: 16/03–30/06 = 107 d at 12.15 %: 2000 × 12.15 × 107 / 36500 = 71.2356… → 71.24
    #      01/07–20/11 = 143 d at 12.00 %: 2000 × 12.00 × 143 / 36500 = 94.0274… → 94.03
    #   A: 01/06–30/06 =  30 d at 12.15 %: 1200 × 12.15 ×  30 / 36500 = 11.9836… → 11.98
    #      01/07–20/11 = 143 d at 12.00 %: 1200 × 12.00 × 143 / 36500 = 56.4164… → 56.42
    assert [f.numero for f in creance.factures] == ["FA-B", "FA-A"]  # by due date
    b_calc, a_calc = creance.factures
    assert [(s.jours, s.taux, s.interets) for s in b_calc.segments] == [
        (107, Decimal("12.15"), Decimal("71.24")),
        (143, Decimal("12.00"), Decimal("94.03")),
    ]
    assert [(s.jours, s.taux, s.interets) for s in a_calc.segments] == [
        (30, Decimal("12.15"), Decimal("11.98")),
        (143, Decimal("12.00"), Decimal("56.42")),
    ]
    assert b_calc.interets == Decimal("165.27")
    assert a_calc.interets == Decimal("68.40")
    assert creance.total_principal == Decimal("3200.00")
    assert creance.total_interets == Decimal("233.67")
    assert creance.total_indemnites == Decimal("80.00")
    assert creance.total == Decimal("3513.67")
    # The principal is the one at the escalation: a later payment does not change the claim.
    b.reste_du = Decimal("500.00")
    b.save(update_fields=["reste_du"])
    contenu = dossier_contenu(dossier=DossierContentieux.objects.get(pk=dossier.pk))
    assert contenu.creance.total == Decimal("3513.67")
    assert contenu.encaisse_depuis == Decimal("1500.00")


def test_escalation_pauses_only_those_invoices_and_the_planning_stops_chasing_them(scope_relances):
    r = scope_relances
    client = r.client()
    f1 = r.facture(client, echeance=D(2026, 10, 1))
    f2 = r.facture(client, echeance=D(2026, 11, 1))
    f3 = r.facture(client, echeance=D(2026, 11, 1))
    autre = r.client()
    f4 = r.facture(autre, echeance=D(2026, 11, 1))
    # Given reminders planned for every invoice
    organisation_planifier(jour=D(2026, 11, 19))
    planifiees = Relance.objects.filter(statut=StatutRelance.PLANIFIEE)
    assert set(planifiees.values_list("facture_id", flat=True)) == {f1.pk, f2.pk, f3.pk, f4.pk}
    # When f1 and f2 go to litigation
    dossier = dossier_ouvrir(
        client=client, factures=[f1, f2], destination="societe_recouvrement", auteur=r.charge.user, jour=D(2026, 11, 19)
    )
    # Then they, and only they, are paused (motif contentieux, created by this dossier)
    pauses = Pause.objects.filter(levee_le__isnull=True)
    assert sorted(pauses.values_list("facture_id", "client_id", "motif", "origine")) == sorted(
        [
            (f1.pk, None, MotifPause.CONTENTIEUX, f"contentieux:{dossier.pk}"),
            (f2.pk, None, MotifPause.CONTENTIEUX, f"contentieux:{dossier.pk}"),
        ]
    )
    # their pending reminders are withdrawn, the others stay
    assert set(planifiees.values_list("facture_id", flat=True)) == {f3.pk, f4.pk}
    assert set(Relance.objects.filter(statut=StatutRelance.ANNULEE).values_list("facture_id", flat=True)) == {
        f1.pk,
        f2.pk,
    }
    # and the planning of later days no longer chases them (f3 reaches a new step on 03/12)
    organisation_planifier(jour=D(2026, 12, 3))
    assert not Relance.objects.filter(facture__in=[f1, f2]).exclude(statut=StatutRelance.ANNULEE).exists()
    assert Relance.objects.filter(facture=f3, statut=StatutRelance.PLANIFIEE, etape__decalage_jours=30).exists()
    # The timeline says so
    assert Evenement.objects.filter(client=client, type="contentieux.ouvert").count() == 1
    assert LigneDossier.objects.filter(dossier=dossier).count() == 2


def test_closing_keeps_the_invoices_out_of_dunning_unless_asked(scope_relances):
    r = scope_relances
    client = r.client()
    f1 = r.facture(client, echeance=D(2026, 10, 1))
    f2 = r.facture(client, echeance=D(2026, 10, 1))
    d1 = dossier_ouvrir(client=client, factures=[f1], destination="avocat", auteur=None, jour=JOUR_DOSSIER)
    d2 = dossier_ouvrir(client=client, factures=[f2], destination="avocat", auteur=None, jour=JOUR_DOSSIER)
    dossier_transmettre(dossier=d1, auteur=None, intervenant="Cabinet Lex", reference="LX-42")
    d1 = dossier_clore(dossier=d1, auteur=None, issue="irrecouvrable")
    d2 = dossier_clore(dossier=d2, auteur=None, issue="accord", reprendre_relances=True)
    assert d1.statut == d2.statut == StatutDossier.CLOS
    actives = Pause.objects.filter(levee_le__isnull=True)
    assert list(actives.values_list("facture_id", flat=True)) == [f1.pk]
    organisation_planifier(jour=D(2026, 12, 3))
    assert not Relance.objects.filter(facture=f1).exists()
    assert Relance.objects.filter(facture=f2, statut=StatutRelance.PLANIFIEE).exists()
    # Resuming later, once
    dossier_relances_reprendre(dossier=d1, auteur=None)
    assert not actives.exists()
    with pytest.raises(ApplicationError) as erreur:
        dossier_relances_reprendre(dossier=d1, auteur=None)
    assert erreur.value.code == error_codes.DEJA_REPRIS
    with pytest.raises(ApplicationError):
        dossier_clore(dossier=d1, auteur=None, issue="recouvre")


def test_an_invoice_is_in_one_active_dossier_at_a_time(scope_relances):
    r = scope_relances
    client = r.client()
    f1 = r.facture(client, echeance=D(2026, 10, 1))
    dossier = dossier_ouvrir(client=client, factures=[f1], destination="avocat", auteur=None, jour=JOUR_DOSSIER)
    with pytest.raises(ApplicationError) as erreur:
        dossier_ouvrir(client=client, factures=[f1], destination="avocat", auteur=None, jour=JOUR_DOSSIER)
    assert erreur.value.code == error_codes.FACTURE_INVALIDE
    # Once the dossier is closed the invoice may go again
    dossier_clore(dossier=dossier, auteur=None, issue="abandonne")
    dossier_ouvrir(client=client, factures=[f1], destination="commissaire", auteur=None, jour=JOUR_DOSSIER)


def test_only_open_overdue_invoices_of_the_client(scope_relances):
    r = scope_relances
    client = r.client()
    pas_echue = r.facture(client, echeance=D(2026, 12, 31))
    d_un_autre = r.facture(r.client(), echeance=D(2026, 10, 1))
    for facture in (pas_echue, d_un_autre):
        with pytest.raises(ApplicationError) as erreur:
            dossier_ouvrir(client=client, factures=[facture], destination="avocat", auteur=None, jour=JOUR_DOSSIER)
        assert erreur.value.code == error_codes.FACTURE_INVALIDE
    assert not DossierContentieux.objects.exists()
    assert not Pause.objects.exists()


def test_an_injonction_de_payer_expects_a_formal_notice(scope_relances):
    r = scope_relances
    client = r.client()
    f1 = r.facture(client, echeance=D(2026, 9, 1))
    with pytest.raises(ApplicationError) as erreur:
        dossier_ouvrir(client=client, factures=[f1], destination="injonction", auteur=None, jour=JOUR_DOSSIER)
    assert erreur.value.code == error_codes.MISE_EN_DEMEURE_ATTENDUE
    assert not Pause.objects.exists()
    # Confirmed: it goes, and the dossier remembers it went without one
    dossier = dossier_ouvrir(
        client=client,
        factures=[f1],
        destination="injonction",
        auteur=None,
        jour=JOUR_DOSSIER,
        sans_mise_en_demeure_confirme=True,
    )
    assert dossier.sans_mise_en_demeure is True
    # With a formal notice sent, no confirmation is needed
    f2 = r.facture(client, echeance=D(2026, 9, 1))
    relance_envoyee(r, f2, "Mise en demeure", le=datetime.datetime(2026, 11, 2, 9, tzinfo=datetime.UTC))
    autre = dossier_ouvrir(client=client, factures=[f2], destination="injonction", auteur=None, jour=JOUR_DOSSIER)
    assert autre.sans_mise_en_demeure is False
