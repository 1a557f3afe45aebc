"""Sign-up, login, logout, passwords, invitations and switching organisations."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from recouvrement.tenancy.context import organisation_scope, user_scope
from recouvrement.tenancy.middleware import SESSION_KEY
from recouvrement.tenancy.models import Invitation, Membre, Organisation, Role, User
from recouvrement.tenancy.services import invitation_token
from tests.factories import MembreFactory, UserFactory

SIGNUP = {
    "raison_sociale": "Nouvelle Société SAS",
    "siren": "732 829 320",
    "first_name": "Inès",
    "last_name": "Lefèvre",
    "email": "Ines@Nouvelle.fr",
    "password": "un-mot-de-passe-robuste-2026",
}


def test_signup_creates_the_organisation_and_its_admin(client, db):
    response = client.post(reverse("inscription"), SIGNUP)
    assert response.status_code == 302
    assert response["Location"] == reverse("parametres")
    organisation = Organisation.objects.get(raison_sociale="Nouvelle Société SAS")
    assert organisation.siren == "732829320"
    user = User.objects.get(email="ines@nouvelle.fr")
    with organisation_scope(organisation):
        assert Membre.objects.get().user == user
        assert Membre.objects.get().role == Role.ADMIN
    # Logged in, inside the new organisation.
    assert client.get(reverse("parametres")).status_code == 200


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("siren", "732829321", "SIREN invalide"),
        ("password", "123", "trop court"),
        ("email", "pas-un-email", "adresse"),
    ],
)
def test_signup_errors_are_shown_next_to_the_field(client, db, field, value, message):
    response = client.post(reverse("inscription"), {**SIGNUP, field: value})
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    assert message in " ".join(form.errors[field])
    assert not Organisation.objects.exists()


def test_signup_with_a_taken_email_is_refused(client, tenant_a):
    response = client.post(reverse("inscription"), {**SIGNUP, "email": tenant_a.admin.email})
    assert "email" in response.context["form"].errors
    assert Organisation.objects.count() == 1


def test_login_and_logout(client, tenant_a):
    response = client.post(
        reverse("connexion"), {"username": tenant_a.admin.email, "password": "mot-de-passe-solide-42"}
    )
    assert response.status_code == 302
    assert client.get(reverse("clients:liste")).status_code == 200
    client.post(reverse("deconnexion"))
    response = client.get(reverse("clients:liste"))
    assert response.status_code == 302
    assert reverse("connexion") in response["Location"]


def test_wrong_password_is_refused_in_french(client, tenant_a):
    response = client.post(reverse("connexion"), {"username": tenant_a.admin.email, "password": "faux"})
    assert response.status_code == 200
    assert "Saisissez" in response.content.decode()


def test_password_change(client, tenant_a):
    tenant_a.login(client)
    response = client.post(
        reverse("mot_de_passe"),
        {
            "old_password": "mot-de-passe-solide-42",
            "new_password1": "tout-neuf-2026-xyz",
            "new_password2": "tout-neuf-2026-xyz",
        },
    )
    assert response.status_code == 302
    tenant_a.admin.refresh_from_db()
    assert tenant_a.admin.check_password("tout-neuf-2026-xyz")


def test_password_reset_by_email(client, tenant_a):
    response = client.post(reverse("reinitialisation"), {"email": tenant_a.admin.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    link = re.search(r"https?://[^/]+(/mot-de-passe/oubli/[^/]+/[^/]+/)", body).group(1)
    response = client.get(link, follow=True)
    assert response.status_code == 200
    response = client.post(
        response.redirect_chain[-1][0], {"new_password1": "remis-a-neuf-2026", "new_password2": "remis-a-neuf-2026"}
    )
    assert response.status_code == 302
    tenant_a.admin.refresh_from_db()
    assert tenant_a.admin.check_password("remis-a-neuf-2026")


@pytest.fixture
def invite(client, django_capture_on_commit_callbacks):
    """Invite someone through the members page and return the link of the email (sent on commit)."""

    def send(tenant, email="recrue@exemple.fr", role=Role.COMMERCIAL):
        tenant.login(client)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("membres"), {"email": email, "role": role})
        assert response.status_code == 302
        link = re.search(r"https?://[^/]+(/invitation/[^/\s]+/)", mail.outbox[-1].body).group(1)
        client.post(reverse("deconnexion"))
        return link

    return send


def test_an_invited_person_creates_an_account_and_joins_with_the_role(client, tenant_a, invite):
    link = invite(tenant_a)
    assert mail.outbox[-1].to == ["recrue@exemple.fr"]
    assert client.get(link).status_code == 200
    response = client.post(link, {"first_name": "Léa", "last_name": "Roux", "password": "rejoindre-2026-abc"})
    assert response.status_code == 302
    user = User.objects.get(email="recrue@exemple.fr")
    with organisation_scope(tenant_a.organisation):
        assert Membre.objects.get(user=user).role == Role.COMMERCIAL
        assert Invitation.objects.get().accepted_at is not None
    # The link served once.
    client.post(reverse("deconnexion"))
    assert client.get(link).status_code == 404


def test_an_existing_user_joins_a_second_organisation_and_switches(client, tenant_a, tenant_b, invite):
    link = invite(tenant_b, email=tenant_a.admin.email, role=Role.DAF)
    tenant_a.login(client)
    assert client.post(link).status_code == 302
    assert client.session[SESSION_KEY] == tenant_b.organisation.pk
    with user_scope(tenant_a.admin.pk):
        assert Membre.objects.of_user(tenant_a.admin).count() == 2
    # The switcher lists both; switching changes what the pages show.
    page = client.get(reverse("clients:liste")).content.decode()
    assert "Alpha Industrie" in page
    assert "Bêta Services" in page
    client.post(reverse("changer_organisation"), {"organisation": tenant_a.organisation.pk})
    assert client.session[SESSION_KEY] == tenant_a.organisation.pk


def test_switching_to_an_organisation_one_is_not_member_of_is_404(client, tenant_a, tenant_b):
    tenant_a.login(client)
    response = client.post(reverse("changer_organisation"), {"organisation": tenant_b.organisation.pk})
    assert response.status_code == 404
    assert client.session[SESSION_KEY] == tenant_a.organisation.pk


def test_an_invitation_for_someone_else_is_refused(client, tenant_a, tenant_b, invite):
    link = invite(tenant_a, email="quelquun@exemple.fr")
    tenant_b.login(client)
    response = client.post(link, follow=True)
    assert "adressée à quelquun@exemple.fr" in response.content.decode()
    with organisation_scope(tenant_a.organisation):
        assert not Membre.objects.filter(user=tenant_b.admin).exists()


def test_a_tampered_or_revoked_invitation_is_404(client, tenant_a, invite):
    link = invite(tenant_a)
    assert client.get(link[:-3] + "xx/").status_code == 404
    with organisation_scope(tenant_a.organisation):
        invitation = Invitation.objects.get()
    tenant_a.login(client)
    client.post(reverse("invitation_revoquer", args=[invitation.pk]))
    client.post(reverse("deconnexion"))
    assert client.get(reverse("invitation", args=[invitation_token(invitation)])).status_code == 404


def test_the_last_admin_cannot_be_demoted(client, tenant_a):
    tenant_a.login(client)
    response = client.post(reverse("membre_modifier", args=[tenant_a.membre.pk]), {"role": Role.CHARGE, "actif": "on"})
    assert response.status_code == 200
    assert "au moins un administrateur" in response.content.decode()


def test_a_deactivated_member_loses_access(client, tenant_a):
    with organisation_scope(tenant_a.organisation):
        membre = MembreFactory(role=Role.CHARGE)
    tenant_a.login(client)
    client.post(reverse("membre_modifier", args=[membre.pk]), {"role": Role.CHARGE})
    client.force_login(membre.user)
    response = client.get(reverse("clients:liste"))
    assert response.status_code == 302
    assert response["Location"] == reverse("sans_organisation")


def test_a_user_without_organisation_is_told_so(client, db):
    client.force_login(UserFactory())
    assert client.get(reverse("accueil")).status_code == 302
    assert "Aucune organisation" in client.get(reverse("sans_organisation")).content.decode()


def test_the_interface_is_french_whatever_the_browser_says(client, tenant_a):
    tenant_a.login(client)
    response = client.get(reverse("clients:liste"), headers={"accept-language": "en-US,en;q=0.9"})
    assert response["Content-Language"] == "fr"
    assert "Rechercher" in response.content.decode()


def test_the_language_switch_is_remembered(client, tenant_a):
    tenant_a.login(client)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(reverse("clients:liste"))
    assert response["Content-Language"] == "en"


def test_an_organisation_working_in_english_gets_english(client, tenant_a):
    tenant_a.organisation.langue = "en"
    tenant_a.organisation.save()
    tenant_a.login(client)
    assert client.get(reverse("clients:liste"))["Content-Language"] == "en"
