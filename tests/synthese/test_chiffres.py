"""The digest's figures equal sums computed by hand from the data each test builds."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from clients.models import ClasseRisque
from factures.models import Lettrage
from factures.services import facture_annuler, lettrage_annuler
from litiges.models import Litige, StatutLitige
from recouvrement.tenancy.models import Role
from relances.models import Canal, Envoi, Promesse, StatutEnvoi, StatutTache, Tache, TypeTache
from synthese.selectors import (
    actions_par_collaborateur,
    balance_comparee,
    clients_a_risque,
    dso_semaines,
    flux_semaine,
    litiges_hors_delai,
    synthese_calculer,
)
from tests.factories import ClientFactory, MembreFactory, PaiementFactory, UserFactory, scenario_avec_etape
from tests.synthese.donnees import SEMAINE, avoir, facture, paris, payer

D = datetime.date


def _envoi(client, etape, *, jour, canal, statut=StatutEnvoi.ENVOYE, envoye_le=None, valide_par=None):
    return Envoi.objects.create(
        client=client,
        date_prevue=jour,
        etape=etape,
        canal=canal,
        statut=statut,
        envoye_le=envoye_le,
        valide_par=valide_par,
    )


def test_actions_by_collaborator(scope_a):
    organisation = scope_a.organisation
    alice = MembreFactory(role=Role.CHARGE, user=UserFactory(first_name="Alice", last_name="Durand"))
    bruno = MembreFactory(role=Role.CHARGE, user=UserFactory(first_name="Bruno", last_name="Petit"))
    etape = scenario_avec_etape()
    c1, c2, c3 = ClientFactory(), ClientFactory(), ClientFactory()
    # Sends: two automatic e-mails, Alice approved a letter and an e-mail (Sunday 23:30 Paris: in the week).
    _envoi(c1, etape, jour=D(2026, 11, 17), canal=Canal.EMAIL, envoye_le=paris(2026, 11, 17))
    _envoi(c2, etape, jour=D(2026, 11, 18), canal=Canal.EMAIL, envoye_le=paris(2026, 11, 18))
    _envoi(c3, etape, jour=D(2026, 11, 19), canal=Canal.COURRIER, envoye_le=paris(2026, 11, 19), valide_par=alice.user)
    _envoi(
        c1, etape, jour=D(2026, 11, 22), canal=Canal.EMAIL, envoye_le=paris(2026, 11, 22, 23, 30), valide_par=alice.user
    )
    # Not counted: Monday 00:30 Paris of the next week (Sunday 23:30 UTC), a failed send, a call channel.
    _envoi(c2, etape, jour=D(2026, 11, 23), canal=Canal.EMAIL, envoye_le=paris(2026, 11, 23, 0, 30))
    _envoi(c3, etape, jour=D(2026, 11, 20), canal=Canal.EMAIL, statut=StatutEnvoi.ECHEC)
    _envoi(c2, etape, jour=D(2026, 11, 20), canal=Canal.APPEL, envoye_le=paris(2026, 11, 20))
    # Calls: Bruno two, Alice one (Monday 00:30 Paris: in the week); an open call, a manual task, last week's call.
    for jour in (17, 18):
        Tache.objects.create(
            client=c1,
            type=TypeTache.APPEL,
            titre="Appel",
            echeance=D(2026, 11, jour),
            statut=StatutTache.FAITE,
            fait_le=paris(2026, 11, jour),
            fait_par=bruno.user,
        )
    Tache.objects.create(
        client=c2,
        type=TypeTache.APPEL,
        titre="Appel",
        echeance=LUNDI_,
        statut=StatutTache.FAITE,
        fait_le=paris(2026, 11, 16, 0, 30),
        fait_par=alice.user,
    )
    Tache.objects.create(client=c2, type=TypeTache.APPEL, titre="Appel", echeance=LUNDI_)
    Tache.objects.create(
        client=c2,
        type=TypeTache.MANUELLE,
        titre="Autre",
        echeance=LUNDI_,
        statut=StatutTache.FAITE,
        fait_le=paris(2026, 11, 18),
        fait_par=alice.user,
    )
    Tache.objects.create(
        client=c3,
        type=TypeTache.APPEL,
        titre="Appel",
        echeance=D(2026, 11, 15),
        statut=StatutTache.FAITE,
        fait_le=paris(2026, 11, 15, 23, 59),
        fait_par=alice.user,
    )
    # Promises: one taken by Bruno this week, one the week before.
    Promesse.objects.create(
        client=c1,
        montant=Decimal("100.00"),
        date_promise=D(2026, 11, 30),
        prise_par=bruno,
        created_at=paris(2026, 11, 18),
    )
    Promesse.objects.create(
        client=c1,
        montant=Decimal("100.00"),
        date_promise=D(2026, 11, 30),
        prise_par=bruno,
        created_at=paris(2026, 11, 10),
    )
    # Disputes: Alice opened one; one owned by Bruno was resolved this week (opened before).
    Litige.objects.create(
        client=c1, type="prix", description="x", ouvert_par=alice.user, created_at=paris(2026, 11, 17)
    )
    Litige.objects.create(
        client=c2,
        type="prix",
        description="y",
        ouvert_par=None,
        responsable=bruno,
        created_at=paris(2026, 11, 2),
        statut=StatutLitige.RESOLU_AVOIR,
        resolu_le=paris(2026, 11, 20),
    )

    lignes = actions_par_collaborateur(organisation=organisation, semaine=SEMAINE)

    par_nom = {ligne.nom: ligne for ligne in lignes}
    assert set(par_nom) == {"Alice Durand", "Bruno Petit", "Envois automatiques"}
    a, b, auto = par_nom["Alice Durand"], par_nom["Bruno Petit"], par_nom["Envois automatiques"]
    assert (a.emails, a.courriers, a.appels, a.promesses, a.litiges_ouverts, a.litiges_resolus) == (1, 1, 1, 0, 1, 0)
    assert (b.emails, b.courriers, b.appels, b.promesses, b.litiges_ouverts, b.litiges_resolus) == (0, 0, 2, 1, 0, 1)
    assert (auto.emails, auto.courriers, auto.total) == (2, 0, 2)
    # Largest total first, the automatic sends last.
    assert [ligne.nom for ligne in lignes] == ["Alice Durand", "Bruno Petit", "Envois automatiques"]


LUNDI_ = D(2026, 11, 16)


def test_collected_and_new_overdue(scope_a):
    organisation = scope_a.organisation
    client = ClientFactory()
    for jour, montant in (
        (D(2026, 11, 15), "50.00"),
        (D(2026, 11, 16), "300.00"),
        (D(2026, 11, 22), "200.00"),
        (D(2026, 11, 23), "999.00"),
    ):
        PaiementFactory(client=client, montant=Decimal(montant), date_paiement=jour)
    facture(client, emission=D(2026, 10, 19), echeance=D(2026, 11, 18), ttc="1200.00")
    partielle = facture(client, emission=D(2026, 10, 21), echeance=D(2026, 11, 20), ttc="1000.00")
    payer(partielle, "600.00", le=D(2026, 11, 21))
    payee = facture(client, emission=D(2026, 10, 22), echeance=D(2026, 11, 21), ttc="500.00")
    payer(payee, "500.00", le=D(2026, 11, 21))
    facture(client, emission=D(2026, 10, 24), echeance=D(2026, 11, 24), ttc="700.00")  # due next week
    facture(client, emission=D(2026, 10, 15), echeance=D(2026, 11, 15), ttc="800.00")  # due the week before
    avoir(client, emission=D(2026, 11, 18), ttc="90.00")  # a credit note is not an overdue invoice

    flux = flux_semaine(organisation=organisation, semaine=SEMAINE)

    # 300 + 200 (the 600 and 500 above are allocations of their own payments, dated 21/11: + 1,100)
    assert flux.encaisse == Decimal("1600.00")
    assert flux.paiements == 4
    assert flux.nouveaux_impayes == Decimal("1600.00")  # 1,200 + (1,000 - 600)
    assert flux.nouveaux_impayes_nombre == 2


def test_aging_now_and_a_week_ago_from_dated_allocations(scope_a):
    organisation = scope_a.organisation
    client = ClientFactory()
    a = facture(client, emission=D(2026, 10, 1), echeance=D(2026, 10, 31), ttc="1000.00")
    payer(a, "400.00", le=D(2026, 11, 18))  # between the two Sundays
    b = facture(client, emission=D(2026, 9, 1), echeance=D(2026, 10, 1), ttc="2000.00")
    payer(b, "500.00", le=D(2026, 11, 25))  # after both Sundays: ignored
    facture(client, emission=D(2026, 11, 10), echeance=D(2026, 12, 10), ttc="500.00")  # not due
    facture(client, emission=D(2026, 11, 17), echeance=D(2026, 11, 20), ttc="300.00")  # issued after the first Sunday
    e = facture(client, emission=D(2026, 8, 1), echeance=D(2026, 8, 31), ttc="800.00")
    payer(e, "800.00", le=D(2026, 11, 10))  # settled before both
    annulee = facture(client, emission=D(2026, 10, 1), echeance=D(2026, 10, 31), ttc="700.00")
    facture_annuler(facture=annulee)
    g = facture(client, emission=D(2026, 7, 1), echeance=D(2026, 7, 31), ttc="900.00")
    lettrage = payer(g, "900.00", le=D(2026, 11, 1))
    lettrage_annuler(lettrage=lettrage)
    Lettrage.objects.filter(pk=lettrage.pk).update(annule_le=paris(2026, 11, 19, 12))  # cancelled between the Sundays
    avoir(client, emission=D(2026, 11, 1), ttc="100.00")  # credit notes are not in the buckets

    balance = balance_comparee(organisation=organisation, semaine=SEMAINE)

    assert (balance.jour_avant, balance.jour) == (D(2026, 11, 15), D(2026, 11, 22))
    avant = {ligne.tranche.key: ligne.avant for ligne in balance.lignes}
    maintenant = {ligne.tranche.key: ligne.maintenant for ligne in balance.lignes}
    # 15/11: A 1,000 (15 days late), B 2,000 (45 days), C 500 not due; G allocated in full.
    assert avant == {
        "non-echu": Decimal("500.00"),
        "0-30": Decimal("1000.00"),
        "30-45": Decimal("2000.00"),
        "45-60": Decimal("0.00"),
        "60+": Decimal("0.00"),
    }
    # 22/11: A 600 (22 days) + D 300 (2 days); B 2,000 (52 days); G 900 (114 days) after the cancellation.
    assert maintenant == {
        "non-echu": Decimal("500.00"),
        "0-30": Decimal("900.00"),
        "30-45": Decimal("0.00"),
        "45-60": Decimal("2000.00"),
        "60+": Decimal("900.00"),
    }
    assert (balance.total_avant, balance.total) == (Decimal("3500.00"), Decimal("4300.00"))
    assert (balance.echu_avant, balance.echu) == (Decimal("3000.00"), Decimal("3800.00"))


def test_dso_at_the_last_eight_sundays(scope_a):
    organisation = scope_a.organisation
    client = ClientFactory()
    facture(client, emission=D(2026, 11, 2), echeance=D(2026, 12, 2), ttc="3000.00")
    i2 = facture(client, emission=D(2026, 10, 10), echeance=D(2026, 11, 10), ttc="1000.00")
    payer(i2, "1000.00", le=D(2026, 11, 5))
    i3 = facture(client, emission=D(2026, 11, 20), echeance=D(2026, 12, 20), ttc="1000.00")
    payer(i3, "800.00", le=D(2026, 11, 21))
    PaiementFactory(client=client, montant=Decimal("5000.00"), date_paiement=D(2026, 11, 21))  # unallocated: ignored

    points = dso_semaines(organisation=organisation, semaine=SEMAINE)

    assert [p.jour for p in points] == [
        D(2026, 10, 4),
        D(2026, 10, 11),
        D(2026, 10, 18),
        D(2026, 10, 25),
        D(2026, 11, 1),
        D(2026, 11, 8),
        D(2026, 11, 15),
        D(2026, 11, 22),
    ]
    # 4/10: nothing issued. October: outstanding 1,000 = October's sales up to the day → the days of October.
    # 1/11: 1,000 against 1 November (no sale: 1 day) then October in full (31 days).
    # 8/11 and 15/11: 3,000 = the sales of November so far. 22/11: 3,200 / 4,000 × 22 = 17.6.
    assert [p.dso for p in points] == [
        Decimal(x) for x in ("0.0", "11.0", "18.0", "25.0", "32.0", "8.0", "15.0", "17.6")
    ]
    assert [p.encours for p in points][-3:] == [Decimal("3000.00"), Decimal("3000.00"), Decimal("3200.00")]


def test_top_risks_and_disputes_past_their_sla(scope_a):
    organisation = scope_a.organisation
    aujourd_hui = D(2026, 11, 23)
    gros = ClientFactory(raison_sociale="Gros retard", classe_risque=ClasseRisque.B)
    facture(gros, emission=D(2026, 9, 1), echeance=D(2026, 10, 1), ttc="5000.00")
    classe_e = ClientFactory(raison_sociale="Classe E sans retard", classe_risque=ClasseRisque.E)
    facture(classe_e, emission=D(2026, 11, 1), echeance=D(2026, 12, 1), ttc="700.00")
    avoir(classe_e, emission=D(2026, 11, 2), ttc="100.00")
    petit = ClientFactory(raison_sociale="Petit retard", classe_risque=ClasseRisque.A)
    facture(petit, emission=D(2026, 10, 1), echeance=D(2026, 11, 1), ttc="300.00")
    ClientFactory(raison_sociale="Sans souci", classe_risque=ClasseRisque.A)
    responsable = MembreFactory(role=Role.CHARGE, user=UserFactory(first_name="Chloé", last_name="Roux"))
    Litige.objects.create(client=gros, type="prix", description="a", echeance=D(2026, 11, 20), responsable=responsable)
    Litige.objects.create(client=petit, type="qualite", description="b", echeance=D(2026, 11, 10))
    Litige.objects.create(client=petit, type="prix", description="c", echeance=D(2026, 11, 23))  # due today: not late
    Litige.objects.create(
        client=petit,
        type="prix",
        description="d",
        echeance=D(2026, 11, 1),
        statut=StatutLitige.CLOS,
        resolu_le=timezone.now(),
    )

    risques = clients_a_risque(organisation=organisation, aujourd_hui=aujourd_hui)
    nombre, litiges = litiges_hors_delai(organisation=organisation, aujourd_hui=aujourd_hui)

    assert [(r.raison_sociale, r.classe_risque, r.echu, r.encours) for r in risques] == [
        ("Gros retard", "B", Decimal("5000.00"), Decimal("5000.00")),
        ("Petit retard", "A", Decimal("300.00"), Decimal("300.00")),
        ("Classe E sans retard", "E", Decimal("0.00"), Decimal("600.00")),
    ]
    assert nombre == 2
    assert [(x.raison_sociale, x.jours_retard, x.responsable) for x in litiges] == [
        ("Petit retard", 13, ""),
        ("Gros retard", 3, "Chloé Roux"),
    ]


def test_a_digest_never_holds_another_organisations_data(tenant_a, tenant_b):
    with tenant_b.scope():
        autre = ClientFactory(raison_sociale="Client de Bêta", classe_risque=ClasseRisque.E)
        f = facture(autre, emission=D(2026, 9, 1), echeance=D(2026, 10, 1), ttc="9999.00")
        payer(f, "1111.00", le=D(2026, 11, 18))
        Litige.objects.create(client=autre, type="prix", description="b", echeance=D(2026, 11, 1))
        MembreFactory(role=Role.CHARGE)
    with tenant_a.scope():
        mien = ClientFactory(raison_sociale="Client d'Alpha")
        facture(mien, emission=D(2026, 9, 1), echeance=D(2026, 10, 1), ttc="100.00")

        synthese = synthese_calculer(organisation=tenant_a.organisation, semaine=SEMAINE, aujourd_hui=D(2026, 11, 23))

    assert synthese.flux.encaisse == Decimal("0.00")
    assert synthese.balance.total == Decimal("100.00")
    assert [r.raison_sociale for r in synthese.risques] == ["Client d'Alpha"]
    assert synthese.litiges_hors_delai == 0
    assert synthese.actions == []
    assert synthese.dso_actuel.encours == Decimal("100.00")
