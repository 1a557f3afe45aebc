"""Fail-closed tenancy, for every tenant-owned model: the scoped manager, row-level
security on the application's own connection, composite foreign keys and indexes.

``MAKERS`` must know every tenant model: a new one without a maker fails
``test_every_tenant_model_has_a_maker``, so isolation is tested for it too.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from api.models import CleApi
from banque.models import ComptePayeur, LigneReleve, Releve
from clients.events import evenement_record
from clients.models import Client, Contact, Evenement
from contentieux.models import DossierContentieux, LigneDossier
from exports.models import Export
from factures.models import Facture, Lettrage, Paiement
from factures.services import lettrage_create
from imports.models import Import, ModeleCorrespondance
from litiges.models import (
    CommentaireLitige,
    DelaiLitige,
    LigneLitige,
    Litige,
    ParametresLitige,
    PieceJointeLitige,
)
from recouvrement.core.errors import TenantScopeError
from recouvrement.tenancy.checks import tenant_models
from recouvrement.tenancy.context import organisation_scope, unscoped, user_scope
from recouvrement.tenancy.models import Invitation, Membre, Role
from relances.models import (
    Echeancier,
    Envoi,
    Etape,
    LigneEcheancier,
    MessageEcheancier,
    ModeleMessage,
    ParametresRelance,
    Pause,
    PlanificationJour,
    Promesse,
    RegleAffectation,
    Relance,
    Scenario,
    ScenarioImpose,
    Tache,
    Versement,
)
from risque.models import AlertePlafond, CalculRisqueJour, ScoreRisque
from synthese.models import AbonnementSynthese, ParametresSynthese, SyntheseHebdo
from tests.banque.fabriques import compte_payeur_de_test, ligne_de_test, releve_de_test
from tests.factories import (
    ClientFactory,
    ContactFactory,
    FactureFactory,
    MembreFactory,
    PaiementFactory,
    scenario_avec_etape,
)
from webhooks.models import Endpoint, Livraison, Tentative


def _invitation() -> Invitation:
    return Invitation.objects.create(
        email="invite@exemple.fr", role=Role.CHARGE, expires_at=timezone.now() + datetime.timedelta(days=3)
    )


def _lettrage() -> Lettrage:
    facture = FactureFactory()
    paiement = PaiementFactory(client=facture.client, montant=Decimal("100.00"))
    return lettrage_create(facture=facture, paiement=paiement, montant=Decimal("100.00"))


def _evenement() -> Evenement:
    return evenement_record(client=ClientFactory(), type="test", message="Un événement")


def _envoi() -> Envoi:
    etape = scenario_avec_etape()
    return Envoi.objects.create(
        client=ClientFactory(), date_prevue=datetime.date(2026, 11, 26), etape=etape, canal=etape.canal
    )


def _relance() -> Relance:
    etape = scenario_avec_etape()
    facture = FactureFactory()
    return Relance.objects.create(
        facture=facture,
        client=facture.client,
        etape=etape,
        date_prevue=datetime.date(2026, 11, 26),
        decalage_jours=1,
        canal="email",
    )


def _regle() -> RegleAffectation:
    etape = scenario_avec_etape()
    return RegleAffectation.objects.create(
        ordre=RegleAffectation.objects.count() + 1, nom="Règle", scenario=etape.scenario
    )


def _litige() -> Litige:
    facture = FactureFactory()
    litige = Litige.objects.create(client=facture.client, type="prix", description="Prix contesté")
    LigneLitige.objects.create(litige=litige, facture=facture, montant=Decimal("10.00"))
    return litige


def _dossier() -> DossierContentieux:
    return DossierContentieux.objects.create(
        client=ClientFactory(), destination="avocat", date_dossier=datetime.date(2026, 11, 26)
    )


def _webhook_livraison() -> Livraison:
    endpoint = Endpoint.objects.create(
        url="https://erp.example.com/hook", evenements=["facture.payee"], secret_chiffre="v1:x", secret_debut="whsec_x"
    )
    return Livraison.objects.create(
        endpoint=endpoint, evenement_id=uuid.uuid4(), type="facture.payee", payload={"id": "x"}
    )


def _echeancier() -> Echeancier:
    return Echeancier.objects.create(client=ClientFactory(), montant_principal=Decimal("10.00"))


MAKERS: dict[type, Callable[[], object]] = {
    ScoreRisque: lambda: ScoreRisque.objects.create(
        client=ClientFactory(), score=50, classe="C", encours=Decimal("0.00"), calcule_le=timezone.now()
    ),
    AlertePlafond: lambda: AlertePlafond.objects.create(
        client=ClientFactory(), encours=Decimal("20.00"), plafond=Decimal("10.00")
    ),
    CalculRisqueJour: lambda: CalculRisqueJour.objects.create(jour=datetime.date(2026, 11, 26)),
    Membre: lambda: MembreFactory(role=Role.LECTURE),
    CleApi: lambda: CleApi.objects.create(nom="ERP", prefixe=uuid.uuid4().hex[:12], empreinte="0" * 64),
    Invitation: _invitation,
    Client: ClientFactory,
    Contact: ContactFactory,
    Evenement: _evenement,
    Facture: FactureFactory,
    Paiement: PaiementFactory,
    Lettrage: _lettrage,
    ParametresRelance: lambda: ParametresRelance.objects.create(),  # noqa: PLW0108  (lazy: needs a scope)
    Scenario: lambda: scenario_avec_etape().scenario,
    Etape: scenario_avec_etape,
    ModeleMessage: lambda: scenario_avec_etape().modeles.get(),  # noqa: PLW0108  (lazy: needs a scope)
    RegleAffectation: _regle,
    ScenarioImpose: lambda: ScenarioImpose.objects.create(
        client=ClientFactory(), scenario=scenario_avec_etape().scenario
    ),
    Pause: lambda: Pause.objects.create(client=ClientFactory(), motif="manuelle"),
    Envoi: _envoi,
    Relance: _relance,
    PlanificationJour: lambda: PlanificationJour.objects.create(jour=datetime.date(2026, 11, 26)),
    Tache: lambda: Tache.objects.create(
        client=ClientFactory(), type="appel", titre="Appeler", echeance=datetime.date(2026, 11, 26)
    ),
    Litige: _litige,
    LigneLitige: lambda: _litige().lignes.get(),  # noqa: PLW0108  (lazy: needs a scope)
    CommentaireLitige: lambda: CommentaireLitige.objects.create(litige=_litige(), texte="Appelé"),
    PieceJointeLitige: lambda: PieceJointeLitige.objects.create(
        litige=_litige(), fichier="litiges/2026/11/x.pdf", nom_original="x.pdf", taille=3
    ),
    DelaiLitige: lambda: DelaiLitige.objects.create(type="prix", jours=12),
    ParametresLitige: lambda: ParametresLitige.objects.create(),  # noqa: PLW0108  (lazy: needs a scope)
    Promesse: lambda: Promesse.objects.create(
        client=ClientFactory(), montant=Decimal("10.00"), date_promise=datetime.date(2026, 12, 1)
    ),
    Export: lambda: Export.objects.create(
        type="clients", format="csv", jour=datetime.date(2026, 11, 26), demande_par=MembreFactory()
    ),
    ModeleCorrespondance: lambda: ModeleCorrespondance.objects.create(type="factures", nom="ERP"),
    Import: lambda: Import.objects.create(
        type="factures", fichier="imports/x.csv", nom_fichier="x.csv", format="csv", demande_par=MembreFactory()
    ),
    Echeancier: _echeancier,
    DossierContentieux: _dossier,
    LigneDossier: lambda: LigneDossier.objects.create(
        dossier=_dossier(), facture=FactureFactory(), montant_principal=Decimal("10.00")
    ),
    LigneEcheancier: lambda: LigneEcheancier.objects.create(
        echeancier=_echeancier(), facture=FactureFactory(), montant=Decimal("10.00")
    ),
    Versement: lambda: Versement.objects.create(
        echeancier=_echeancier(),
        numero=1,
        date_echeance=datetime.date(2026, 12, 10),
        principal=Decimal("10.00"),
        montant=Decimal("10.00"),
    ),
    MessageEcheancier: lambda: MessageEcheancier.objects.create(
        echeancier=_echeancier(), type="accord", cle="accord:x"
    ),
    ParametresSynthese: lambda: ParametresSynthese.objects.create(),  # noqa: PLW0108  (lazy: needs a scope)
    AbonnementSynthese: lambda: AbonnementSynthese.objects.create(membre=MembreFactory(role=Role.CHARGE), abonne=True),
    SyntheseHebdo: lambda: SyntheseHebdo.objects.create(semaine=datetime.date(2026, 11, 16)),
    Endpoint: lambda: _webhook_livraison().endpoint,
    Livraison: lambda: _webhook_livraison(),  # noqa: PLW0108  (lazy: needs a scope)
    Tentative: lambda: Tentative.objects.create(
        livraison=_webhook_livraison(), numero=1, debut=timezone.now(), duree_ms=12, code_http=200, succes=True
    ),
    Releve: releve_de_test,
    LigneReleve: ligne_de_test,
    ComptePayeur: compte_payeur_de_test,
}


def test_every_tenant_model_has_a_maker():
    assert set(tenant_models()) == set(MAKERS), "add the new tenant model to MAKERS"


@pytest.fixture
def rows(tenant_a, tenant_b):
    """One row of every tenant model in each organisation: {model: (pk in A, pk in B)}."""
    made = {}
    for model, maker in MAKERS.items():
        with tenant_a.scope():
            in_a = maker()
        with tenant_b.scope():
            in_b = maker()
        made[model] = (in_a.pk, in_b.pk)
    return made


@pytest.mark.parametrize("model", list(MAKERS), ids=lambda m: m.__name__)
def test_orm_shows_only_the_active_organisation(model, rows, tenant_a, tenant_b):
    pk_a, pk_b = rows[model]
    with tenant_a.scope():
        pks = set(model.objects.values_list("pk", flat=True))
        assert pk_a in pks
        assert pk_b not in pks
        assert not model.objects.filter(pk=pk_b).exists()
        assert set(model.objects.values_list("tenant_id", flat=True)) == {tenant_a.organisation.pk}


@pytest.mark.parametrize("model", list(MAKERS), ids=lambda m: m.__name__)
def test_raw_sql_on_the_app_connection_shows_only_the_active_organisation(model, rows, tenant_a, tenant_b):
    table = model._meta.db_table
    with tenant_a.scope(), connection.cursor() as cursor:
        cursor.execute(f'SELECT DISTINCT tenant_id FROM "{table}"')
        assert [row[0] for row in cursor.fetchall()] == [tenant_a.organisation.pk]
        cursor.execute(f'SELECT count(*) FROM "{table}" WHERE id = %s', [rows[model][1]])
        assert cursor.fetchone()[0] == 0


@pytest.mark.parametrize("model", list(MAKERS), ids=lambda m: m.__name__)
def test_raw_sql_without_scope_sees_nothing(model, rows):
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        assert cursor.fetchone()[0] == 0


@pytest.mark.parametrize("model", list(MAKERS), ids=lambda m: m.__name__)
def test_raw_sql_cannot_write_into_another_organisation(model, rows, tenant_a, tenant_b):
    """Under A's scope, inserting a row for B (a copy of A's row) violates the policy's WITH CHECK."""
    table = model._meta.db_table
    columns = [f.column for f in model._meta.concrete_fields if f.column not in ("id", "tenant_id")]
    listed = ", ".join(f'"{c}"' for c in columns)
    with tenant_a.scope(), pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f'INSERT INTO "{table}" (tenant_id, {listed}) SELECT %s, {listed} FROM "{table}" WHERE id = %s',
                [tenant_b.organisation.pk, rows[model][0]],
            )


