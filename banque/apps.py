from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BanqueConfig(AppConfig):
    """Bank statements (CAMT.053, CSV) matched to open invoices, with suggestions and undo."""

    name = "banque"
    verbose_name = _("Rapprochement bancaire")
