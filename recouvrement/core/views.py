from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


def accueil(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "core/accueil_public.html")
    if getattr(request, "membre", None) is None:
        return redirect("sans_organisation")
    return redirect("clients:liste")
