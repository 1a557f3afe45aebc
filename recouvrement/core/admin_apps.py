from django.contrib.admin.apps import AdminConfig


class PlatformAdminConfig(AdminConfig):
    """The Django admin, for platform staff only, over every organisation."""

    default_site = "recouvrement.core.admin_site.PlatformAdminSite"
