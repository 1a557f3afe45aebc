"""Row-level security and tenant foreign keys on the bank statement tables (PostgreSQL only)."""

from django.db import migrations

from recouvrement.tenancy.operations import SecureTenantTable


class Migration(migrations.Migration):
    dependencies = [("banque", "0001_initial")]

    operations = [
        SecureTenantTable("releve"),
        SecureTenantTable("lignereleve"),
        SecureTenantTable("comptepayeur"),
    ]
