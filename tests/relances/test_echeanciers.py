"""Payment plans: the split, the pauses against the planning, payments allocated to
installments, missed installments (reminders once, caught up, broken), completion,
cancellation, the agreement PDF and its e-mail, and the client sheet's tab."""

from __future__ import annotations

import datetime
import subprocess
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from factures.services import lettrage_annuler, lettrage_create, paiement_create
from recouvrement.celery import app
from recouvrement.core.errors import ApplicationError
from recouvrement.tenancy.models import Role
from relances.models import (
    Echeancier,
    Frequence,
    MessageEcheancier,
    MotifPause,
    Pause,
    Relance,
    StatutEcheancier,
    StatutMessageEcheancier,
    StatutTache,
    StatutVersement,
    Tache,
    TypeMessageEcheancier,
)
from relances.services.echeanciers import (
    calendrier_calculer,
    echeancier_annuler,
    echeancier_create,
    echeancier_envoyer,
    echeancier_pdf,
    echeanciers_imputer,
    echeanciers_suivre,
    message_echeancier_envoyer,
)
from relances.services.planification import organisation_planifier
from tests.conftest import compter_requetes
from tests.smtp import pieces_jointes, texte

UTC = datetime.UTC
J = datetime.timedelta(days=1)
D = datetime.date


def a(jour: datetime.date, heure: int = 10):
    """Frozen time on ``jour`` at ``heure`` (UTC; Paris is one hour ahead in winter)."""
    return time_machine.travel(datetime.datetime(jour.year, jour.month, jour.day, heure, tzinfo=UTC), tick=False)


def etapes_de(facture):
    return sorted(Relance.objects.filter(facture=facture).values_list("decalage_jours", flat=True))


def payer(client, facture, montant: str, jour: datetime.date):
    with a(jour, 12):
        paiement = paiement_create(client=client, montant=Decimal(montant), date_paiement=jour)
        return lettrage_create(facture=facture, paiement=paiement, montant=Decimal(montant))


def versements(echeancier):
    return [
        (v.numero, v.date_echeance, v.principal, v.interets, v.montant, v.montant_paye, v.statut)
        for v in echeancier.versements.order_by("numero")
    ]


# --- The split ---------------------------------------------------------------------------


def test_equal_split_rounds_down_and_the_last_takes_the_remainder():
    lignes = calendrier_calculer(total=Decimal("1000.00"), debut=D(2026, 12, 1), nombre=3, premiere_date=D(2027, 1, 31))
    assert [(ligne.date_echeance, ligne.principal, ligne.interets) for ligne in lignes] == [
        (D(2027, 1, 31), Decimal("333.33"), Decimal("0.00")),
        (D(2027, 2, 28), Decimal("333.33"), Decimal("0.00")),  # 31 January + 1 month
        (D(2027, 3, 31), Decimal("333.34"), Decimal("0.00")),
    ]


def test_interest_on_the_declining_balance_for_the_exact_days():
    # 12 % a year: 1000.00 × 0.12 × 31/365 = 10.19; 666.67 × 0.12 × 31/365 = 6.79;
    # 333.34 × 0.12 × 28/365 = 3.07.
    lignes = calendrier_calculer(
        total=Decimal("1000.00"),
        debut=D(2026, 12, 1),
        nombre=3,
        premiere_date=D(2027, 1, 1),
        taux_annuel=Decimal("12"),
    )
    assert [(ligne.principal, ligne.interets, ligne.montant) for ligne in lignes] == [
        (Decimal("333.33"), Decimal("10.19"), Decimal("343.52")),
        (Decimal("333.33"), Decimal("6.79"), Decimal("340.12")),
        (Decimal("333.34"), Decimal("3.07"), Decimal("336.41")),
    ]


