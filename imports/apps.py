from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    """CSV/XLSX imports with column mapping and preview, and Factur-X PDF invoices."""

    name = "imports"
    verbose_name = _("Imports")
