"""Row-level security on the tenant tables of this app (PostgreSQL only)."""

from django.db import migrations

from recouvrement.tenancy.operations import SecureTenantTable


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0001_initial")]

    operations = [
        SecureTenantTable(
            "membre",
            # A user reads his own memberships before any organisation is chosen
            # (login, organisation switch): see MembreManager.of_user.
            extra_select_policies={
                "membre_self": "user_id = NULLIF(current_setting('app.user_id', true), '')::bigint",
            },
        ),
        SecureTenantTable("invitation"),
    ]
