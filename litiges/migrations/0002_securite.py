"""Row-level security on the dispute tables (PostgreSQL only)."""

from django.db import migrations

from recouvrement.tenancy.operations import SecureTenantTable


class Migration(migrations.Migration):
    dependencies = [("litiges", "0001_initial"), ("relances", "0003_taux_reference")]

    operations = [SecureTenantTable("litige"), SecureTenantTable("lignelitige")]
