"""Row-level security and tenant foreign keys on the webhook tables (PostgreSQL only)."""

from django.db import migrations

from recouvrement.tenancy.operations import SecureTenantTable


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0001_initial")]

    operations = [
        SecureTenantTable("endpoint"),
        SecureTenantTable("livraison"),
        SecureTenantTable("tentative"),
    ]
