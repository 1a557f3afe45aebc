from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The REST API: API keys, resources, bulk upserts, OpenAPI schema."""

    name = "api"
    verbose_name = _("API REST")
