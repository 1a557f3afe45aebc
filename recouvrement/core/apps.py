from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "recouvrement.core"
    label = "core"
    verbose_name = "Recouvrement"
