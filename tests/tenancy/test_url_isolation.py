"""Every URL of the project, asked by organisation B with organisation A's ids, answers 404.

The test walks the URL conf, so a new URL is covered the day it is added: its
object ids must be named after the object (``client_id``, ``facture_id``…)
and known to ``ids_of_a`` below, or the test fails and says which name is new.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from api.services import cle_create
from contentieux.models import DossierContentieux
from exports.models import Export, TypeExport
from factures.services import lettrage_create
from imports.models import Import, ModeleCorrespondance
from litiges.services import litige_ouvrir, piece_ajouter
from recouvrement.tenancy.models import Invitation, Role
from relances.models import Echeancier, Envoi, Pause, Promesse, RegleAffectation, Relance, StatutEnvoi, Tache
from tests.banque.fabriques import ligne_de_test
from tests.factories import (
    ClientFactory,
    ContactFactory,
    FactureFactory,
    MembreFactory,
    PaiementFactory,
    scenario_avec_etape,
)
from webhooks.services import endpoint_create as webhook_create
from webhooks.services import endpoint_tester as webhook_tester

# URLs that take no tenant object, or are reached by a secret token rather
# than an id (the token itself names the organisation): tested elsewhere.
NOT_OBJECT_URLS = {
    "invitation",  # signed token; tests/tenancy/test_accounts.py
    "password_reset_confirm",  # uid + token of Django's password reset
}


def walk(patterns, namespace="", prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # platform staff only: tests/tenancy/test_admin.py
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, ns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield entry, (f"{namespace}{entry.name}" if entry.name else None), prefix + str(entry.pattern)


def object_urls():
    urls = []
    for pattern, name, route in walk(get_resolver().url_patterns):
        converters = pattern.pattern.converters
        if not converters or name in NOT_OBJECT_URLS or route.startswith("static/"):
            continue
        assert name, f"URL {route} has no name"
        urls.append((name, sorted(converters)))
    return urls


@pytest.fixture
def ids_of_a(tenant_a):
    with tenant_a.scope():
        client = ClientFactory(commercial=None)
        contact = ContactFactory(client=client)
        facture = FactureFactory(client=client)
        paiement = PaiementFactory(client=client, montant=Decimal("100.00"))
        lettrage = lettrage_create(facture=facture, paiement=paiement, montant=Decimal("50.00"))
        membre = MembreFactory(role=Role.LECTURE)
        invitation = Invitation.objects.create(
            email="nouveau@exemple.fr", role=Role.CHARGE, expires_at=timezone.now() + datetime.timedelta(days=2)
        )
        etape = scenario_avec_etape()
        envoi = Envoi.objects.create(
            client=client,
            date_prevue=datetime.date(2026, 11, 26),
            etape=etape,
            canal=etape.canal,
            statut=StatutEnvoi.A_VALIDER,
        )
        tache = Tache.objects.create(client=client, type="appel", titre="Appeler", echeance=datetime.date(2026, 11, 26))
        pause = Pause.objects.create(client=client, motif="manuelle")
        regle = RegleAffectation.objects.create(ordre=1, nom="Règle", scenario=etape.scenario)
        litige = litige_ouvrir(client=client, factures=[(facture, None)], type="prix", description="Prix", auteur=None)
        piece = piece_ajouter(litige=litige, fichier=SimpleUploadedFile("preuve.txt", b"preuve"), auteur=None)
        export = Export.objects.create(
            type=TypeExport.CLIENTS, format="csv", jour=datetime.date(2026, 11, 26), demande_par=tenant_a.membre
        )
        echeancier = Echeancier.objects.create(client=client, montant_principal=Decimal("10.00"))
        # The REST API (api/urls.py): its own ids, and one external id shared by A's objects.
        promesse = Promesse.objects.create(
            client=client, montant=Decimal("10.00"), date_promise=datetime.date(2026, 12, 1)
        )
        relance = Relance.objects.create(
            facture=facture,
            client=client,
            etape=etape,
            date_prevue=datetime.date(2026, 11, 2),
            decalage_jours=1,
            canal="email",
        )
        for objet in (client, contact, facture, paiement, litige, echeancier, promesse):
            type(objet).objects.filter(pk=objet.pk).update(external_id="EXT-A")
        cle_api, _jeton = cle_create(nom="ERP", portee="lecture")
        import_ = Import.objects.create(
            type="factures",
            fichier=ContentFile(b"Numero;Montant HT\nF-1;100,00\n", name="x.csv"),
            nom_fichier="x.csv",
            format="csv",
            demande_par=tenant_a.membre,
        )
        modele = ModeleCorrespondance.objects.create(type="factures", nom="ERP")
        dossier = DossierContentieux.objects.create(
            client=client, destination="avocat", date_dossier=datetime.date(2026, 11, 26)
        )
        endpoint, _secret = webhook_create(url="https://erp.example.com/hook", evenements=["facture.payee"])
        livraison = webhook_tester(endpoint=endpoint)
        ligne_releve = ligne_de_test()
    return {
        "client_id": client.pk,
        "contact_id": contact.pk,
        "facture_id": facture.pk,
        "paiement_id": paiement.pk,
        "lettrage_id": lettrage.pk,
        "membre_id": membre.pk,
        "invitation_id": invitation.pk,
        "envoi_id": envoi.pk,
        "tache_id": tache.pk,
        "pause_id": pause.pk,
        "litige_id": litige.pk,
        "piece_id": piece.pk,
        "etape_id": etape.pk,
        "scenario_id": etape.scenario_id,
        "regle_id": regle.pk,
        "langue": "fr",
        "export_id": export.pk,
        "import_id": import_.pk,
        "modele_id": modele.pk,
        "echeancier_id": echeancier.pk,
        "promesse_id": promesse.pk,
        "relance_id": relance.pk,
        "external_id": "EXT-A",
        "cle_id": cle_api.pk,
        "dossier_id": dossier.pk,
        "endpoint_id": endpoint.pk,
        "livraison_id": livraison.pk,
        "releve_id": ligne_releve.releve_id,
        "ligne_id": ligne_releve.pk,
    }


def test_the_walk_finds_the_object_urls():
    names = {name for name, _ in object_urls()}
    assert {"clients:detail", "factures:detail", "factures:lettrage_annuler", "membre_modifier"} <= names


def _request(client, url):
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    return response


def test_organisation_b_gets_404_for_every_url_with_organisation_a_ids(client, tenant_a, tenant_b, ids_of_a):
    tenant_b.login(client)  # B's admin: every role check passes, only tenancy can refuse
    answers = {}
    for name, kwargs_names in object_urls():
        unknown = set(kwargs_names) - set(ids_of_a)
        assert not unknown, f"{name}: add {unknown} to ids_of_a"
        url = reverse(name, kwargs={k: ids_of_a[k] for k in kwargs_names})
        answers[name] = _request(client, url).status_code
    assert answers == dict.fromkeys(answers, 404)


def test_organisation_a_reaches_the_same_urls(client, tenant_a, ids_of_a):
    """The control: with its own ids, A gets pages, not 404 (so the 404s above mean isolation).
    409: the API refused the action on the state of an object it found (a plan not cancellable)."""
    tenant_a.login(client)
    answers = {}
    for name, kwargs_names in object_urls():
        if name in ("factures:pdf", "relances:envoi_courrier"):
            continue  # the factory invoice and send have no PDF: 404 by design
        url = reverse(name, kwargs={k: ids_of_a[k] for k in kwargs_names})
        answers[name] = _request(client, url).status_code
    bad = {name: code for name, code in answers.items() if code not in (200, 302, 400, 409)}
    assert not bad, bad
