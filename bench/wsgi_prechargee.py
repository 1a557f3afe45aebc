"""The WSGI application with the URL configuration and the views imported at load time, for
``gunicorn --preload`` in ``bulk_upsert.py --http``: the workers start with them, as the first
request of each would otherwise import them (about 2.5 s, not what the benchmark measures)."""

from django.urls import get_resolver

from recouvrement.wsgi import application

get_resolver().url_patterns  # noqa: B018  (imports the URLconf and every view)

__all__ = ["application"]
