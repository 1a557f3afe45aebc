from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    """Signed outgoing webhooks to the organisation's ERP, retried with backoff, with a delivery log."""

    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from webhooks.receivers import connecter

        connecter()
