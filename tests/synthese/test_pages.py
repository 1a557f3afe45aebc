"""Pages: the digest's home, settings, subscription, preview of a chosen week, PDF,
« envoyer maintenant ». Organisation-wide figures: not for a commercial."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from litiges.models import Litige
from recouvrement.tenancy.models import Role
from relances.models import Canal, Envoi, StatutEnvoi
from synthese import views
from synthese.models import ParametresSynthese
from tests.conftest import compter_requetes
from tests.factories import ClientFactory, MembreFactory, PaiementFactory, UserFactory, scenario_avec_etape
from tests.synthese.donnees import facture, paris, payer

D = datetime.date
APERCU = {"semaine": "2026-W47"}


def _grossir(tenant, n: int) -> None:
    """``n`` clients, each with invoices, payments, a send approved by a new member, a dispute past its SLA."""
    with tenant.scope():
        etape = scenario_avec_etape()
        for i in range(n):
            membre = MembreFactory(role=Role.CHARGE)
            client = ClientFactory(classe_risque="E" if i % 2 else "B")
            f = facture(client, emission=D(2026, 9, 1), echeance=D(2026, 10, 1), ttc="1000.00")
            payer(f, "100.00", le=D(2026, 11, 17))
            facture(client, emission=D(2026, 10, 18), echeance=D(2026, 11, 17), ttc="500.00")
            PaiementFactory(client=client, montant=Decimal("10.00"), date_paiement=D(2026, 11, 19))
            Envoi.objects.create(
                client=client,
                date_prevue=D(2026, 11, 18),
                etape=etape,
                canal=Canal.EMAIL,
                statut=StatutEnvoi.ENVOYE,
                envoye_le=paris(2026, 11, 18),
                valide_par=membre.user,
            )
            Litige.objects.create(
                client=client, type="prix", description="x", echeance=D(2026, 11, 1), responsable=membre
            )


def test_the_preview_runs_a_fixed_number_of_queries(client, tenant_a):
    url = reverse("synthese:apercu")
    tenant_a.login(client)
    client.get(url, APERCU)
    _grossir(tenant_a, 1)
    petit = compter_requetes(client, url, APERCU)
    _grossir(tenant_a, 25)
    grand = compter_requetes(client, url, APERCU)
    assert petit == grand, (petit, grand)


def test_the_preview_shows_the_chosen_weeks_figures_and_charts(client, tenant_a):
    _grossir(tenant_a, 2)
    tenant_a.login(client)

    response = client.get(reverse("synthese:apercu"), APERCU)

    assert response.status_code == 200
    contenu = response.content.decode().replace("\u202f", " ").replace("\u00a0", " ")
    assert "Semaine du 16 novembre 2026 au 22 novembre 2026" in contenu
    # Collected: 2 × (100 + 10); e-mails: 2, one per member.
    assert 'data-chiffre="encaisse">220,00 €' in contenu
    assert contenu.count('src="data:image/png;base64,') == 2
    assert "Litiges hors délai (2)" in contenu


def test_the_pdf_download(client, tenant_a):
    _grossir(tenant_a, 1)
    tenant_a.login(client)
    response = client.get(reverse("synthese:pdf"), APERCU)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert 'filename="synthese-2026-W47.pdf"' in response["Content-Disposition"]


def test_an_unknown_week_is_404(client, tenant_a):
    tenant_a.login(client)
    assert client.get(reverse("synthese:apercu"), {"semaine": "2026-W99"}).status_code == 404


def test_a_commercial_sees_no_organisation_wide_digest(client, tenant_a):
    tenant_a.login(client, role=Role.COMMERCIAL)
    assert client.get(reverse("synthese:apercu"), APERCU).status_code == 403
    assert client.get(reverse("synthese:pdf"), APERCU).status_code == 403
    assert client.post(reverse("synthese:abonnement")).status_code == 403
    response = client.get(reverse("synthese:index"))
    assert response.status_code == 200
    assert "réservée aux membres qui les voient tous" in response.content.decode()


@pytest.mark.parametrize("role", [Role.CHARGE, Role.LECTURE])
def test_settings_are_for_the_admin_and_the_daf(client, tenant_a, role):
    tenant_a.login(client, role=role)
    assert client.get(reverse("synthese:parametres")).status_code == 403
    assert client.post(reverse("synthese:envoyer"), APERCU).status_code == 403


def test_the_daf_sets_day_hour_and_extra_recipients(client, tenant_a):
    user = tenant_a.login(client, role=Role.DAF)
    response = client.post(
        reverse("synthese:parametres"),
        {
            "actif": "on",
            "jour_semaine": "4",
            "heure": "17:30",
            "destinataires_supplementaires": "expert@cabinet.fr\nPDG@alpha.fr",
        },
    )
    assert response.status_code == 302
    with tenant_a.scope():
        parametres = ParametresSynthese.objects.get()
    assert (parametres.jour_semaine, parametres.heure) == (4, datetime.time(17, 30))
    assert parametres.destinataires_supplementaires == ["expert@cabinet.fr", "pdg@alpha.fr"]
    page = client.get(reverse("synthese:index")).content.decode()
    assert "Chaque vendredi à 17:30 (Europe/Paris)" in page
    assert user.email in page
    assert "pdg@alpha.fr" in page
    # A bad address: the form says which.
    response = client.post(
        reverse("synthese:parametres"),
        {"actif": "on", "jour_semaine": "0", "heure": "08:00", "destinataires_supplementaires": "pas-une-adresse"},
    )
    assert response.status_code == 400
    assert "pas-une-adresse" in response.content.decode()


def test_a_member_subscribes_and_unsubscribes(client, tenant_a):
    user = tenant_a.login(client, role=Role.CHARGE)
    assert "S'abonner" in client.get(reverse("synthese:index")).content.decode()
    client.post(reverse("synthese:abonnement"))
    page = client.get(reverse("synthese:index")).content.decode()
    assert "Se désabonner" in page
    assert user.email in page
    client.post(reverse("synthese:abonnement"))
    assert user.email not in client.get(reverse("synthese:index")).content.decode()


def test_send_now_queues_a_send_to_the_recipients_after_commit(
    client, tenant_a, monkeypatch, django_capture_on_commit_callbacks
):
    envoyes = []
    monkeypatch.setattr(views.synthese_envoyer_a_la_demande, "delay", lambda **kw: envoyes.append(kw))
    tenant_a.login(client, role=Role.DAF)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("synthese:envoyer"), APERCU)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('synthese:apercu')}?semaine=2026-W47"
    assert len(envoyes) == 1
    assert envoyes[0]["semaine"] == "2026-11-16"
    assert envoyes[0]["cle"].startswith(f"recouvrement-{tenant_a.organisation.pk}-synthese-2026-W47-demande-")


def test_send_now_delivers_without_counting_as_the_weekly_digest(tenant_a, smtp):
    from synthese.models import SyntheseHebdo
    from synthese.services import synthese_envoyer_a_la_demande

    with tenant_a.scope():
        MembreFactory(role=Role.DAF, user=UserFactory(email="daf@alpha.fr"))
        destinataires = synthese_envoyer_a_la_demande(
            organisation=tenant_a.organisation, semaine=D(2026, 11, 16), cle="recouvrement-test-demande-1"
        )
        assert not SyntheseHebdo.objects.exists()
    assert destinataires == ["daf@alpha.fr"]
    assert len(smtp.boite.messages) == 1
    assert smtp.boite.messages[0]["Message-ID"] == "<recouvrement-test-demande-1@recouvrement.localhost>"
