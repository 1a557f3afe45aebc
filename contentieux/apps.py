from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentieuxConfig(AppConfig):
    name = "contentieux"
    verbose_name = _("Contentieux")
