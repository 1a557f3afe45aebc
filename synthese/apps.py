from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SyntheseConfig(AppConfig):
    name = "synthese"
    verbose_name = _("Synthèse hebdomadaire")
