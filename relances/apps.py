from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RelancesConfig(AppConfig):
    name = "relances"
    verbose_name = _("Relances")

    def ready(self) -> None:
        from recouvrement.tenancy.signals import organisation_creee
        from relances import receivers

        organisation_creee.connect(receivers.organisation_creee, dispatch_uid="relances.organisation_creee")
        receivers.connecter_suivi_esp()
        receivers.connecter_reglements()
