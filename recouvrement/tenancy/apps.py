from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "recouvrement.tenancy"
    label = "tenancy"
    verbose_name = _("Organisations et accès")

    def ready(self) -> None:
        from recouvrement.tenancy import checks  # noqa: F401  (registers the system checks)