@pytest.mark.parametrize("model", [m for m in MAKERS if m is not Evenement], ids=lambda m: m.__name__)
def test_raw_sql_cannot_move_a_row_to_another_organisation(model, rows, tenant_a, tenant_b):
    table = model._meta.db_table
    with tenant_a.scope(), pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f'UPDATE "{table}" SET tenant_id = %s WHERE id = %s', [tenant_b.organisation.pk, rows[model][0]]
            )


@pytest.mark.parametrize("model", [m for m in MAKERS if m is not Evenement], ids=lambda m: m.__name__)
def test_orm_refuses_to_save_a_row_of_another_organisation(model, rows, tenant_a, tenant_b):
    with unscoped(reason="test: load B's row"):
        row_b = model.objects.get(pk=rows[model][1])
    with tenant_a.scope(), pytest.raises(TenantScopeError):
        row_b.save()  # an update of B's row
    row_b.pk = None
    row_b._state.adding = True
    with tenant_a.scope(), pytest.raises(TenantScopeError):
        row_b.save()  # an insert for B


@pytest.mark.parametrize("model", list(MAKERS), ids=lambda m: m.__name__)
def test_manager_raises_without_an_active_organisation(model, rows):
    queryset = model.objects.all()  # building a queryset is lazy and allowed
    with pytest.raises(TenantScopeError):
        list(queryset)
    with pytest.raises(TenantScopeError):
        model.objects.count()
    with pytest.raises(TenantScopeError):
        model.objects.exists()
    with pytest.raises(TenantScopeError):
        model.objects.update(tenant_id=0)


