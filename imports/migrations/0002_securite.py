"""Row-level security and tenant foreign keys on the import tables (PostgreSQL only)."""

from django.db import migrations

from recouvrement.tenancy.operations import SecureTenantTable


class Migration(migrations.Migration):
    dependencies = [("imports", "0001_initial")]

    operations = [
        SecureTenantTable("modelecorrespondance"),
        SecureTenantTable("import"),
    ]
