from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RisqueConfig(AppConfig):
    name = "risque"
    verbose_name = _("Risque et plafonds de crédit")
