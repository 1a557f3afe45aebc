from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LitigesConfig(AppConfig):
    name = "litiges"
    verbose_name = _("Litiges")
