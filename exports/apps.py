from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportsConfig(AppConfig):
    """CSV and XLSX exports of the lists, large ones built in the background with progress."""

    name = "exports"
    verbose_name = _("Exports")