def test_weekly_dates():
    lignes = calendrier_calculer(
        total=Decimal("100.00"),
        debut=D(2026, 12, 1),
        nombre=3,
        premiere_date=D(2026, 12, 4),
        frequence=Frequence.HEBDOMADAIRE,
    )
    assert [ligne.date_echeance for ligne in lignes] == [D(2026, 12, 4), D(2026, 12, 11), D(2026, 12, 18)]


@pytest.mark.parametrize(
    ("dates", "montants", "code"),
    [
        ([D(2027, 1, 5), D(2027, 2, 5)], ["600.00", "300.00"], "somme_incorrecte"),
        ([D(2027, 2, 5), D(2027, 1, 5)], ["500.00", "500.00"], "dates_desordonnees"),
        ([D(2027, 1, 5), D(2027, 2, 5)], ["1000.00", "0.00"], "montants_invalides"),
        ([D(2026, 11, 5), D(2027, 2, 5)], ["500.00", "500.00"], "date_passee"),
    ],
)
def test_explicit_schedules_are_checked(dates, montants, code):
    with pytest.raises(ApplicationError) as erreur:
        calendrier_calculer(
            total=Decimal("1000.00"), debut=D(2026, 12, 1), dates=dates, montants=[Decimal(m) for m in montants]
        )
    assert erreur.value.code == code


def test_explicit_amounts_are_kept():
    lignes = calendrier_calculer(
        total=Decimal("1000.00"),
        debut=D(2026, 12, 1),
        dates=[D(2027, 1, 5), D(2027, 2, 5)],
        montants=[Decimal("700.00"), Decimal("300.00")],
    )
    assert [ligne.principal for ligne in lignes] == [Decimal("700.00"), Decimal("300.00")]


# --- Creation, pauses, planning ----------------------------------------------------------

CREATION = D(2026, 12, 1)  # a Tuesday


PREMIERE = D(2026, 12, 10)


def plan(r, client, factures, *, nombre=3, premiere=PREMIERE, taux=None, jour=CREATION):
    with a(jour, 9):
        return echeancier_create(
            client=client,
            factures=factures,
            cree_par=r.charge,
            nombre=nombre,
            premiere_date=premiere,
            taux_annuel=taux,
        )


def test_a_plan_pauses_its_invoices_in_the_planning_while_the_other_invoice_is_chased(scope_relances):
    r = scope_relances
    client = r.client()
    dans_le_plan = r.facture(client, echeance=CREATION - 20 * J, ttc="600.00")
    autre = r.facture(client, echeance=CREATION - 20 * J, ttc="300.00")
    echeancier = plan(r, client, [dans_le_plan])
    assert echeancier.montant_principal == Decimal("600.00")
    assert versements(echeancier) == [
        (1, D(2026, 12, 10), Decimal("200.00"), Decimal("0.00"), Decimal("200.00"), Decimal("0.00"), "a_venir"),
        (2, D(2027, 1, 10), Decimal("200.00"), Decimal("0.00"), Decimal("200.00"), Decimal("0.00"), "a_venir"),
        (3, D(2027, 2, 10), Decimal("200.00"), Decimal("0.00"), Decimal("200.00"), Decimal("0.00"), "a_venir"),
    ]
    pause = Pause.objects.get(facture=dans_le_plan)
    assert (pause.motif, pause.origine, pause.levee_le) == (MotifPause.ECHEANCIER, f"echeancier:{echeancier.pk}", None)
    organisation_planifier(jour=CREATION)
    assert etapes_de(dans_le_plan) == []
    assert etapes_de(autre) == [15]


def test_an_invoice_is_in_one_running_plan_at_a_time(scope_relances):
    r = scope_relances
    client = r.client()
    facture = r.facture(client, echeance=CREATION - 5 * J)
    plan(r, client, [facture])
    with pytest.raises(ApplicationError) as erreur:
        plan(r, client, [facture])
    assert erreur.value.code == "deja_en_echeancier"


