"""Reference rates published when this was written (ECB decisions; arrêtés fixing the taux légal).

Later half-years are added by an operator in the platform admin; a computation
that needs a missing half-year refuses with a clear message instead of guessing.
"""

from decimal import Decimal

from django.db import migrations

TAUX = [
    # semestre, BCE (refinancement au 1er jour), taux légal (créanciers professionnels)
    ("2023-01-01", "2.50", "2.06"),
    ("2023-07-01", "4.00", "4.22"),
    ("2024-01-01", "4.50", "5.07"),
    ("2024-07-01", "4.25", "4.92"),
    ("2025-01-01", "3.15", "3.71"),
    ("2025-07-01", "2.15", "2.76"),
    ("2026-01-01", "2.15", "2.62"),  # BCE inchangé depuis le 11 juin 2025 ; arrêté du 15 décembre 2025
]


def charger(apps, schema_editor):
    TauxReference = apps.get_model("relances", "TauxReference")
    for debut, bce, legal in TAUX:
        TauxReference.objects.update_or_create(
            semestre_debut=debut,
            defaults={"taux_bce": Decimal(bce), "taux_legal": Decimal(legal), "source": "Banque de France"},
        )


def retirer(apps, schema_editor):
    apps.get_model("relances", "TauxReference").objects.filter(semestre_debut__in=[t[0] for t in TAUX]).delete()


class Migration(migrations.Migration):
    dependencies = [("relances", "0002_securite")]

    operations = [migrations.RunPython(charger, retirer)]