def test_manager_raises_inside_a_subquery(rows):
    with pytest.raises(TenantScopeError):
        list(Facture.objects.filter(client__in=Client.objects.all()))


def test_creating_without_scope_raises(tenant_a):
    with pytest.raises(TenantScopeError):
        Client.objects.create(raison_sociale="Sans organisation")


def test_the_scope_at_execution_time_decides(rows, tenant_a, tenant_b):
    """Querysets built in one scope (forms, at import time) run in the scope of the request."""
    with tenant_a.scope():
        queryset = Client.objects.all()
    with tenant_b.scope():
        assert set(queryset.values_list("tenant_id", flat=True)) == {tenant_b.organisation.pk}


def test_platform_escape_hatch_sees_every_organisation(rows, tenant_a, tenant_b):
    with unscoped(reason="test"):
        tenants = set(Client.objects.values_list("tenant_id", flat=True))
        with connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT tenant_id FROM clients_client")
            raw = {row[0] for row in cursor.fetchall()}
    assert tenants == raw == {tenant_a.organisation.pk, tenant_b.organisation.pk}


def test_unscoped_needs_a_reason():
    with pytest.raises(ValueError, match="reason"), unscoped(reason=""):
        pass


def test_platform_writes_must_name_the_organisation(rows):
    with unscoped(reason="test"), pytest.raises(TenantScopeError):
        Client.objects.create(raison_sociale="Où ?")