def test_a_plan_withdraws_the_pending_reminders_of_its_invoices(scope_relances):
    r = scope_relances
    client = r.client()
    facture = r.facture(client, echeance=CREATION - 20 * J)
    organisation_planifier(jour=CREATION - J)
    assert Relance.objects.get(facture=facture).statut == "planifiee"
    plan(r, client, [facture])
    assert Relance.objects.get(facture=facture).statut == "annulee"


# --- Allocation -----------------------------------------------------------------------------


def test_payments_are_allocated_to_installments_in_due_date_order(scope_relances):
    r = scope_relances
    client = r.client()
    f1 = r.facture(client, echeance=CREATION - 10 * J, ttc="600.00")
    f2 = r.facture(client, echeance=CREATION - 5 * J, ttc="300.00")
    # A payment allocated before the plan does not count (the plan took the remaining due).
    payer(client, f1, "100.00", CREATION - J)
    echeancier = plan(r, client, [f1, f2])  # 500 + 300 = 800 in 3: 266.66, 266.66, 266.68
    payer(client, f2, "300.00", D(2026, 12, 5))
    payer(client, f1, "100.00", D(2026, 12, 6))
    echeanciers_imputer(jour=D(2026, 12, 6))
    assert [(v[0], v[5], v[6]) for v in versements(echeancier)] == [
        (1, Decimal("266.66"), StatutVersement.PAYE),
        (2, Decimal("133.34"), StatutVersement.A_VENIR),
        (3, Decimal("0.00"), StatutVersement.A_VENIR),
    ]
    assert echeancier.versements.get(numero=1).paye_le == D(2026, 12, 6)
    # A cancelled allocation is taken back; an installment past due and unpaid is late.
    lettrage_annuler(lettrage=f2.lettrages.get())
    echeanciers_imputer(jour=D(2026, 12, 11))
    assert [(v[0], v[5], v[6]) for v in versements(echeancier)] == [
        (1, Decimal("100.00"), StatutVersement.EN_RETARD),
        (2, Decimal("0.00"), StatutVersement.A_VENIR),
        (3, Decimal("0.00"), StatutVersement.A_VENIR),
    ]


def test_a_plan_paid_in_full_is_closed_and_its_pauses_lifted(scope_relances):
    r = scope_relances
    client = r.client()
    facture = r.facture(client, echeance=CREATION - 20 * J, ttc="900.00")
    echeancier = plan(r, client, [facture])
    payer(client, facture, "600.00", D(2026, 12, 20))
    assert echeanciers_imputer(jour=D(2026, 12, 20)) == []
    payer(client, facture, "300.00", D(2027, 1, 20))
    assert echeanciers_imputer(jour=D(2027, 1, 20), facture_ids=[facture.pk]) == [echeancier.pk]
    echeancier.refresh_from_db()
    assert echeancier.statut == StatutEcheancier.TERMINE
    assert Pause.objects.get(facture=facture).levee_le is not None
    assert set(echeancier.versements.values_list("statut", flat=True)) == {StatutVersement.PAYE}


def test_the_signal_of_an_allocation_follows_the_plan(scope_relances, django_capture_on_commit_callbacks):
    """lettrage_create → reglement_enregistre (after commit) → relances.reglements_suivre (run eagerly here)."""
    r = scope_relances
    client = r.client()
    facture = r.facture(client, echeance=CREATION - 20 * J, ttc="300.00")
    echeancier = plan(r, client, [facture], nombre=1)
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            payer(client, facture, "300.00", D(2026, 12, 8))
    finally:
        app.conf.task_always_eager = False
    echeancier.refresh_from_db()
    assert echeancier.statut == StatutEcheancier.TERMINE


