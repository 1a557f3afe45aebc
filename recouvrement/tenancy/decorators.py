"""View decorators: a member of an organisation is required, with a capability for some views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

if TYPE_CHECKING:
    from recouvrement.tenancy.models import Membre

View = Callable[..., Any]


def membre_requis(view: View) -> View:
    """Logged in, and an active member of an organisation (which the middleware made current)."""

    @wraps(view)
    def wrapped(request: Any, *args: Any, **kwargs: Any) -> Any:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if getattr(request, "membre", None) is None:
            return redirect("sans_organisation")
        return view(request, *args, **kwargs)

    return wrapped


def role_requis(capacite: Callable[[Membre], bool]) -> Callable[[View], View]:
    """``membre_requis``, and 403 unless the member has the capability (see ``roles``)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def checked(request: Any, *args: Any, **kwargs: Any) -> Any:
            if not capacite(request.membre):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return membre_requis(checked)

    return decorator
