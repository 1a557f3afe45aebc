"""Disputes of the demo organisation: one being worked on, one past its due date (SLA),
one resolved by a credit note. For ``recouvrement.core.demo`` (call after the invoices
are written, inside the organisation's scope)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from factures.models import STATUTS_OUVERTS, Facture, Nature
from litiges.models import Litige, StatutLitige, TypeLitige
from litiges.services import commentaire_ajouter, litige_ouvrir, litige_statut_changer
from recouvrement.tenancy.models import Membre

J = datetime.timedelta(days=1)


def litiges_demo_creer(*, aujourd_hui: datetime.date, responsable: Membre | None) -> list[Litige]:
    """Open three disputes on overdue invoices of three different clients (fewer if there are
    not enough); returns them."""
    candidates = (
        Facture.objects.filter(nature=Nature.FACTURE, statut__in=STATUTS_OUVERTS, date_echeance__lt=aujourd_hui)
        .select_related("client")
        .order_by("date_echeance", "pk")[:200]
    )
    factures: list[Facture] = []
    for facture in candidates:
        if facture.client_id not in {f.client_id for f in factures}:
            factures.append(facture)
        if len(factures) == 3:
            break
    auteur = responsable.user if responsable else None
    litiges: list[Litige] = []
    if factures:
        en_cours = litige_ouvrir(
            client=factures[0].client,
            factures=[(factures[0], None)],
            type=TypeLitige.QUALITE,
            description="Deux palettes livrées abîmées ; le client attend un geste commercial.",
            souleve_par="Service achats",
            responsable=responsable,
            echeance=aujourd_hui + 6 * J,
            auteur=auteur,
        )
        en_cours = litige_statut_changer(litige=en_cours, statut=StatutLitige.EN_COURS, auteur=auteur)
        commentaire_ajouter(litige=en_cours, texte="Photos reçues, vu avec la logistique.", auteur=auteur)
        litiges.append(en_cours)
    if len(factures) > 1:
        litiges.append(
            litige_ouvrir(
                client=factures[1].client,
                factures=[(factures[1], None)],
                type=TypeLitige.ADMINISTRATIF,
                description="Bon de commande manquant sur la facture.",
                responsable=responsable,
                echeance=aujourd_hui - 3 * J,
                auteur=auteur,
            )
        )
    if len(factures) > 2:
        partiel = min(factures[2].reste_du, (factures[2].reste_du / 4).quantize(Decimal("0.01")))
        resolu = litige_ouvrir(
            client=factures[2].client,
            factures=[(factures[2], partiel)],
            type=TypeLitige.PRIX,
            description="Remise de 25 % prévue au contrat non appliquée.",
            responsable=responsable,
            auteur=auteur,
        )
        litiges.append(
            litige_statut_changer(
                litige=resolu, statut=StatutLitige.RESOLU_AVOIR, auteur=auteur, resolution="Avoir émis pour la remise."
            )
        )
    return litiges