def test_cancelling_a_plan_resumes_dunning(scope_relances):
    r = scope_relances
    client = r.client()
    facture = r.facture(client, echeance=CREATION - 20 * J)
    echeancier = plan(r, client, [facture])
    with a(D(2026, 12, 3)):
        echeancier_annuler(echeancier=echeancier)
    echeancier.refresh_from_db()
    assert echeancier.statut == StatutEcheancier.ANNULE
    assert Pause.objects.get(facture=facture).levee_le is not None
    organisation_planifier(jour=D(2026, 12, 3))
    assert etapes_de(facture) == [15]
    with pytest.raises(ApplicationError):
        echeancier_annuler(echeancier=echeancier)


# --- Missed installments -------------------------------------------------------------------
# Installment 1 is due on 10 December; grace 3 days: missed on the 14th (level 1),
# level 2 on the 21st, broken on the 29th.


def suivre_et_envoyer(jour):
    with a(jour):
        suivi = echeanciers_suivre(jour=jour)
        for message_id in suivi.messages:
            message_echeancier_envoyer(message_id=message_id)
    return suivi


def test_a_missed_installment_then_caught_up(scope_relances, smtp):
    r = scope_relances
    client = r.client()
    facture = r.facture(client, echeance=CREATION - 20 * J, ttc="900.00")
    echeancier = plan(r, client, [facture])
    assert suivre_et_envoyer(D(2026, 12, 13)).messages == []  # within the grace period
    assert smtp.boite.messages == []
    suivre_et_envoyer(D(2026, 12, 14))
    suivre_et_envoyer(D(2026, 12, 14))  # the beat again: nothing twice
    assert (len(smtp.boite.messages), smtp.boite.doublons) == (1, 0)
    courriel = smtp.boite.messages[0]
    assert courriel["To"] == f"Claire Compta <compta@{client.pk}.client.example>"
    assert "versement n° 1" in courriel["Subject"]
    assert "300,00" in texte(courriel)
    rappel = MessageEcheancier.objects.get()
    assert (rappel.type, rappel.statut) == (TypeMessageEcheancier.RAPPEL_1, StatutMessageEcheancier.ENVOYE)
    # The client pays installment 1: no level 2, the plan goes on.
    payer(client, facture, "300.00", D(2026, 12, 16))
    suivre_et_envoyer(D(2026, 12, 21))
    suivre_et_envoyer(D(2026, 12, 29))
    assert len(smtp.boite.messages) == 1
    assert MessageEcheancier.objects.count() == 1
    echeancier.refresh_from_db()
    assert echeancier.statut == StatutEcheancier.ACTIF
    assert Pause.objects.get(facture=facture).levee_le is None


def test_a_reminder_whose_installment_was_paid_meanwhile_is_not_sent(scope_relances, smtp):
    r = scope_relances
    client = r.client()
    facture = r.facture(client, echeance=CREATION - 20 * J, ttc="900.00")
    plan(r, client, [facture])
    with a(D(2026, 12, 14)):
        suivi = echeanciers_suivre(jour=D(2026, 12, 14))
    payer(client, facture, "300.00", D(2026, 12, 14))
    with a(D(2026, 12, 14), 13):
        echeanciers_imputer(jour=D(2026, 12, 14))
        message = message_echeancier_envoyer(message_id=suivi.messages[0])
    assert message.statut == StatutMessageEcheancier.ANNULE
    assert smtp.boite.messages == []


