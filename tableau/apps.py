from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TableauConfig(AppConfig):
    """The credit manager's dashboard: a page composing the selectors of every app."""

    name = "tableau"
    verbose_name = _("Tableau de bord")
