"""A bank statement for the demo organisation: lines matched automatically (invoice number in
the remittance text, payer and amount), and three lines waiting with suggestions. For
``recouvrement.core.demo`` (call after the invoices are written, inside the organisation's
scope; works on SQLite)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from banque.models import Releve
from banque.services import ResultatImport, releve_importer
from factures.models import STATUTS_OUVERTS, Facture, Nature
from recouvrement.tenancy.models import Organisation

COMPTE_DEMO = "FR7630004000031234567890143"


def _entree(
    *, montant: Decimal, sens: str, jour: datetime.date, ref: str, texte: str, payeur: str = "", iban: str = ""
) -> str:
    debiteur = f"<Dbtr><Nm>{escape(payeur)}</Nm></Dbtr>" if payeur else ""
    compte = f"<DbtrAcct><Id><IBAN>{iban}</IBAN></Id></DbtrAcct>" if iban else ""
    return (
        f'<Ntry><Amt Ccy="EUR">{montant:.2f}</Amt><CdtDbtInd>{sens}</CdtDbtInd><Sts>BOOK</Sts>'
        f"<BookgDt><Dt>{jour.isoformat()}</Dt></BookgDt><ValDt><Dt>{jour.isoformat()}</Dt></ValDt>"
        f"<AcctSvcrRef>{ref}</AcctSvcrRef><NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>"
        f"<RltdPties>{debiteur}{compte}</RltdPties><RmtInf><Ustrd>{escape(texte)}</Ustrd></RmtInf>"
        "</TxDtls></NtryDtls></Ntry>"
    )


def banque_demo_creer(*, organisation: Organisation, jour: datetime.date) -> Releve | None:
    """Import yesterday's statement of the demo organisation (nothing if it has too few open
    invoices); returns it. Idempotent: a second call imports nothing."""
    factures: list[Facture] = []
    clients: set[int] = set()
    for facture in (
        Facture.objects.filter(nature=Nature.FACTURE, statut__in=STATUTS_OUVERTS, reste_du__gt=0)
        .select_related("client")
        .order_by("date_echeance", "pk")[:300]
    ):
        if facture.client_id not in clients:
            clients.add(facture.client_id)
            factures.append(facture)
        if len(factures) == 5:
            break
    if len(factures) < 5:
        return None
    veille = jour - datetime.timedelta(days=1)
    ref = f"DEMO{veille:%Y%m%d}"
    a, b, c, d, e = factures
    entrees = [
        # matched automatically: the invoice number in the remittance text
        _entree(
            montant=a.reste_du,
            sens="CRDT",
            jour=veille,
            ref=f"{ref}-1",
            texte=f"VIR SEPA REGLEMENT FACTURE {a.numero}",
            payeur=a.client.raison_sociale.upper(),
            iban="FR7610107001011234567890129",
        ),
        # matched automatically: part of an invoice (partial payment)
        _entree(
            montant=(b.reste_du / 2).quantize(Decimal("0.01")),
            sens="CRDT",
            jour=veille,
            ref=f"{ref}-2",
            texte=f"ACOMPTE {b.numero}",
            payeur=b.client.raison_sociale.upper(),
        ),
        # matched automatically: no reference, but the payer's name and the exact amount
        _entree(
            montant=c.reste_du,
            sens="CRDT",
            jour=veille,
            ref=f"{ref}-3",
            texte="VIREMENT FOURNISSEUR",
            payeur=c.client.raison_sociale.upper(),
        ),
        # waiting: an amount close to an invoice, a payer name that is almost the client's
        _entree(
            montant=(d.reste_du - Decimal("15.00")).max(Decimal("1.00")),
            sens="CRDT",
            jour=veille,
            ref=f"{ref}-4",
            texte="REGLEMENT NOV",
            payeur=f"{d.client.raison_sociale.upper()} GROUPE",
        ),
        # waiting: the exact amount of an invoice, no payer known
        _entree(montant=e.reste_du, sens="CRDT", jour=veille, ref=f"{ref}-5", texte="VIR INST 88123"),
        # waiting: nothing recognisable
        _entree(
            montant=Decimal("249.90"),
            sens="CRDT",
            jour=veille,
            ref=f"{ref}-6",
            texte="REMBOURSEMENT TROP PERCU",
            payeur="M OU MME MARTIN",
        ),
        # a debit: listed, not matched
        _entree(montant=Decimal("1250.00"), sens="DBIT", jour=veille, ref=f"{ref}-7", texte="PRLV URSSAF"),
    ]
    contenu = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>{ref}</MsgId><CreDtTm>{jour.isoformat()}T06:00:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{ref}</Id><Acct><Id><IBAN>{COMPTE_DEMO}</IBAN></Id></Acct>{''.join(entrees)}</Stmt>"
        "</BkToCstmrStmt></Document>"
    ).encode()
    resultat: ResultatImport = releve_importer(contenu=contenu, nom_fichier=f"releve-{veille.isoformat()}.xml")
    return resultat.releve
