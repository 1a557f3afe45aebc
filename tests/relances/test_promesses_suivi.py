"""Promises to pay followed automatically: kept on payment, broken when the date plus
the grace period passes (status, one task, pause lifted, dunning resumes), and the
dashboard's count of broken promises."""

from __future__ import annotations

import datetime
from decimal import Decimal

import time_machine

from factures.services import lettrage_create, paiement_create
from relances.models import (
    Pause,
    Promesse,
    Relance,
    StatutPromesse,
    StatutTache,
    Tache,
    TypeTache,
)
from relances.services.planification import organisation_planifier
from relances.services.promesses import promesses_suivre
from relances.services.taches import promesse_create, tache_terminer
from tableau.selectors import actions_du_jour

UTC = datetime.UTC
J = datetime.timedelta(days=1)
D = datetime.date
PRISE = D(2026, 12, 1)  # a Tuesday; promised for Friday 4 December, grace 3 days: broken on the 8th


def a(jour: datetime.date, heure: int = 10):
    return time_machine.travel(datetime.datetime(jour.year, jour.month, jour.day, heure, tzinfo=UTC), tick=False)


def etapes_de(facture):
    return sorted(Relance.objects.filter(facture=facture).values_list("decalage_jours", flat=True))


def promettre(r, client, montant, *, facture=None, prise_par=None):
    with a(PRISE, 9):
        return promesse_create(
            client=client,
            facture=facture,
            montant=Decimal(montant),
            date_promise=D(2026, 12, 4),
            prise_par=prise_par,
        )


def payer(client, facture, montant, jour):
    with a(jour, 12):
        paiement = paiement_create(client=client, montant=Decimal(montant), date_paiement=jour)
        lettrage_create(facture=facture, paiement=paiement, montant=Decimal(montant))


def test_a_promise_is_kept_when_the_payment_reaches_its_amount(scope_relances):
    r = scope_relances
    client = r.client()
    facture = r.facture(client, echeance=PRISE - 20 * J, ttc="1000.00")
    promesse = promettre(r, client, "600.00", facture=facture, prise_par=r.commercial)
    payer(client, facture, "400.00", D(2026, 12, 3))
    assert promesses_suivre(jour=None, facture_ids=[facture.pk]).tenues == []
    payer(client, facture, "200.00", D(2026, 12, 4))
    assert promesses_suivre(jour=None, facture_ids=[facture.pk]).tenues == [promesse.pk]
    promesse.refresh_from_db()
    assert promesse.statut == StatutPromesse.TENUE
    assert Pause.objects.get(origine=f"promesse:{promesse.pk}").levee_le is not None
    # Past the deadline nothing changes any more: a kept promise is not broken.
    assert promesses_suivre(jour=D(2026, 12, 20)).rompues == []
    assert not Tache.objects.exists()


def test_a_promise_on_the_whole_client_counts_every_invoice(scope_relances):
    r = scope_relances
    client = r.client()
    f1 = r.facture(client, echeance=PRISE - 20 * J, ttc="300.00")
    f2 = r.facture(client, echeance=PRISE - 10 * J, ttc="300.00")
    promesse = promettre(r, client, "500.00")
    payer(client, f1, "300.00", D(2026, 12, 2))
    payer(client, f2, "200.00", D(2026, 12, 3))
    with a(D(2026, 12, 3)):
        assert promesses_suivre(jour=D(2026, 12, 3)).tenues == [promesse.pk]


def test_a_payment_before_the_promise_does_not_keep_it(scope_relances):
    r = scope_relances
    client = r.client()
    facture = r.facture(client, echeance=PRISE - 20 * J, ttc="1000.00")
    payer(client, facture, "500.00", PRISE - J)
    promesse = promettre(r, client, "500.00", facture=facture)
    assert promesses_suivre(jour=None, facture_ids=[facture.pk]).tenues == []
    promesse.refresh_from_db()
    assert promesse.statut == StatutPromesse.EN_COURS


def test_a_broken_promise_resumes_dunning_and_gives_one_task(scope_relances):
    r = scope_relances
    client = r.client()
    facture = r.facture(client, echeance=PRISE - 20 * J, ttc="1000.00")
    promesse = promettre(r, client, "1000.00", facture=facture, prise_par=r.commercial)
    payer(client, facture, "100.00", D(2026, 12, 5))  # not enough
    with a(D(2026, 12, 7)):
        assert promesses_suivre(jour=D(2026, 12, 7)).rompues == []  # 4 December + 3 days of grace
    organisation_planifier(jour=D(2026, 12, 7))
    assert etapes_de(facture) == []
    with a(D(2026, 12, 8)):
        assert promesses_suivre(jour=D(2026, 12, 8)).rompues == [promesse.pk]
        assert promesses_suivre(jour=D(2026, 12, 8)).rompues == []  # the beat again
    promesse.refresh_from_db()
    assert promesse.statut == StatutPromesse.ROMPUE
    assert Pause.objects.get(origine=f"promesse:{promesse.pk}").levee_le is not None
    tache = Tache.objects.get()
    assert (tache.type, tache.cle, tache.assigne_a, tache.facture) == (
        TypeTache.PROMESSE_ROMPUE,
        f"promesse-rompue:{promesse.pk}",
        r.commercial,
        facture,
    )
    # The planning chases the invoice again, at its latest due step (J+27 on 8 December: J+15).
    organisation_planifier(jour=D(2026, 12, 8))
    assert etapes_de(facture) == [15]


def test_a_broken_promise_without_taker_goes_to_the_default_credit_manager(scope_relances):
    r = scope_relances
    client = r.client()
    promettre(r, client, "100.00", facture=r.facture(client, echeance=PRISE - 20 * J))
    with a(D(2026, 12, 8)):
        promesses_suivre(jour=D(2026, 12, 8))
    assert Tache.objects.get().assigne_a == r.charge


def test_the_dashboard_counts_broken_promises_whose_task_is_open(scope_relances):
    r = scope_relances
    client = r.client()
    f1 = r.facture(client, echeance=PRISE - 20 * J)
    f2 = r.facture(client, echeance=PRISE - 20 * J)
    f3 = r.facture(client, echeance=PRISE - 20 * J)
    promettre(r, client, "100.00", facture=f1)
    promettre(r, client, "100.00", facture=f2)
    tenue = promettre(r, client, "100.00", facture=f3)
    payer(client, f3, "100.00", D(2026, 12, 3))
    with a(D(2026, 12, 8)):
        promesses_suivre(jour=D(2026, 12, 8))
        actions = actions_du_jour(aujourd_hui=D(2026, 12, 8))
        assert actions.promesses_rompues == 2
        tache_terminer(tache=Tache.objects.filter(facture=f1).get(), auteur=None, note="Rappelé")
        actions = actions_du_jour(aujourd_hui=D(2026, 12, 8))
    assert actions.promesses_rompues == 1
    assert [p.montant for p in actions.promesses] == [Decimal("100.00")]
    assert Promesse.objects.get(pk=tenue.pk).statut == StatutPromesse.TENUE
    assert Tache.objects.filter(statut=StatutTache.A_FAIRE).count() == 1
