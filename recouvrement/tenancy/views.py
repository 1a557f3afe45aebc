"""Accounts and organisation pages: sign-up, login, switching, settings, members, invitations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from recouvrement.core.errors import ApplicationError
from recouvrement.tenancy import selectors, services
from recouvrement.tenancy.decorators import role_requis
from recouvrement.tenancy.forms import (
    AcceptationForm,
    ConnexionForm,
    InscriptionForm,
    InvitationForm,
    MembreForm,
    OrganisationForm,
    add_error_from,
)
from recouvrement.tenancy.http import MembreRequest, TenantRequest
from recouvrement.tenancy.middleware import SESSION_KEY, personal_write
from recouvrement.tenancy.models import Invitation, Membre
from recouvrement.tenancy.roles import peut_administrer


class ConnexionView(auth_views.LoginView):
    template_name = "tenancy/connexion.html"
    authentication_form = ConnexionForm
    redirect_authenticated_user = True


connexion = personal_write(ConnexionView.as_view())
deconnexion = personal_write(auth_views.LogoutView.as_view())
mot_de_passe = personal_write(
    auth_views.PasswordChangeView.as_view(
        template_name="tenancy/formulaire_compte.html",
        extra_context={"titre": gettext_lazy("Changer de mot de passe")},
        success_url=reverse_lazy("mot_de_passe_change"),
    )
)
mot_de_passe_change = auth_views.PasswordChangeDoneView.as_view(template_name="tenancy/mot_de_passe_change.html")
reinitialisation = personal_write(
    auth_views.PasswordResetView.as_view(
        template_name="tenancy/formulaire_compte.html",
        extra_context={"titre": gettext_lazy("Mot de passe oublié")},
        email_template_name="emails/reinitialisation.txt",
        html_email_template_name="emails/reinitialisation.html",
        subject_template_name="emails/reinitialisation_sujet.txt",
        success_url=reverse_lazy("reinitialisation_envoyee"),
    )
)
reinitialisation_envoyee = auth_views.PasswordResetDoneView.as_view(
    template_name="tenancy/reinitialisation_envoyee.html"
)
reinitialisation_confirmation = personal_write(
    auth_views.PasswordResetConfirmView.as_view(
        template_name="tenancy/formulaire_compte.html",
        extra_context={"titre": gettext_lazy("Nouveau mot de passe")},
        success_url=reverse_lazy("reinitialisation_terminee"),
    )
)
reinitialisation_terminee = auth_views.PasswordResetCompleteView.as_view(
    template_name="tenancy/reinitialisation_terminee.html"
)


def inscription(request: TenantRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accueil")
    form = InscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, organisation = services.organisation_signup(**form.cleaned_data)
        except (ApplicationError, ValidationError) as error:
            add_error_from(form, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[SESSION_KEY] = organisation.pk
            messages.success(request, _("Bienvenue ! Complétez le profil de %(nom)s.") % {"nom": organisation})
            return redirect("parametres")
    return render(request, "tenancy/inscription.html", {"form": form})


@login_required
def sans_organisation(request: TenantRequest) -> HttpResponse:
    if request.membre is not None:
        return redirect("accueil")
    return render(request, "tenancy/sans_organisation.html")


@require_POST
@login_required
@personal_write
def changer_organisation(request: TenantRequest) -> HttpResponse:
    try:
        wanted = int(request.POST.get("organisation", ""))
    except ValueError:
        raise Http404 from None
    if not any(m.tenant_id == wanted for m in request.membres):
        raise Http404
    request.session[SESSION_KEY] = wanted
    suivant = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(suivant, allowed_hosts={request.get_host()}):
        suivant = reverse("accueil")
    return redirect(suivant)


@role_requis(peut_administrer)
def parametres(request: MembreRequest) -> HttpResponse:
    """One page, one form, in sections: the organisation's profile and its dunning settings."""
    from relances.forms import ParametresRelanceForm
    from relances.services.parametres import PARAMETRES_FIELDS, parametres_get, parametres_update

    organisation = request.organisation
    donnees, fichiers = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    form = OrganisationForm(donnees, fichiers, instance=organisation, prefix="organisation")
    relances_form = ParametresRelanceForm(donnees, instance=parametres_get(), prefix="relances")
    if request.method == "POST" and form.is_valid() & relances_form.is_valid():
        try:
            with transaction.atomic():
                services.organisation_update(
                    organisation=organisation, **{name: form.cleaned_data[name] for name in form.Meta.fields}
                )
                try:
                    parametres_update(**{name: relances_form.cleaned_data[name] for name in PARAMETRES_FIELDS})
                except ValidationError as error:
                    add_error_from(relances_form, error)
                    raise
        except (ApplicationError, ValidationError) as error:
            if not relances_form.errors:
                add_error_from(form, error)
        else:
            messages.success(request, _("Paramètres enregistrés."))
            return redirect("parametres")
    return render(request, "tenancy/parametres.html", {"form": form, "relances_form": relances_form})


@role_requis(peut_administrer)
def membres(request: MembreRequest) -> HttpResponse:
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_create(
                organisation=request.organisation,
                invite_par=request.user,
                lien=lambda token: request.build_absolute_uri(reverse("invitation", args=[token])),
                **form.cleaned_data,
            )
        except (ApplicationError, ValidationError) as error:
            add_error_from(form, error)
        else:
            messages.success(request, _("Invitation envoyée à %(email)s.") % {"email": form.cleaned_data["email"]})
            return redirect("membres")
    context = {
        "form": form,
        "membre_list": selectors.membre_list(),
        "invitation_list": selectors.invitation_ouverte_list(),
    }
    return render(request, "tenancy/membres.html", context)


@role_requis(peut_administrer)
def membre_modifier(request: MembreRequest, membre_id: int) -> HttpResponse:
    membre = get_object_or_404(Membre.objects.select_related("user"), pk=membre_id)
    form = MembreForm(request.POST or None, instance=membre)
    if request.method == "POST" and form.is_valid():
        try:
            services.membre_update(membre=membre, **form.cleaned_data)
        except ApplicationError as error:
            add_error_from(form, error)
        else:
            messages.success(request, _("Membre mis à jour."))
            return redirect("membres")
    return render(request, "tenancy/membre_modifier.html", {"form": form, "objet": membre})


@require_POST
@role_requis(peut_administrer)
def invitation_revoquer(request: MembreRequest, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=invitation_id)
    services.invitation_revoke(invitation=invitation)
    messages.success(request, _("Invitation révoquée."))
    return redirect("membres")


@personal_write
def invitation(request: TenantRequest, token: str) -> HttpResponse:
    """Anyone holding the signed link may open it: the token, not the session, names the organisation."""
    try:
        invitation = services.invitation_from_token(token)
    except ApplicationError as error:
        return render(request, "tenancy/invitation_invalide.html", {"erreur": error.message}, status=404)
    user = request.user if request.user.is_authenticated else None
    form = AcceptationForm(request.POST or None) if user is None else None
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            membre = services.invitation_accept(
                token=token,
                user=user,
                **(form.cleaned_data if form is not None else {}),
            )
        except ApplicationError as error:
            if form is None:
                messages.error(request, error.message)
                return redirect("invitation", token=token)
            add_error_from(form, error)
        else:
            if user is None:
                login(request, membre.user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[SESSION_KEY] = membre.tenant_id
            messages.success(request, _("Vous avez rejoint %(nom)s.") % {"nom": invitation.tenant})
            return redirect("accueil")
    return render(request, "tenancy/invitation.html", {"invitation": invitation, "form": form})
