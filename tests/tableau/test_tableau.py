"""The dashboard: its figures equal sums over the data, the DSO of a hand-computed
example, the aging buckets of the organisation's settings, tenant isolation,
who may see it, and a fixed number of queries."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from factures.models import STATUTS_OUVERTS, Nature, Statut
from factures.rapports import dso_historique, encours_synthese, tranche_par_cle, tranches
from factures.services import facture_annuler, lettrage_create, paiement_create
from litiges.models import LigneLitige, Litige, StatutLitige
from recouvrement.core.errors import TenantScopeError
from recouvrement.tenancy.models import Role
from relances.models import (
    Canal,
    Envoi,
    Livraison,
    ParametresRelance,
    Promesse,
    StatutEnvoi,
    StatutPromesse,
    Tache,
    TypeTache,
)
from relances.services.promesses import promesses_suivre
from tableau import graphiques
from tableau.selectors import actions_du_jour, litiges_ouverts
from tests.conftest import compter_requetes
from tests.factories import ClientFactory, FactureFactory, scenario_avec_etape

J = datetime.timedelta(days=1)


def facture(client, *, ttc: str, echeance: datetime.date, emission: datetime.date | None = None, **champs):
    montant = Decimal(ttc)
    emission = emission or min(echeance, timezone.localdate()) - 30 * J
    return FactureFactory(
        client=client,
        montant_ht=montant,
        montant_tva=Decimal("0.00"),
        montant_ttc=montant,
        date_emission=emission,
        date_echeance=echeance,
        **champs,
    )


def payer(f, montant: str, *, le: datetime.date):
    paiement = paiement_create(client=f.client, montant=Decimal(montant), date_paiement=le)
    lettrage_create(facture=f, paiement=paiement, montant=Decimal(montant))


@pytest.fixture
def portefeuille(tenant_a, tenant_b):
    """Organisation A with open, partly paid, paid, cancelled, factored invoices and a
    credit note over three clients; organisation B with invoices that must never count."""
    today = timezone.localdate()
    with tenant_a.scope():
        c1, c2, c3 = ClientFactory(), ClientFactory(), ClientFactory()
        facture(c1, ttc="1000.00", echeance=today + 5 * J)  # not due
        facture(c1, ttc="200.00", echeance=today)  # due today: not overdue
        f = facture(c1, ttc="300.00", echeance=today - 1 * J)  # 1 day late
        payer(f, "120.00", le=today)
        facture(c1, ttc="400.00", echeance=today - 12 * J)  # 12 days
        facture(c2, ttc="2500.00", echeance=today - 25 * J, support_paiement="affacturage", affactureur="Factor SA")
        facture(c2, ttc="800.00", echeance=today - 90 * J)  # 90 days
        payee = facture(c2, ttc="50.00", echeance=today - 40 * J)
        payer(payee, "50.00", le=today - 2 * J)
        annulee = facture(c3, ttc="9999.00", echeance=today - 100 * J)
        facture_annuler(facture=annulee)
        facture(c3, ttc="75.00", echeance=today - 20 * J, nature=Nature.AVOIR)  # unused credit
        facture(c3, ttc="60.00", echeance=today - 20 * J)
        paiement_create(client=c3, montant=Decimal("33.00"), date_paiement=today)  # unallocated
    with tenant_b.scope():
        autre = ClientFactory()
        facture(autre, ttc="77777.00", echeance=today - 10 * J)
        paiement_create(client=autre, montant=Decimal("555.00"), date_paiement=today)
    return {"clients": (c1, c2, c3), "today": today}


def attendus(today: datetime.date, bornes: list[int]):
    """The figures recomputed in Python from organisation A's rows."""
    from factures.models import Facture, Paiement

    pieces = list(Facture.objects.filter(statut__in=STATUTS_OUVERTS))
    factures_ = [p for p in pieces if p.nature == Nature.FACTURE]
    avoirs = [p for p in pieces if p.nature == Nature.AVOIR]
    echues = [p for p in factures_ if p.date_echeance < today]
    par_tranche = []
    for t in tranches(bornes):
        dedans = [
            p
            for p in factures_
            if (t.min_jours is None or (today - p.date_echeance).days >= t.min_jours)
            and (t.max_jours is None or (today - p.date_echeance).days <= t.max_jours)
        ]
        par_tranche.append((t.key, sum((p.reste_du for p in dedans), Decimal(0)), len(dedans)))
    debut_mois = today.replace(day=1)
    return {
        "encours": sum((p.reste_du for p in factures_), Decimal(0)) - sum((p.reste_du for p in avoirs), Decimal(0)),
        "echu": sum((p.reste_du for p in echues), Decimal(0)),
        "n_echues": len(echues),
        "tranches": par_tranche,
        "affacturees": sum((p.reste_du for p in echues if p.support_paiement == "affacturage"), Decimal(0)),
        "encaisse": sum(
            (p.montant for p in Paiement.objects.filter(date_paiement__gte=debut_mois, date_paiement__lte=today)),
            Decimal(0),
        ),
    }


