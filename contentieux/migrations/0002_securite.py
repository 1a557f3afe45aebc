"""Row-level security on the litigation tables (PostgreSQL only)."""

from django.db import migrations

from recouvrement.tenancy.operations import SecureTenantTable


class Migration(migrations.Migration):
    dependencies = [("contentieux", "0001_initial")]

    operations = [SecureTenantTable("dossiercontentieux"), SecureTenantTable("lignedossier")]
