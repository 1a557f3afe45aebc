"""Row-level security on the API keys (PostgreSQL only). The lookup by prefix runs under
``unscoped()`` (the key decides the organisation), see ``api.services.cle_authentifier``."""

from django.db import migrations

from recouvrement.tenancy.operations import SecureTenantTable


class Migration(migrations.Migration):
    dependencies = [("api", "0001_cles")]

    operations = [SecureTenantTable("cleapi")]
