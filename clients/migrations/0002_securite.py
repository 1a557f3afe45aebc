"""Row-level security on the client tables, and the append-only event timeline (PostgreSQL only)."""

from django.db import migrations

from recouvrement.tenancy.operations import SecureTenantTable

APPEND_ONLY_SQL = """
CREATE FUNCTION clients_evenement_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'clients_evenement is append-only (% refused)', TG_OP;
END
$$;
CREATE TRIGGER clients_evenement_append_only
    BEFORE UPDATE OR DELETE ON clients_evenement
    FOR EACH ROW EXECUTE FUNCTION clients_evenement_append_only();
"""

DROP_APPEND_ONLY_SQL = """
DROP TRIGGER IF EXISTS clients_evenement_append_only ON clients_evenement;
DROP FUNCTION IF EXISTS clients_evenement_append_only();
"""


def append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_SQL, None)


def append_only_backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_APPEND_ONLY_SQL)


class Migration(migrations.Migration):
    dependencies = [("clients", "0001_initial"), ("tenancy", "0002_securite")]

    operations = [
        SecureTenantTable("client"),
        SecureTenantTable("contact"),
        SecureTenantTable("evenement"),
        migrations.RunPython(append_only, append_only_backwards),
    ]
