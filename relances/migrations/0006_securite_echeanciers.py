"""Row-level security and tenant foreign keys on the payment plan tables (PostgreSQL only)."""

from django.db import migrations

from recouvrement.tenancy.operations import SecureTenantTable


class Migration(migrations.Migration):
    dependencies = [("relances", "0005_echeanciers")]

    operations = [
        SecureTenantTable("echeancier"),
        SecureTenantTable("ligneecheancier"),
        SecureTenantTable("versement"),
        SecureTenantTable("messageecheancier"),
    ]
