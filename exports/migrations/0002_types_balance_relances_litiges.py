# Issue 6: the aging balance, the reminder history and the disputes as exports.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('exports', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='export',
            name='type',
            field=models.CharField(choices=[('clients', 'Liste des clients'), ('factures', 'Liste des factures'), ('courriers', 'Lot de courriers à imprimer'), ('balance_agee', 'Balance âgée par client'), ('relances', 'Historique des relances'), ('litiges', 'Liste des litiges')], max_length=20, verbose_name='type'),
        ),
    ]
