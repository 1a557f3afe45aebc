from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0003_tranches_balance_agee"),
    ]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="scenarios_revus_le",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="scénarios revus le"),
        ),
        migrations.AddField(
            model_name="organisation",
            name="demarrage_masque_le",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="démarrage masqué le"),
        ),
    ]