# --- aging buckets ---------------------------------------------------------------


def test_tranches_follow_the_organisation_bounds():
    assert [(t.key, t.min_jours, t.max_jours) for t in tranches([30, 45, 60])] == [
        ("non-echu", None, 0),
        ("0-30", 1, 30),
        ("30-45", 31, 45),
        ("45-60", 46, 60),
        ("60+", 61, None),
    ]
    assert [t.key for t in tranches([15, 90])] == ["non-echu", "0-15", "15-90", "90+"]
    assert [t.label for t in tranches([30])] == ["Non échu", "0–30 jours", "Plus de 30 jours"]
    assert [t.key for t in tranches(["n'importe quoi"])] == [t.key for t in tranches([30, 45, 60])]
    assert tranche_par_cle([15, 90], "15-90") == tranches([15, 90])[2]
    assert tranche_par_cle([15, 90], "30-45") is None


def test_a_bucket_filters_due_dates_the_way_it_counts_days():
    today = datetime.date(2026, 11, 27)
    non_echu, premiere, *_rest, derniere = tranches([30, 45, 60])
    assert non_echu.echeances(today) == (today, None)
    assert premiere.echeances(today) == (today - 30 * J, today - 1 * J)
    assert derniere.echeances(today) == (None, today - 61 * J)


# --- headline figures ---------------------------------------------------------------


def test_headline_figures_equal_the_sums_of_the_invoices(tenant_a, portefeuille):
    # given organisation A's portfolio (and B's invoices, which must not count)
    today = portefeuille["today"]
    with tenant_a.scope():
        attendu = attendus(today, [30, 45, 60])

        # when the summary is computed
        synthese = encours_synthese(organisation=tenant_a.organisation, aujourd_hui=today)
        historique = dso_historique(organisation=tenant_a.organisation, aujourd_hui=today)

    # then every figure is the sum over the rows
    assert synthese.encours == attendu["encours"] == Decimal("5080.00") + Decimal("60.00") - Decimal("75.00")
    assert synthese.echu == attendu["echu"]
    assert synthese.factures_echues == attendu["n_echues"]
    assert synthese.part_echue == (attendu["echu"] / attendu["encours"] * 100).quantize(Decimal("1"))
    assert [(b.tranche.key, b.montant, b.factures) for b in synthese.balance] == attendu["tranches"]
    assert sum((b.montant for b in synthese.balance), Decimal(0)) - synthese.credit_avoirs == synthese.encours
    assert synthese.affacturees_echues == attendu["affacturees"] == Decimal("2500.00")
    assert synthese.affacturees_echues_nombre == 1
    assert historique.encaisse_mois == attendu["encaisse"]
    # the DSO's outstanding at today is the same outstanding
    assert historique.actuel.encours == synthese.encours


def test_the_latest_clients_are_sorted_by_overdue_amount(tenant_a, portefeuille):
    today = portefeuille["today"]
    c1, c2, _c3 = portefeuille["clients"]
    with tenant_a.scope():
        synthese = encours_synthese(organisation=tenant_a.organisation, aujourd_hui=today, clients_limite=2)
    assert synthese.clients_en_retard_nombre == 3
    assert [c.client_id for c in synthese.clients_en_retard] == [c2.pk, c1.pk]
    premier = synthese.clients_en_retard[0]
    assert (premier.echu, premier.encours, premier.factures_echues, premier.jours_retard_max) == (
        Decimal("3300.00"),
        Decimal("3300.00"),
        2,
        90,
    )
    assert synthese.clients_en_retard[1].encours == Decimal("1000.00") + 200 + 180 + 400