def test_missed_to_the_end_the_plan_breaks_and_dunning_resumes(scope_relances, smtp):
    r = scope_relances
    client = r.client()
    facture = r.facture(client, echeance=D(2026, 11, 1), ttc="900.00")
    echeancier = plan(r, client, [facture])
    suivre_et_envoyer(D(2026, 12, 14))
    suivre_et_envoyer(D(2026, 12, 21))
    assert [m["Subject"] for m in smtp.boite.messages] == [
        "Échéancier : versement n° 1 impayé",
        "Échéancier : versement n° 1 toujours impayé, risque de rupture",
    ]
    suivre_et_envoyer(D(2026, 12, 28))
    echeancier.refresh_from_db()
    assert echeancier.statut == StatutEcheancier.ACTIF
    suivi = suivre_et_envoyer(D(2026, 12, 29))
    assert suivi.rompus == [echeancier.pk]
    suivre_et_envoyer(D(2026, 12, 30))
    echeancier.refresh_from_db()
    assert echeancier.statut == StatutEcheancier.ROMPU
    assert len(smtp.boite.messages) == 2
    assert Pause.objects.get(facture=facture).levee_le is not None
    tache = Tache.objects.get(cle=f"echeancier-rompu:{echeancier.pk}")
    assert (tache.assigne_a, tache.statut) == (r.charge, StatutTache.A_FAIRE)
    # Dunning resumes at the invoice's latest due step (J+58: the formal notice, J+45).
    organisation_planifier(jour=D(2026, 12, 29))
    assert etapes_de(facture) == [45]


def test_after_downtime_only_the_latest_level_is_sent(scope_relances, smtp):
    r = scope_relances
    client = r.client()
    facture = r.facture(client, echeance=CREATION - 20 * J, ttc="900.00")
    plan(r, client, [facture])
    suivre_et_envoyer(D(2026, 12, 22))
    assert [m["Subject"] for m in smtp.boite.messages] == [
        "Échéancier : versement n° 1 toujours impayé, risque de rupture"
    ]


# --- The agreement -------------------------------------------------------------------------


def test_the_agreement_pdf_shows_the_schedule(scope_relances):
    r = scope_relances
    client = r.client()
    facture = r.facture(client, echeance=CREATION - 20 * J, ttc="1000.00")
    echeancier = plan(r, client, [facture], premiere=D(2027, 1, 1), taux=Decimal("12"))
    with a(CREATION):
        pdf = echeancier_pdf(echeancier=echeancier)
    texte = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    texte = texte.decode().replace("\u202f", " ").replace("\xa0", " ")
    assert facture.numero in texte
    for attendu in ("343,52", "340,12", "336,41", "1 020,05", "20,05", "01/01/2027", "01/03/2027", "caduc"):
        assert attendu in texte, attendu


def test_sending_the_agreement_goes_once_per_click(scope_relances, smtp):
    r = scope_relances
    client = r.client()
    facture = r.facture(client, echeance=CREATION - 20 * J, ttc="600.00")
    echeancier = plan(r, client, [facture])
    with a(CREATION, 11):
        premier = echeancier_envoyer(echeancier=echeancier, jeton="clic-1")
        assert echeancier_envoyer(echeancier=echeancier, jeton="clic-1").pk == premier.pk  # double submission
        message_echeancier_envoyer(message_id=premier.pk)
        message_echeancier_envoyer(message_id=premier.pk)
    assert (len(smtp.boite.messages), smtp.boite.doublons) == (1, 0)
    assert [nom for nom, _contenu in pieces_jointes(smtp.boite.messages[0])] == [f"echeancier-{echeancier.pk}.pdf"]
    echeancier.refresh_from_db()
    assert echeancier.envoye_le is not None


# --- The client sheet's tab -----------------------------------------------------------------


def _onglet(client_id):
    return reverse("clients:detail", args=[client_id]) + "?onglet=echeancier"


def test_the_tab_query_count_does_not_grow_with_the_data(relances, client):
    r = relances
    r.tenant.login(client)
    with r.tenant.scope():
        petit = r.client()
        grand = r.client()
        plan(r, petit, [r.facture(petit, echeance=CREATION - 20 * J)], nombre=2)
        for _i in range(3):
            plan(r, grand, [r.facture(grand, echeance=CREATION - 20 * J)], nombre=6)
        for _i in range(5):
            r.facture(grand, echeance=CREATION + 20 * J)
    with a(CREATION, 12):
        compter_requetes(client, _onglet(petit.pk))  # warm-up: the session's first queries
        petites = compter_requetes(client, _onglet(petit.pk))
        grandes = compter_requetes(client, _onglet(grand.pk))
    assert petites == grandes


