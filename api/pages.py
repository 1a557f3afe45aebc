"""The API's pages: the organisation's keys (admins only) and the documentation (Swagger UI,
served from ``drf_spectacular_sidecar``'s static files, no CDN)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from api.models import CleApi, Portee
from api.services import cle_create
from api.services import cle_revoquer as cle_revoquer_service
from recouvrement.core.errors import ApplicationError
from recouvrement.tenancy.decorators import membre_requis, role_requis
from recouvrement.tenancy.forms import add_error_from
from recouvrement.tenancy.http import MembreRequest
from recouvrement.tenancy.roles import peut_administrer


class CleForm(forms.Form):
    nom = forms.CharField(
        label=gettext_lazy("Nom"),
        max_length=100,
        help_text=gettext_lazy("Pour la reconnaître : « ERP Sage », « Script de synchronisation »…"),
    )
    portee = forms.ChoiceField(label=gettext_lazy("Portée"), choices=Portee.choices, initial=Portee.LECTURE)


@role_requis(peut_administrer)
def cles(request: MembreRequest) -> HttpResponse:
    """List and create keys. A new key's token is shown on this response only, never again."""
    form = CleForm(request.POST or None)
    jeton = None
    if request.method == "POST" and form.is_valid():
        try:
            cle, jeton = cle_create(auteur=request.user, **form.cleaned_data)
        except ApplicationError as error:
            add_error_from(form, error)
        else:
            messages.success(request, _("Clé « %(nom)s » créée.") % {"nom": cle.nom})
            form = CleForm()
    context = {
        "form": form,
        "jeton": jeton,
        "cle_list": CleApi.objects.select_related("cree_par").order_by("revoquee_le", "-created_at", "-pk"),
    }
    response = render(request, "api/cles.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@role_requis(peut_administrer)
def cle_revoquer(request: MembreRequest, cle_id: int) -> HttpResponse:
    cle = cle_revoquer_service(cle=get_object_or_404(CleApi, pk=cle_id), auteur=request.user)
    messages.success(request, _("Clé « %(nom)s » révoquée : elle ne permet plus aucun appel.") % {"nom": cle.nom})
    return redirect("api:cles")


@membre_requis
def documentation(request: MembreRequest) -> HttpResponse:
    return render(request, "api/docs.html")