def test_aging_buckets_use_the_organisation_settings(tenant_a, portefeuille):
    today = portefeuille["today"]
    tenant_a.organisation.tranches_balance_agee = [10, 20]
    tenant_a.organisation.save()
    with tenant_a.scope():
        attendu = attendus(today, [10, 20])
        synthese = encours_synthese(organisation=tenant_a.organisation, aujourd_hui=today)
    assert [b.tranche.key for b in synthese.balance] == ["non-echu", "0-10", "10-20", "20+"]
    assert [(b.tranche.key, b.montant, b.factures) for b in synthese.balance] == attendu["tranches"]
    # 1 day (180) in 0-10; 12 days (400) in 10-20; 25 days (2500) and 90 days (800) in 20+;
    # the 60.00 invoice due 20 days ago is in 10-20 (20 days is the bound, inclusive).
    assert [b.montant for b in synthese.balance] == [
        Decimal("1200.00"),
        Decimal("180.00"),
        Decimal("460.00"),
        Decimal("3300.00"),
    ]


def test_an_empty_organisation_shows_zeros(tenant_a):
    today = timezone.localdate()
    with tenant_a.scope():
        synthese = encours_synthese(organisation=tenant_a.organisation, aujourd_hui=today)
        historique = dso_historique(organisation=tenant_a.organisation, aujourd_hui=today)
    assert (synthese.encours, synthese.echu, synthese.part_echue, synthese.clients_en_retard) == (0, 0, None, [])
    assert [p.dso for p in historique.points] == [Decimal("0.0")] * 13
    assert historique.encaisse_mois == 0


# --- DSO ---------------------------------------------------------------------------------


def test_monthly_dso_of_a_hand_computed_example(tenant_a):
    # given, on 15 April 2026:
    # A 1000 issued 10 Feb; B 2000 issued 5 Mar, 500 of it paid on 20 Mar (allocated later);
    # a credit note of 100 issued 25 Mar, unused; C 600 issued 2 Apr; 50 received on 3 Apr, unallocated.
    aujourd_hui = datetime.date(2026, 4, 15)
    with tenant_a.scope():
        client = ClientFactory()
        facture(client, ttc="1000.00", emission=datetime.date(2026, 2, 10), echeance=datetime.date(2026, 3, 12))
        b = facture(client, ttc="2000.00", emission=datetime.date(2026, 3, 5), echeance=datetime.date(2026, 4, 4))
        payer(b, "500.00", le=datetime.date(2026, 3, 20))
        facture(
            client,
            ttc="100.00",
            emission=datetime.date(2026, 3, 25),
            echeance=datetime.date(2026, 3, 25),
            nature=Nature.AVOIR,
        )
        facture(client, ttc="600.00", emission=datetime.date(2026, 4, 2), echeance=datetime.date(2026, 5, 2))
        paiement_create(client=client, montant=Decimal("50.00"), date_paiement=datetime.date(2026, 4, 3))

        # when the DSO history is computed
        historique = dso_historique(organisation=tenant_a.organisation, aujourd_hui=aujourd_hui)

    # then 12 month ends (April 2025 to March 2026) and today
    assert [p.jour for p in historique.points][:2] == [datetime.date(2025, 4, 30), datetime.date(2025, 5, 31)]
    assert [p.jour for p in historique.points][-2:] == [datetime.date(2026, 3, 31), aujourd_hui]
    par_jour = {p.jour: p for p in historique.points}
    # 31 January: nothing issued yet
    assert (par_jour[datetime.date(2026, 1, 31)].encours, par_jour[datetime.date(2026, 1, 31)].dso) == (0, 0)
    # 28 February: 1000 outstanding, February's sales 1000 → the 28 days of February
    assert (par_jour[datetime.date(2026, 2, 28)].encours, par_jour[datetime.date(2026, 2, 28)].dso) == (
        Decimal("1000.00"),
        Decimal("28.0"),
    )
    # 31 March: 1000 + 2000 - 500 - 100 = 2400; March's 2000 covers 31 days, 400 of February's 1000: 11.2 days
    assert (par_jour[datetime.date(2026, 3, 31)].encours, par_jour[datetime.date(2026, 3, 31)].dso) == (
        Decimal("2400.00"),
        Decimal("42.2"),
    )
    # today: 3000; April so far (600, 15 days), March (2000, 31 days), then 400/1000 of February's 28 days
    assert (historique.actuel.encours, historique.actuel.dso) == (Decimal("3000.00"), Decimal("57.2"))
    assert not any(p.plafonne for p in historique.points)
    assert historique.encaisse_mois == Decimal("50.00")


