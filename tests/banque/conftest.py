"""Builders of bank statements for the tests: CAMT.053 XML and CSV, written here by hand."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

from clients.models import Client
from factures.models import Facture
from tests.factories import ClientFactory, FactureFactory
from tests.relances.conftest import _taux_publies, relances, scope_relances, taux_2026_s2  # noqa: F401  (dunning tests)

COMPTE = "FR7630006000011234567890189"


@dataclass
class Tx:
    ustrd: list[str] = field(default_factory=list)
    strd: list[str] = field(default_factory=list)
    payeur: str = ""
    iban: str = ""
    e2e: str = "NOTPROVIDED"
    ref: str = ""
    montant: str = ""  # only when an entry has several transactions


@dataclass
class Ntry:
    montant: str
    sens: str = "CRDT"
    date: str = "2026-11-20"
    ref: str = ""
    tx: list[Tx] = field(default_factory=list)
    ccy: str = "EUR"


def camt(entrees: list[Ntry], *, version: str = "02", releve: str = "REL-2026-11-20", compte: str = COMPTE) -> bytes:
    """A ``camt.053.001.<version>`` document. From version 08 the debtor's name sits in ``Pty``."""

    def tx_xml(tx: Tx, plusieurs: bool) -> str:
        montant = f'<Amt Ccy="EUR">{tx.montant}</Amt>' if plusieurs and tx.montant else ""
        refs = (
            f"<Refs>{f'<AcctSvcrRef>{tx.ref}</AcctSvcrRef>' if tx.ref else ''}<EndToEndId>{tx.e2e}</EndToEndId></Refs>"
        )
        nom = escape(tx.payeur)
        dbtr = (
            (f"<Dbtr><Pty><Nm>{nom}</Nm></Pty></Dbtr>" if version >= "08" else f"<Dbtr><Nm>{nom}</Nm></Dbtr>")
            if tx.payeur
            else ""
        )
        iban = f"<DbtrAcct><Id><IBAN>{tx.iban}</IBAN></Id></DbtrAcct>" if tx.iban else ""
        ustrd = "".join(f"<Ustrd>{escape(u)}</Ustrd>" for u in tx.ustrd)
        strd = "".join(f"<Strd><CdtrRefInf><Ref>{escape(s)}</Ref></CdtrRefInf></Strd>" for s in tx.strd)
        return f"<TxDtls>{refs}{montant}<RltdPties>{dbtr}{iban}</RltdPties><RmtInf>{ustrd}{strd}</RmtInf></TxDtls>"

    statut = "<Sts><Cd>BOOK</Cd></Sts>" if version >= "08" else "<Sts>BOOK</Sts>"
    ntrys = "".join(
        f'<Ntry><Amt Ccy="{e.ccy}">{e.montant}</Amt><CdtDbtInd>{e.sens}</CdtDbtInd>{statut}'
        f"<BookgDt><Dt>{e.date}</Dt></BookgDt><ValDt><Dt>{e.date}</Dt></ValDt>"
        f"{f'<AcctSvcrRef>{e.ref}</AcctSvcrRef>' if e.ref else ''}<BkTxCd/>"
        f"<NtryDtls>{''.join(tx_xml(t, len(e.tx) > 1) for t in e.tx)}</NtryDtls></Ntry>"
        for e in entrees
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">\n'
        "<BkToCstmrStmt><GrpHdr><MsgId>MSG1</MsgId><CreDtTm>2026-11-21T06:00:00</CreDtTm></GrpHdr>\n"
        f"<Stmt><Id>{releve}</Id><CreDtTm>2026-11-21T06:00:00</CreDtTm><Acct><Id><IBAN>{compte}</IBAN></Id></Acct>\n"
        f"{ntrys}\n</Stmt></BkToCstmrStmt></Document>\n"
    ).encode()


def client_(nom: str, **champs) -> Client:
    return ClientFactory(raison_sociale=nom, **champs)


def facture_(
    client: Client, numero: str, ttc: str, *, echeance: datetime.date = datetime.date(2026, 10, 31)
) -> Facture:
    montant = Decimal(ttc)
    ht = (montant / Decimal("1.2")).quantize(Decimal("0.01"))
    return FactureFactory(
        client=client,
        numero=numero,
        date_emission=echeance - datetime.timedelta(days=30),
        date_echeance=echeance,
        montant_ht=ht,
        montant_tva=montant - ht,
        montant_ttc=montant,
        reste_du=montant,
    )