def test_a_row_cannot_reference_another_organisations_row(rows, tenant_a, tenant_b):
    """Composite foreign keys (tenant_id, x_id) → (tenant_id, id), checked by the database."""
    client_b = rows[Client][1]
    with unscoped(reason="test: bypass the ORM and RLS to reach the constraint"):
        with pytest.raises(DatabaseError, match="meme_tenant"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # they are deferred to commit, like Django's
                cursor.execute(
                    "INSERT INTO factures_facture (tenant_id, client_id, numero, nature, date_emission, "
                    "date_echeance, montant_ht, montant_tva, montant_ttc, devise, reste_du, statut, "
                    "support_paiement, affactureur, numero_commande, pdf, external_id, created_at, updated_at) "
                    "VALUES (%s, %s, 'X-1', 'facture', '2026-01-01', '2026-02-01', 10, 2, 12, 'EUR', 12, "
                    "'ouverte', 'virement', '', '', '', '', now(), now())",
                    [tenant_a.organisation.pk, client_b],
                )


@pytest.mark.parametrize(
    ("table", "colonnes", "valeurs"),
    [
        (
            "factures_facture",
            "numero, nature, date_emission, date_echeance, montant_ht, montant_tva, montant_ttc, devise, reste_du, "
            "statut, support_paiement, affactureur, numero_commande, pdf, external_id, created_at, updated_at",
            "'X-2', 'facture', '2026-01-01', '2026-02-01', 10, 2, 12, 'EUR', 12, 'ouverte', 'virement', '', '', '', "
            "'', now(), now()",
        ),
        ("clients_evenement", "type, message, donnees, created_at", "'note', 'x', '{}', now()"),
    ],
)
@pytest.mark.parametrize("manque", ["client", "organisation"])
def test_an_invoice_or_event_of_a_missing_client_or_organisation_is_refused(
    rows, tenant_a, table, colonnes, valeurs, manque
):
    """Invoices and timeline events keep only the composite foreign key (tenant_id, client_id) (one
    check per row for the bulk writes): it still refuses a client or an organisation that does not exist."""
    client_a = rows[Client][0]
    tenant_id, client_id = tenant_a.organisation.pk, client_a
    if manque == "client":
        client_id = 10**12
    else:
        tenant_id = 10**12
    with unscoped(reason="test: bypass the ORM and RLS to reach the constraint"):
        with pytest.raises(DatabaseError, match="meme_tenant"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(
                    f"INSERT INTO {table} (tenant_id, client_id, {colonnes}) VALUES (%s, %s, {valeurs})",
                    [tenant_id, client_id],
                )


def test_scope_is_resynchronised_after_a_rollback(rows, tenant_a, tenant_b):
    """A rollback can undo the connection's set_config: the backend must not trust its cache."""
    with transaction.atomic():
        with tenant_b.scope():
            assert Client.objects.filter(pk=rows[Client][1]).exists()
            with pytest.raises(RuntimeError), transaction.atomic():
                with tenant_a.scope():
                    assert Client.objects.filter(pk=rows[Client][0]).exists()
                    raise RuntimeError
            assert Client.objects.filter(pk=rows[Client][1]).exists()
            with connection.cursor() as cursor:
                cursor.execute("SELECT DISTINCT tenant_id FROM clients_client")
                assert [r[0] for r in cursor.fetchall()] == [tenant_b.organisation.pk]


def test_a_user_reads_only_his_own_memberships_without_organisation(tenant_a, tenant_b):
    with tenant_b.scope():
        MembreFactory(user=tenant_a.admin, role=Role.DAF)
    with user_scope(tenant_a.admin.pk):
        mine = set(Membre.objects.of_user(tenant_a.admin).values_list("tenant_id", flat=True))
        with connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT user_id FROM tenancy_membre")
            users = {row[0] for row in cursor.fetchall()}
    assert mine == {tenant_a.organisation.pk, tenant_b.organisation.pk}
    assert users == {tenant_a.admin.pk}
    with user_scope(tenant_b.admin.pk), pytest.raises(TenantScopeError):
        Membre.objects.of_user(tenant_a.admin)


def test_the_event_timeline_is_append_only_in_the_database(rows, tenant_a):
    with tenant_a.scope():
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("UPDATE clients_evenement SET message = 'réécrit'")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM clients_evenement")


def test_the_application_role_does_not_bypass_row_level_security(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)


def test_every_tenant_table_forces_row_level_security_with_the_policy(db):
    for model in tenant_models():
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = %s", [table])
            assert cursor.fetchone() == (True, True), table
            cursor.execute(
                "SELECT qual, with_check FROM pg_policies WHERE tablename = %s AND policyname = %s",
                [table, "tenant_isolation"],
            )
            qual, with_check = cursor.fetchone()
            for expression in (qual, with_check):
                assert "NULLIF(current_setting('app.tenant_id'::text, true), ''::text)" in expression, table


def test_every_unique_and_composite_index_of_a_tenant_table_starts_with_tenant_id(db):
    offenders = []
    for model in tenant_models():
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT i.relname, ix.indisunique, ix.indisprimary,
                       array_agg(a.attname ORDER BY k.ordinality)
                FROM pg_index ix
                JOIN pg_class t ON t.oid = ix.indrelid
                JOIN pg_class i ON i.oid = ix.indexrelid
                CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ordinality)
                JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
                WHERE t.relname = %s
                GROUP BY i.relname, ix.indisunique, ix.indisprimary
                """,
                [table],
            )
            for name, unique, primary, columns in cursor.fetchall():
                if primary:
                    continue
                if (unique or len(columns) > 1) and columns[0] != "tenant_id":
                    offenders.append((table, name, columns))
    assert offenders == []


def test_every_foreign_key_between_tenant_tables_is_tenant_checked(db):
    models = set(tenant_models())
    missing = []
    for model in models:
        for field in model._meta.concrete_fields:
            if field.is_relation and field.name != "tenant" and field.related_model in models:
                name = f"{model._meta.db_table}_{field.column}_meme_tenant"
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1 FROM pg_constraint WHERE conname = %s", [name])
                    if cursor.fetchone() is None:
                        missing.append(name)
    assert missing == []


def test_rows_written_under_a_scope_get_its_organisation(tenant_a):
    with organisation_scope(tenant_a.organisation):
        client = Client.objects.create(raison_sociale="Auto")
        contacts = Contact.objects.bulk_create([Contact(client=client, nom="Un"), Contact(client=client, nom="Deux")])
    assert client.tenant_id == tenant_a.organisation.pk
    assert {c.tenant_id for c in contacts} == {tenant_a.organisation.pk}