def test_dso_is_capped_when_the_outstanding_exceeds_the_sales_of_the_horizon(tenant_a):
    aujourd_hui = datetime.date(2026, 4, 15)
    with tenant_a.scope():
        client = ClientFactory()
        facture(client, ttc="500.00", emission=datetime.date(2023, 1, 10), echeance=datetime.date(2023, 2, 9))
        historique = dso_historique(organisation=tenant_a.organisation, aujourd_hui=aujourd_hui, horizon_mois=3)
    # April to date (15 days), March (31), February (28): no sales, the count stops at the horizon
    assert historique.actuel.plafonne
    assert historique.actuel.dso == Decimal("74.0")


# --- tenancy -------------------------------------------------------------------------------


def test_reports_refuse_another_organisation_than_the_scope(tenant_a, tenant_b):
    today = timezone.localdate()
    with tenant_a.scope(), pytest.raises(TenantScopeError):
        encours_synthese(organisation=tenant_b.organisation, aujourd_hui=today)
    with tenant_a.scope(), pytest.raises(TenantScopeError):
        dso_historique(organisation=tenant_b.organisation, aujourd_hui=today)
    with pytest.raises(TenantScopeError):
        encours_synthese(organisation=tenant_a.organisation, aujourd_hui=today)


def test_another_organisation_sees_only_its_own_figures(client, tenant_a, tenant_b, portefeuille):
    tenant_b.login(client)
    response = client.get(reverse("tableau:index"))
    assert response.status_code == 200
    assert response.context["synthese"].encours == Decimal("77777.00")
    assert response.context["dso"].encaisse_mois == Decimal("555.00")
    assert [c.raison_sociale for c in response.context["synthese"].clients_en_retard] == [
        c.raison_sociale for c in portefeuille_b_clients(tenant_b)
    ]


def portefeuille_b_clients(tenant):
    from clients.models import Client

    with tenant.scope():
        return list(Client.objects.all())


# --- actions of the day and disputes -----------------------------------------------------------


