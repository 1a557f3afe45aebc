"""The invoices list: filters, sorts, the last reminder, a commercial's default and
scope, bulk actions (set-based, scoped, permitted), and a fixed number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clients.models import Evenement
from recouvrement.tenancy.models import Role
from relances.models import Envoi, MotifPause, Pause, Relance, ScenarioImpose, StatutEnvoi, StatutRelance
from tests.conftest import compter_requetes
from tests.factories import ClientFactory, scenario_avec_etape
from tests.listes.conftest import J, facture

URL = reverse("factures:liste")
ACTIONS = reverse("factures:actions")


def numeros(response):
    assert response.status_code == 200
    return [f.numero for f in response.context["page"]]


@pytest.mark.parametrize(
    ("parametres", "attendus"),
    [
        ({}, ["F4", "F6", "F2", "F5", "F1", "AV1", "F3"]),
        ({"statut": "toutes"}, ["F4", "F6", "F2", "F5", "F1", "AV1", "F3"]),
        ({"statut": "impayees"}, ["F6", "F2", "F1", "AV1", "F3"]),
        ({"statut": "ouverte"}, ["F6", "F1", "AV1", "F3"]),
        ({"statut": "partiellement_payee"}, ["F2"]),
        ({"statut": "payee"}, ["F4"]),
        ({"statut": "annulee"}, ["F5"]),
        ({"tranche": "non-echu"}, ["F3"]),
        ({"tranche": "0-30"}, ["F1"]),
        ({"tranche": "30-45"}, []),
        ({"tranche": "45-60"}, ["F2"]),
        ({"tranche": "60+"}, ["F6"]),
        ({"echue": "1"}, ["F6", "F2", "F1"]),
        ({"support": "affacturage"}, ["F6", "F3"]),
        ({"litige": "1"}, ["F2"]),
        ({"litige": "0", "statut": "impayees"}, ["F6", "F1", "AV1", "F3"]),
        ({"q": "F6"}, ["F6"]),
        ({"q": "brav"}, ["F4", "F3"]),
        ({"statut": "inconnu"}, ["F4", "F6", "F2", "F5", "F1", "AV1", "F3"]),
    ],
)
def test_each_filter(client, grand_livre, parametres, attendus):
    grand_livre.tenant.login(client)
    assert numeros(client.get(URL, parametres)) == attendus


def test_the_client_and_commercial_filters(client, grand_livre):
    grand_livre.tenant.login(client)
    response = client.get(URL, {"client": grand_livre.alpha.pk})
    assert numeros(response) == ["F2", "F1", "AV1"]
    assert response.context["client_filtre"] == grand_livre.alpha
    assert numeros(client.get(URL, {"commercial": grand_livre.rep2.pk})) == ["F4", "F3"]


def test_the_aging_buckets_follow_the_organisation_bounds(client, grand_livre):
    organisation = grand_livre.tenant.organisation
    organisation.tranches_balance_agee = [15, 60]
    organisation.save()
    grand_livre.tenant.login(client)
    assert numeros(client.get(URL, {"tranche": "0-15"})) == ["F1"]
    assert numeros(client.get(URL, {"tranche": "15-60"})) == ["F2"]


@pytest.mark.parametrize(
    ("tri", "attendus"),
    [
        ("echeance", ["F6", "F2", "F1", "AV1", "F3"]),
        ("-echeance", ["F3", "AV1", "F1", "F2", "F6"]),
        ("-reste_du", ["F1", "F2", "F3", "F6", "AV1"]),
        ("reste_du", ["AV1", "F6", "F3", "F2", "F1"]),
        ("-montant_ttc", ["F1", "F2", "F3", "F6", "AV1"]),
        ("numero", ["AV1", "F1", "F2", "F3", "F6"]),
        ("client", ["F2", "F1", "AV1", "F3", "F6"]),
    ],
)
def test_each_sort(client, grand_livre, tri, attendus):
    grand_livre.tenant.login(client)
    assert numeros(client.get(URL, {"statut": "impayees", "tri": tri})) == attendus


def test_each_row_shows_its_last_reminder_and_its_dispute(client, grand_livre):
    with grand_livre.tenant.scope():
        etape = scenario_avec_etape()
        envoi = Envoi.objects.create(
            client=grand_livre.alpha,
            date_prevue=grand_livre.aujourd_hui - 3 * J,
            etape=etape,
            canal="email",
            statut=StatutEnvoi.ENVOYE,
            envoye_le=timezone.now() - 3 * J,
        )
        Relance.objects.create(
            facture=grand_livre.f["F1"],
            etape=etape,
            client=grand_livre.alpha,
            envoi=envoi,
            date_prevue=envoi.date_prevue,
            decalage_jours=1,
            canal="email",
            statut=StatutRelance.ENVOYEE,
        )
    grand_livre.tenant.login(client)
    response = client.get(URL, {"statut": "impayees"})
    lignes = {f.numero: f for f in response.context["page"]}
    assert lignes["F1"].derniere_relance_le == envoi.envoye_le
    assert lignes["F1"].derniere_relance_etape == "Rappel"
    assert lignes["F6"].derniere_relance_le is None
    assert lignes["F2"].en_litige
    assert not lignes["F1"].en_litige
    assert "jamais" in response.content.decode()


def test_a_commercial_gets_his_clients_unpaid_invoices_by_default(client, grand_livre):
    client.force_login(grand_livre.rep1.user)
    response = client.get(URL)
    assert numeros(response) == ["F2", "F1", "AV1"]
    assert "commercial" not in response.context["form"].fields
    assert numeros(client.get(URL, {"statut": "toutes"})) == ["F2", "F5", "F1", "AV1"]
    assert numeros(client.get(URL, {"client": grand_livre.bravo.pk})) == []
    assert numeros(client.get(URL, {"commercial": grand_livre.rep2.pk, "statut": "toutes"})) == [
        "F2",
        "F5",
        "F1",
        "AV1",
    ]


@pytest.mark.parametrize(
    "parametres", [{}, {"statut": "impayees", "tri": "-reste_du", "litige": "0"}, {"tranche": "60+"}]
)
def test_the_query_count_does_not_grow_with_the_data(client, grand_livre, parametres):
    grand_livre.tenant.login(client)
    client.get(URL)
    petit = compter_requetes(client, URL, parametres)
    with grand_livre.tenant.scope():
        for i in range(20):
            autre = ClientFactory(raison_sociale=f"Client {i}", commercial=grand_livre.rep1)
            for jours in (5, 75, -3):
                facture(autre, echeance=grand_livre.aujourd_hui - jours * J, ttc="10.00")
    assert compter_requetes(client, URL, parametres) == petit
    assert petit <= 12


# Bulk actions -----------------------------------------------------------------------------------------


def _factures(tenant, n):
    with tenant.scope():
        cible = ClientFactory()
        return [facture(cible, echeance=timezone.localdate() - (i + 1) * J, ttc="100.00").pk for i in range(n)]


def _suspendre(client, ids, **extra):
    with CaptureQueriesContext(connection) as requetes:
        response = client.post(ACTIONS, {"action": "suspendre", "ids": ids, "commentaire": "Appel du client", **extra})
    assert response.status_code == 302
    return len(requetes)


def test_bulk_pause_is_set_based_and_scoped(client, tenant_a, tenant_b):
    trois, trente = _factures(tenant_a, 3), _factures(tenant_a, 30)
    a_eux = _factures(tenant_b, 2)
    tenant_a.login(client)
    client.get(URL)
    requetes_3 = _suspendre(client, trois + a_eux)
    requetes_30 = _suspendre(client, trente)
    assert requetes_3 == requetes_30
    with tenant_a.scope():
        assert Pause.objects.filter(facture_id__in=trois + trente, motif=MotifPause.MANUELLE).count() == 33
        assert Evenement.objects.filter(facture_id__in=trois, type="relance.pause").count() == 3
    with tenant_b.scope():
        assert not Pause.objects.filter(facture_id__in=a_eux).exists()
    # Again: the invoices already paused are left as they are.
    _suspendre(client, trois)
    with tenant_a.scope():
        assert Pause.objects.filter(facture_id__in=trois).count() == 3
    messages = [str(m) for m in client.get(URL).context["messages"]]
    assert any("3 factures laissées" in m for m in messages)


def test_bulk_pause_withdraws_the_reminders_not_sent_yet(client, tenant_a):
    ids = _factures(tenant_a, 2)
    with tenant_a.scope():
        etape = scenario_avec_etape()
        cible = ClientFactory()
        envoi = Envoi.objects.create(
            client=cible, date_prevue=timezone.localdate(), etape=etape, canal="email", statut=StatutEnvoi.PRET
        )
        for pk in ids:
            Relance.objects.create(
                facture_id=pk,
                etape=etape,
                client=cible,
                envoi=envoi,
                date_prevue=timezone.localdate(),
                decalage_jours=1,
                canal="email",
            )
    tenant_a.login(client)
    _suspendre(client, ids, jusqu_au=(timezone.localdate() + 10 * J).isoformat())
    with tenant_a.scope():
        assert set(Relance.objects.filter(facture_id__in=ids).values_list("statut", flat=True)) == {"annulee"}
        envoi.refresh_from_db()
        assert envoi.statut == StatutEnvoi.ANNULE
        assert Pause.objects.filter(facture_id=ids[0]).get().jusqu_au == timezone.localdate() + 10 * J


def test_bulk_resume_lifts_the_manual_pauses_only(client, tenant_a):
    ids = _factures(tenant_a, 3)
    with tenant_a.scope():
        Pause.objects.create(facture_id=ids[0], motif=MotifPause.MANUELLE)
        Pause.objects.create(facture_id=ids[1], motif=MotifPause.MANUELLE)
        Pause.objects.create(facture_id=ids[2], motif=MotifPause.LITIGE, origine="litige:1")
    tenant_a.login(client)
    response = client.post(ACTIONS, {"action": "reprendre", "ids": ids})
    assert response.status_code == 302
    with tenant_a.scope():
        assert Pause.objects.filter(levee_le__isnull=True).get().motif == MotifPause.LITIGE
        assert Evenement.objects.filter(type="relance.reprise").count() == 2


def test_bulk_scenario_change_on_every_invoice_of_the_filter(client, grand_livre, tenant_b):
    with grand_livre.tenant.scope():
        scenario = scenario_avec_etape(nom="Grands comptes").scenario
        ancien = scenario_avec_etape(nom="Ancien").scenario
        ScenarioImpose.objects.create(facture=grand_livre.f["F6"], scenario=ancien)
    grand_livre.tenant.login(client)
    response = client.post(
        ACTIONS, {"action": "scenario", "scenario": scenario.pk, "tous": "on", "filtres": "statut=impayees&echue=1"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?statut=impayees&echue=1")
    with grand_livre.tenant.scope():
        imposes = dict(ScenarioImpose.objects.values_list("facture__numero", "scenario_id"))
    assert imposes == {"F6": scenario.pk, "F2": scenario.pk, "F1": scenario.pk}


def test_bulk_scenario_query_count_is_constant(client, tenant_a):
    trois, trente = _factures(tenant_a, 3), _factures(tenant_a, 30)
    with tenant_a.scope():
        scenario = scenario_avec_etape().scenario
    tenant_a.login(client)
    client.get(URL)
    comptes = []
    for ids in (trois, trente):
        with CaptureQueriesContext(connection) as requetes:
            client.post(ACTIONS, {"action": "scenario", "scenario": scenario.pk, "ids": ids})
        comptes.append(len(requetes))
    assert comptes[0] == comptes[1]
    with tenant_a.scope():
        assert ScenarioImpose.objects.count() == 33


def test_another_organisations_scenario_is_refused(client, tenant_a, tenant_b):
    ids = _factures(tenant_a, 1)
    with tenant_b.scope():
        scenario_b = scenario_avec_etape().scenario
    tenant_a.login(client)
    client.post(ACTIONS, {"action": "scenario", "scenario": scenario_b.pk, "ids": ids})
    with tenant_a.scope():
        assert not ScenarioImpose.objects.exists()


@pytest.mark.parametrize("role", [Role.COMMERCIAL, Role.LECTURE])
def test_bulk_actions_are_for_credit_managers(client, tenant_a, role):
    ids = _factures(tenant_a, 1)
    tenant_a.login(client, role=role)
    assert client.post(ACTIONS, {"action": "suspendre", "ids": ids}).status_code == 403
    assert "actions-masse" not in client.get(URL).content.decode()
    with tenant_a.scope():
        assert not Pause.objects.exists()


def test_a_bulk_action_without_selection_says_so(client, tenant_a):
    tenant_a.login(client)
    response = client.post(ACTIONS, {"action": "suspendre"}, follow=True)
    assert "Cochez au moins une facture" in response.content.decode()


def test_the_page_offers_the_bulk_actions(client, grand_livre):
    grand_livre.tenant.login(client)
    page = client.get(URL, {"statut": "impayees"}).content.decode()
    assert 'form="actions-masse"' in page
    assert 'name="filtres" value="statut=impayees"' in page
