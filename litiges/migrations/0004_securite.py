"""Row-level security and tenant foreign keys on the new dispute tables (PostgreSQL only)."""

from django.db import migrations

from recouvrement.tenancy.operations import SecureTenantTable


class Migration(migrations.Migration):
    dependencies = [("litiges", "0003_suivi")]

    operations = [
        SecureTenantTable("commentairelitige"),
        SecureTenantTable("piecejointelitige"),
        SecureTenantTable("delailitige"),
        SecureTenantTable("parametreslitige"),
    ]
