"""Row-level security and tenant foreign keys on the risk tables (PostgreSQL only)."""

from django.db import migrations

from recouvrement.tenancy.operations import SecureTenantTable


class Migration(migrations.Migration):
    dependencies = [("risque", "0001_initial")]

    operations = [
        SecureTenantTable("scorerisque"),
        SecureTenantTable("alerteplafond"),
        SecureTenantTable("calculrisquejour"),
    ]