def test_actions_of_the_day(tenant_a):
    today = timezone.localdate()
    with tenant_a.scope():
        ParametresRelance.objects.create(delai_grace_promesse_jours=2)
        etape = scenario_avec_etape()
        clients = [ClientFactory() for _ in range(6)]
        c = clients[0]
        # calls: one due yesterday, one today, one tomorrow (not yet), one done; a manual task due today
        for echeance, statut in ((today - J, "a_faire"), (today, "a_faire"), (today + J, "a_faire"), (today, "faite")):
            Tache.objects.create(client=c, type=TypeTache.APPEL, titre="Appeler", echeance=echeance, statut=statut)
        Tache.objects.create(client=c, type=TypeTache.MANUELLE, titre="Vérifier", echeance=today)

        def envoi(client, **champs):
            return Envoi.objects.create(
                client=client, etape=etape, date_prevue=champs.pop("date_prevue", today), **champs
            )

        envoi(clients[0], canal=Canal.EMAIL, statut=StatutEnvoi.A_VALIDER)
        envoi(clients[1], canal=Canal.COURRIER, statut=StatutEnvoi.A_VALIDER)
        envoi(clients[2], canal=Canal.EMAIL, statut=StatutEnvoi.ECHEC, date_prevue=today - 90 * J)
        envoi(
            clients[3],
            canal=Canal.EMAIL,
            statut=StatutEnvoi.ENVOYE,
            livraison=Livraison.REBOND,
            date_prevue=today - 3 * J,
        )
        envoi(
            clients[3],
            canal=Canal.EMAIL,
            statut=StatutEnvoi.ENVOYE,
            livraison=Livraison.REBOND,
            date_prevue=today - 60 * J,
        )
        envoi(clients[4], canal=Canal.COURRIER, statut=StatutEnvoi.ENVOYE, courrier_pdf="courriers/a.pdf")
        envoi(clients[5], canal=Canal.COURRIER, statut=StatutEnvoi.ENVOYE, date_prevue=today - J, courrier_pdf="b.pdf")

        # promises: broken (invoice still open, past the 2-day grace), kept (invoice paid),
        # in grace, client-wide broken, client-wide kept, and one too old to be "of the day"
        ouverte = facture(clients[0], ttc="100.00", echeance=today - 20 * J)
        payee = facture(clients[1], ttc="100.00", echeance=today - 20 * J)
        payer(payee, "100.00", le=today)
        facture(clients[2], ttc="100.00", echeance=today - 20 * J)

        def promesse(client, f, date_promise, statut=StatutPromesse.EN_COURS):
            return Promesse.objects.create(
                client=client, facture=f, montant=Decimal("100.00"), date_promise=date_promise, statut=statut
            )

        promesse(clients[0], ouverte, today - 3 * J)  # broken
        promesse(clients[1], payee, today - 3 * J)  # kept
        promesse(clients[0], ouverte, today - 2 * J)  # still in grace (date + 2 days = today)
        promesse(clients[2], None, today - 5 * J)  # client-wide, an invoice due before is open: broken
        promesse(clients[3], None, today - 5 * J)  # client-wide, nothing open: kept
        promesse(clients[0], ouverte, today - 60 * J)  # broken long ago: no longer an action of the day
        promesse(clients[0], ouverte, today + 5 * J, statut=StatutPromesse.ROMPUE)  # marked by hand: no task

        # The daily follow-up records the broken ones and gives each a task: 3 more open tasks.
        promesses_suivre(jour=today)
        actions = actions_du_jour(aujourd_hui=today)

    assert (actions.appels, actions.taches) == (2, 6)
    assert (actions.a_valider, actions.courriers_a_valider) == (2, 1)
    assert actions.courriers_a_imprimer == 1
    assert actions.echecs == 1
    assert actions.rebonds == 1
    assert actions.promesses_rompues == 3
    # A broken promise stays an action while its task is open, however old.
    assert [p.date_promise for p in actions.promesses] == [today - 60 * J, today - 5 * J, today - 3 * J]
    assert actions.delai_grace_jours == 2


def test_open_disputes(tenant_a):
    today = timezone.localdate()
    with tenant_a.scope():
        client = ClientFactory()
        f1 = facture(client, ttc="1000.00", echeance=today - 5 * J)
        f2 = facture(client, ttc="500.00", echeance=today - 5 * J)
        ouvert = Litige.objects.create(client=client, type="prix", description="Prix")
        LigneLitige.objects.create(litige=ouvert, facture=f1, montant=Decimal("300.00"))
        LigneLitige.objects.create(litige=ouvert, facture=f2, montant=Decimal("500.00"))
        en_cours = Litige.objects.create(client=client, type="qualite", description="Qualité", statut="en_cours")
        LigneLitige.objects.create(litige=en_cours, facture=f1, montant=Decimal("100.00"))
        clos = Litige.objects.create(client=client, type="prix", description="Ancien", statut=StatutLitige.CLOS)
        LigneLitige.objects.create(litige=clos, facture=f2, montant=Decimal("999.00"))
        litiges = litiges_ouverts()
    assert (litiges.nombre, litiges.montant) == (2, Decimal("900.00"))
    assert [(x.litige_id, x.montant) for x in litiges.apercu] == [(ouvert.pk, Decimal("800.00")), (en_cours.pk, 100)]


# --- charts -------------------------------------------------------------------------------------------


def test_chart_geometry():
    assert graphiques.graduations(Decimal("731")) == [
        Decimal(0),
        Decimal(200),
        Decimal(400),
        Decimal(600),
        Decimal(800),
    ]
    graphique = graphiques.barres([("a", Decimal("50"), "/a"), ("b", Decimal("100"), "/b"), ("c", Decimal("-5"), "/c")])
    a, b, c = graphique.barres
    assert b.hauteur == pytest.approx(2 * a.hauteur)
    assert c.hauteur == 0
    assert b.y + b.hauteur == graphique.bas
    courbe = graphiques.courbe([("x", Decimal("10")), ("y", Decimal("20"))])
    assert courbe.points[0].x == courbe.gauche
    assert courbe.points[-1].x == courbe.droite
    assert courbe.trace.count(",") == 2


