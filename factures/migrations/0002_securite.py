"""Row-level security on invoices, payments and allocations (PostgreSQL only)."""

from django.db import migrations

from recouvrement.tenancy.operations import SecureTenantTable


class Migration(migrations.Migration):
    dependencies = [("factures", "0001_initial"), ("clients", "0002_securite")]

    operations = [
        SecureTenantTable("facture"),
        SecureTenantTable("paiement"),
        SecureTenantTable("lettrage"),
    ]
