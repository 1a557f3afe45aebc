"""The dispute workflow: allowed and refused moves, resolutions by credit note (full and
partial) and by rejection, checked against the dunning planning."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from clients.models import Evenement
from factures.models import Facture, Lettrage, Nature, Statut
from litiges.models import StatutLitige
from litiges.services import litige_ouvrir, litige_statut_changer
from recouvrement.core.errors import ApplicationError
from relances.models import Pause, Relance
from relances.services.envoi import envoi_executer, envois_reserver
from relances.services.planification import organisation_planifier

JEUDI = datetime.date(2026, 11, 26)
J = datetime.timedelta(days=1)


def _ouvrir(r, lignes, type="prix"):
    client = lignes[0][0].client
    return litige_ouvrir(client=client, factures=lignes, type=type, description="Contestation", auteur=r.tenant.admin)


@pytest.mark.parametrize(
    ("chemin", "refuse"),
    [
        (["en_cours", "resolu_avoir", "clos"], None),
        (["resolu_rejete", "clos"], None),
        (["en_cours", "resolu_accord", "clos"], None),
        ([], "clos"),  # ouvert → clos: it must be resolved first
        (["en_cours"], "ouvert"),  # no way back
        (["resolu_rejete"], "en_cours"),  # a resolved dispute is not reopened
        (["resolu_rejete", "clos"], "resolu_avoir"),  # closed is final
        (["en_cours"], "en_cours"),
    ],
)
def test_the_workflow_allows_its_moves_and_refuses_the_others(scope_relances, chemin, refuse):
    r = scope_relances
    facture = r.facture(r.client(), echeance=JEUDI, ttc="600.00")
    litige = _ouvrir(r, [(facture, None)])
    for statut in chemin:
        litige = litige_statut_changer(litige=litige, statut=statut, auteur=None)
        assert litige.statut == statut
    if refuse:
        avant = litige.statut
        with pytest.raises(ApplicationError) as erreur:
            litige_statut_changer(litige=litige, statut=refuse, auteur=None)
        assert erreur.value.code == "transition_refusee"
        assert erreur.value.field == "statut"
        assert "ne peut pas passer à" in erreur.value.message
        litige.refresh_from_db()
        assert litige.statut == avant


def test_pauses_are_lifted_when_the_dispute_leaves_the_active_states_not_before(scope_relances):
    r = scope_relances
    facture = r.facture(r.client(), echeance=JEUDI)
    litige = _ouvrir(r, [(facture, None)])
    litige_statut_changer(litige=litige, statut="en_cours", auteur=None)
    assert Pause.objects.get(facture=facture).levee_le is None
    litige_statut_changer(litige=litige, statut="resolu_rejete", auteur=None)
    assert Pause.objects.get(facture=facture).levee_le is not None


def test_rejected_dispute_planning_skips_the_disputed_invoice_then_chases_it_again(scope_relances):
    """Given two overdue invoices of one client, one disputed: the planning reminds only the other;
    once the dispute is rejected, the next planning chases the disputed one too, on its full balance."""
    r = scope_relances
    client = r.client()
    contestee = r.facture(client, echeance=JEUDI - 20 * J, ttc="1200.00")
    autre = r.facture(client, echeance=JEUDI - 20 * J, ttc="480.00")
    litige = _ouvrir(r, [(contestee, Decimal("400.00"))])

    organisation_planifier(jour=JEUDI)
    assert list(Relance.objects.filter(facture=contestee)) == []
    assert Relance.objects.filter(facture=autre).count() == 1

    litige_statut_changer(litige=litige, statut=StatutLitige.RESOLU_REJETE, auteur=None, resolution="Prix conformes")
    contestee.refresh_from_db()
    assert (contestee.reste_du, contestee.statut) == (Decimal("1200.00"), Statut.OUVERTE)
    assert not Facture.objects.filter(nature=Nature.AVOIR).exists()
    organisation_planifier(jour=JEUDI + J)
    relance = Relance.objects.get(facture=contestee)
    assert relance.etape.nom == "Relance ferme"  # the latest due step (J+15), not every step since


def test_a_full_credit_note_closes_the_invoice_and_it_is_never_chased_again(scope_relances):
    r = scope_relances
    client = r.client()
    facture = r.facture(client, echeance=JEUDI - 20 * J, ttc="1200.00")
    litige = _ouvrir(r, [(facture, None)], type="qualite")

    litige_statut_changer(litige=litige, statut=StatutLitige.RESOLU_AVOIR, auteur=r.tenant.admin)

    facture.refresh_from_db()
    assert (facture.reste_du, facture.statut) == (Decimal("0.00"), Statut.PAYEE)
    avoir = Facture.objects.get(nature=Nature.AVOIR)
    # 1200 TTC of which 1000 HT: the credit note reverses the same VAT ratio.
    assert (avoir.montant_ttc, avoir.montant_ht, avoir.montant_tva) == (
        Decimal("1200.00"),
        Decimal("1000.00"),
        Decimal("200.00"),
    )
    assert (avoir.facture_origine_id, avoir.reste_du, avoir.statut) == (facture.pk, Decimal("0.00"), Statut.PAYEE)
    lettrage = Lettrage.objects.get()
    assert (lettrage.facture_id, lettrage.avoir_id, lettrage.montant) == (facture.pk, avoir.pk, Decimal("1200.00"))
    for jour in (JEUDI, JEUDI + J, JEUDI + 30 * J):
        organisation_planifier(jour=jour, forcer=True)
    assert not Relance.objects.filter(facture=facture).exists()
    messages = list(Evenement.objects.filter(client=client).values_list("message", flat=True))
    assert any(f"avoir {avoir.numero} de 1" in m and "200,00" in m for m in messages), messages


def test_partial_dispute_with_partial_credit_note_chases_the_remainder_with_exact_figures(scope_relances):
    """1,200.00 invoiced, 300.00 disputed, 250.00 credited: 950.00 is chased again, and the
    reminder e-mail says so."""
    r = scope_relances
    client = r.client()
    facture = r.facture(client, echeance=JEUDI - 20 * J, ttc="1200.00")
    litige = _ouvrir(r, [(facture, Decimal("300.00"))])
    ligne = litige.lignes.get()
    organisation_planifier(jour=JEUDI)
    assert not Relance.objects.filter(facture=facture).exists()

    litige_statut_changer(
        litige=litige, statut=StatutLitige.RESOLU_AVOIR, auteur=None, montants_avoir={ligne.pk: "250,00"}
    )

    facture.refresh_from_db()
    assert (facture.reste_du, facture.statut) == (Decimal("950.00"), Statut.PARTIELLEMENT_PAYEE)
    avoir = Facture.objects.get(nature=Nature.AVOIR)
    assert (avoir.montant_ttc, avoir.montant_ht, avoir.montant_tva) == (
        Decimal("250.00"),
        Decimal("208.33"),
        Decimal("41.67"),
    )
    vendredi = JEUDI + J
    organisation_planifier(jour=vendredi)
    assert Relance.objects.filter(facture=facture).count() == 1
    with time_machine.travel(datetime.datetime(2026, 11, 27, 10, tzinfo=datetime.UTC), tick=False):
        (envoi_id,) = envois_reserver(jour=vendredi)
        envoi_executer(envoi_id=envoi_id, jour=vendredi)
    (message,) = mail.outbox
    assert "Total dû : 950,00\u00a0€." in message.body


def test_a_credit_note_cannot_exceed_the_disputed_amount(scope_relances):
    r = scope_relances
    facture = r.facture(r.client(), echeance=JEUDI, ttc="1200.00")
    litige = _ouvrir(r, [(facture, Decimal("300.00"))])
    ligne = litige.lignes.get()
    for saisie, code in (("300.01", "avoir_depasse"), ("-5", "avoir_depasse"), ("abc", "montant_invalide")):
        with pytest.raises(ApplicationError) as erreur:
            litige_statut_changer(
                litige=litige, statut=StatutLitige.RESOLU_AVOIR, auteur=None, montants_avoir={ligne.pk: saisie}
            )
        assert (erreur.value.code, erreur.value.field) == (code, "avoirs")
    with pytest.raises(ApplicationError) as erreur:
        litige_statut_changer(
            litige=litige, statut=StatutLitige.RESOLU_AVOIR, auteur=None, montants_avoir={ligne.pk: "0"}
        )
    assert erreur.value.code == "sans_avoir"
    litige.refresh_from_db()
    facture.refresh_from_db()
    assert (litige.statut, facture.reste_du) == (StatutLitige.OUVERT, Decimal("1200.00"))
    assert not Facture.objects.filter(nature=Nature.AVOIR).exists()


def test_commercial_agreement_issues_credit_notes_only_for_the_amounts_given(scope_relances):
    r = scope_relances
    client = r.client()
    f1 = r.facture(client, echeance=JEUDI, ttc="600.00")
    f2 = r.facture(client, echeance=JEUDI, ttc="240.00")
    litige = _ouvrir(r, [(f1, None), (f2, None)])
    l1 = litige.lignes.get(facture=f1)
    litige_statut_changer(
        litige=litige, statut=StatutLitige.RESOLU_ACCORD, auteur=None, montants_avoir={l1.pk: "100.00"}
    )
    f1.refresh_from_db()
    f2.refresh_from_db()
    assert (f1.reste_du, f2.reste_du) == (Decimal("500.00"), Decimal("240.00"))
    assert list(Facture.objects.filter(nature=Nature.AVOIR).values_list("facture_origine_id", "montant_ttc")) == [
        (f1.pk, Decimal("100.00"))
    ]
    assert Pause.objects.filter(levee_le__isnull=True).count() == 0


def test_opening_sets_the_due_date_from_the_organisations_sla(scope_relances):
    from litiges.services import litige_parametres_enregistrer

    r = scope_relances
    facture = r.facture(r.client(), echeance=JEUDI)
    with time_machine.travel(datetime.datetime(2026, 11, 26, 10, tzinfo=datetime.UTC), tick=False):
        defaut = _ouvrir(r, [(facture, Decimal("10.00"))], type="livraison")
        litige_parametres_enregistrer(delais={"livraison": 4}, rappel_jours_avant=1)
        regle = _ouvrir(r, [(facture, Decimal("10.00"))], type="livraison")
        autre_type = _ouvrir(r, [(facture, Decimal("10.00"))], type="autre")
    assert defaut.echeance == datetime.date(2026, 12, 6)  # 10 days by default for a delivery
    assert regle.echeance == datetime.date(2026, 11, 30)
    assert autre_type.echeance == datetime.date(2026, 12, 26)  # 30 days by default


def test_the_default_credit_note_is_capped_by_what_the_invoice_still_owes(scope_relances):
    """1,200.00 disputed in full, then 200.00 paid: « avoir émis » credits 1,000.00 and closes it."""
    from factures.services import lettrage_create, paiement_create

    r = scope_relances
    client = r.client()
    facture = r.facture(client, echeance=JEUDI - 20 * J, ttc="1200.00")
    litige = _ouvrir(r, [(facture, None)])
    paiement = paiement_create(client=client, montant=Decimal("200.00"), date_paiement=JEUDI)
    lettrage_create(facture=facture, paiement=paiement, montant=Decimal("200.00"))

    litige_statut_changer(litige=litige, statut=StatutLitige.RESOLU_AVOIR, auteur=None)

    facture.refresh_from_db()
    assert (facture.reste_du, facture.statut) == (Decimal("0.00"), Statut.PAYEE)
    assert Facture.objects.get(nature=Nature.AVOIR).montant_ttc == Decimal("1000.00")