# --- the page: access, links, queries ------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CHARGE, Role.DAF, Role.LECTURE])
def test_roles_that_see_every_client_get_the_dashboard(client, tenant_a, role):
    tenant_a.login(client, role=None if role == Role.ADMIN else role)
    assert client.get(reverse("tableau:index")).status_code == 200
    response = client.get(reverse("accueil"))
    assert response.status_code == 302
    assert response.url == reverse("tableau:index")
    assert 'href="/tableau-de-bord/"' in client.get(reverse("clients:liste")).content.decode()


def test_a_commercial_is_refused_and_lands_on_his_clients(client, tenant_a):
    tenant_a.login(client, role=Role.COMMERCIAL)
    assert client.get(reverse("tableau:index")).status_code == 403
    response = client.get(reverse("accueil"))
    assert response.status_code == 302
    assert response.url == reverse("clients:liste")
    assert 'href="/tableau-de-bord/"' not in client.get(reverse("clients:liste")).content.decode()


def test_anonymous_goes_to_the_login_page(client):
    response = client.get(reverse("tableau:index"))
    assert response.status_code == 302
    assert reverse("connexion") in response.url


def test_every_figure_links_to_its_list(client, tenant_a, portefeuille):
    tenant_a.login(client)
    html = client.get(reverse("tableau:index")).content.decode()
    c1, c2, _c3 = portefeuille["clients"]
    for lien in (
        "/factures/?statut=impayees&amp;echue=1",
        "/factures/?statut=impayees&amp;support=affacturage&amp;echue=1",
        "/factures/?statut=impayees&amp;tranche=0-30",
        "/factures/?statut=impayees&amp;tranche=60%2B",
        f"/factures/?statut=impayees&amp;echue=1&amp;client={c2.pk}",
        f"/clients/{c1.pk}/",
        "/relances/taches/?toutes=1",
        "/relances/?statut=a_valider",
        "/relances/?statut=echec",
        "/clients/?retard=1&amp;tri=-echu",
        reverse("litiges:liste"),
    ):
        assert f'href="{lien}' in html, lien
    assert "<svg" in html
    assert "<polyline" in html


def _grossir(tenant, n):
    """n more clients, each with open, paid, credit-note and factored pieces, tasks, sends, disputes, promises."""
    today = timezone.localdate()
    with tenant.scope():
        etape = scenario_avec_etape(nom=f"Scénario {n}-{Envoi.objects.count()}")
        for i in range(n):
            client = ClientFactory()
            ouverte = facture(client, ttc="100.00", echeance=today - (i * 7 % 120) * J)
            payee = facture(client, ttc="40.00", echeance=today - 3 * J)
            payer(payee, "40.00", le=today)
            facture(client, ttc="10.00", echeance=today, nature=Nature.AVOIR)
            facture(client, ttc="60.00", echeance=today - 50 * J, support_paiement="affacturage", affactureur="F")
            Tache.objects.create(client=client, type=TypeTache.APPEL, titre="Appeler", echeance=today)
            Envoi.objects.create(client=client, etape=etape, date_prevue=today, canal=Canal.EMAIL, statut="a_valider")
            litige = Litige.objects.create(client=client, type="prix", description="Prix")
            LigneLitige.objects.create(litige=litige, facture=ouverte, montant=Decimal("10.00"))
            Promesse.objects.create(client=client, facture=ouverte, montant=Decimal("5"), date_promise=today - 9 * J)


def test_the_dashboard_runs_a_fixed_number_of_queries(client, tenant_a):
    url = reverse("tableau:index")
    tenant_a.login(client)
    client.get(url)  # the first request of a session stores the active organisation in it
    _grossir(tenant_a, 1)
    petit = compter_requetes(client, url)
    _grossir(tenant_a, 30)
    grand = compter_requetes(client, url)
    assert petit == grand
    # session, user, memberships (3) + summary, DSO (2) + tasks, sends, grace period,
    # promises, disputes (5), and what base.html asks for on every page
    assert grand == REQUETES_ATTENDUES


REQUETES_ATTENDUES = 11


def test_statuses_used_by_the_reports_are_the_model_ones():
    # The SQL names statuses and natures by value: keep them in step with the model.
    assert {str(s) for s in STATUTS_OUVERTS} == {"ouverte", "partiellement_payee"}
    assert (str(Statut.ANNULEE), str(Nature.FACTURE), str(Nature.AVOIR)) == ("annulee", "facture", "avoir")
