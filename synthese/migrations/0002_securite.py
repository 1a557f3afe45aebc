"""Row-level security on the digest tables (PostgreSQL only)."""

from django.db import migrations

from recouvrement.tenancy.operations import SecureTenantTable


class Migration(migrations.Migration):
    dependencies = [("synthese", "0001_initial")]

    operations = [
        SecureTenantTable("parametressynthese"),
        SecureTenantTable("abonnementsynthese"),
        SecureTenantTable("synthesehebdo"),
    ]