def test_create_from_the_sheet_with_a_preview_first(relances, client):
    r = relances
    r.tenant.login(client)
    with r.tenant.scope():
        c = r.client()
        f1 = r.facture(c, echeance=CREATION - 20 * J, ttc="500.00")
        r.facture(c, echeance=CREATION - 10 * J, ttc="700.00")
    donnees = {
        "factures": [f1.pk],
        "nombre": "2",
        "premiere_date": "2026-12-15",
        "frequence": "mensuelle",
        "taux_annuel": "",
        "note": "",
    }
    with a(CREATION, 12):
        apercu = client.post(reverse("relances:echeancier_apercu", args=[c.pk]), donnees)
        assert apercu.status_code == 200
        assert "250,00" in apercu.content.decode().replace("\xa0", " ").replace("\u202f", " ")
        with r.tenant.scope():
            assert not Echeancier.objects.exists()
        reponse = client.post(reverse("relances:echeancier_creer", args=[c.pk]), donnees)
    assert reponse.status_code == 302
    with r.tenant.scope():
        echeancier = Echeancier.objects.get()
        assert [v.principal for v in echeancier.versements.order_by("numero")] == [
            Decimal("250.00"),
            Decimal("250.00"),
        ]


def test_a_commercial_sees_his_clients_plans_but_cannot_create(relances, client):
    r = relances
    with r.tenant.scope():
        c = r.client(commercial=r.commercial)
        facture = r.facture(c, echeance=CREATION - 20 * J)
        plan(r, c, [facture])
    client.force_login(r.commercial.user)
    with a(CREATION, 12):
        page = client.get(_onglet(c.pk))
        assert page.status_code == 200
        assert "Échéancier n°" in page.content.decode()
        assert 'name="nombre"' not in page.content.decode()
        refus = client.post(
            reverse("relances:echeancier_creer", args=[c.pk]),
            {"factures": [facture.pk], "nombre": "2", "premiere_date": "2026-12-15", "frequence": "mensuelle"},
        )
    assert refus.status_code == 403


def test_another_organisation_cannot_reach_a_plan(relances, tenant_b, client):
    r = relances
    with r.tenant.scope():
        c = r.client()
        echeancier = plan(r, c, [r.facture(c, echeance=CREATION - 20 * J)])
    tenant_b.login(client, role=Role.ADMIN)
    assert client.get(reverse("relances:echeancier_pdf", args=[echeancier.pk])).status_code == 404
    assert client.post(reverse("relances:echeancier_annuler", args=[echeancier.pk])).status_code == 404


def test_the_hourly_beat_job_follows_each_organisation_after_its_sending_hour(
    relances, smtp, django_capture_on_commit_callbacks
):
    """relances.suivis_quotidiens → relances.suivi_quotidien (in the organisation's scope) →
    relances.message_echeancier_envoyer, run eagerly: the level-1 reminder goes once."""
    from relances.tasks import suivis_quotidiens

    r = relances
    with r.tenant.scope():
        client = r.client()
        plan(r, client, [r.facture(client, echeance=CREATION - 20 * J, ttc="900.00")])
    app.conf.task_always_eager = True
    try:
        with a(D(2026, 12, 14), 7), django_capture_on_commit_callbacks(execute=True):  # 08:00 in Paris
            assert suivis_quotidiens() == 0
        for heure in (9, 10):  # 10:00 and 11:00 in Paris: after the sending hour (09:00), twice
            with a(D(2026, 12, 14), heure), django_capture_on_commit_callbacks(execute=True):
                assert suivis_quotidiens() == 1
    finally:
        app.conf.task_always_eager = False
    assert [m["Subject"] for m in smtp.boite.messages] == ["Échéancier : versement n° 1 impayé"]
    assert smtp.boite.doublons == 0
