"""Row-level security on the dunning tables (PostgreSQL only)."""

from django.db import migrations

from recouvrement.tenancy.operations import SecureTenantTable


class Migration(migrations.Migration):
    dependencies = [("relances", "0001_initial"), ("factures", "0002_securite")]

    operations = [
        SecureTenantTable(name)
        for name in (
            "parametresrelance",
            "scenario",
            "etape",
            "modelemessage",
            "regleaffectation",
            "scenarioimpose",
            "pause",
            "envoi",
            "relance",
            "tache",
            "promesse",
            "planificationjour",
        )
    ]
