"""Import of a 100,000-line invoices CSV, through the service the Celery task runs.

    .venv/bin/python bench/import_csv.py                          # 100,000 lines, base recouvrement_bench_import
    .venv/bin/python bench/import_csv.py --lignes 20000 --base recouvrement_bench_import

One organisation ("Bench import", made on the first run) with 500 clients
(``C0000`` … ``C0499``). The file is a French Excel CSV (``;``, UTF-8 with BOM,
dates ``31/12/2026``, amounts ``1 234,56``), seven columns: N° facture, Code
client, Date, Date échéance, Montant HT, TVA, Montant TTC. Before each run the
organisation's invoices are deleted.

Timed, each once (the figures of a run are its own):

a. the deposit (``import_deposer``: the file stored, its header read, its lines counted);
b. the reading alone (every cell converted: ``lignes_lues``), for the share of the parsing;
c. the import (``import_executer``: check every line, then the all-or-nothing upsert), creating
   every invoice;
d. the same file again: every line found unchanged (the idempotent re-import).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generer import charge, django_configurer, role_verifier, rss_pic_mo

BASE_PAR_DEFAUT = "recouvrement_bench_import"
CLIENTS = 500


def fichier(lignes: int) -> bytes:
    sortie = io.StringIO()
    sortie.write("\ufeffN° facture;Code client;Date;Date échéance;Montant HT;TVA;Montant TTC\r\n")
    for i in range(lignes):
        ht = 100 + (i * 37) % 99_900
        tva = ht // 5
        sortie.write(
            f"B{i:07d};C{i % CLIENTS:04d};{1 + i % 28:02d}/09/2026;{1 + i % 28:02d}/10/2026;"
            f"{ht // 1000} {ht % 1000:03d},{i % 100:02d};{tva},00;"
            f"{(ht + tva) // 1000} {(ht + tva) % 1000:03d},{i % 100:02d}\r\n"
        )
    return sortie.getvalue().encode("utf-8")


def preparer():
    from clients.models import Client
    from recouvrement.tenancy.context import organisation_scope
    from recouvrement.tenancy.models import Membre, Organisation, Role, User

    organisation = Organisation.objects.filter(raison_sociale="Bench import").first()
    if organisation is None:
        organisation = Organisation.objects.create(raison_sociale="Bench import", ville="Lyon")
        with organisation_scope(organisation):
            user = User.objects.create(email=f"admin.{organisation.pk}@bench-import.example", first_name="Admin")
            Membre.objects.create(user=user, role=Role.ADMIN)
            Client.objects.bulk_create(
                [Client(raison_sociale=f"Client {n}", external_id=f"C{n:04d}") for n in range(CLIENTS)]
            )
    with organisation_scope(organisation):
        membre = Membre.objects.select_related("user").get(role=Role.ADMIN)
    return organisation, membre


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lignes", type=int, default=100_000)
    parser.add_argument("--base", default=BASE_PAR_DEFAUT)
    args = parser.parse_args(argv)

    os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="bench-import-"))
    django_configurer(args.base)
    role_verifier()

    from django.core.files.uploadedfile import SimpleUploadedFile

    from factures.models import Facture
    from imports.models import StatutImport
    from imports.services import import_deposer, import_executer, lignes_lues
    from recouvrement.tenancy.context import organisation_scope

    organisation, membre = preparer()
    contenu = fichier(args.lignes)
    print(f"{args.lignes} lines, {len(contenu) / 1e6:.1f} MB; load {charge()}")
    with organisation_scope(organisation):
        Facture.objects.all().delete()

        def deposer():
            debut = time.perf_counter()
            import_ = import_deposer(membre=membre, type="factures", fichier=SimpleUploadedFile("bench.csv", contenu))
            import_.statut = StatutImport.EN_ATTENTE
            import_.save(update_fields=["statut"])
            return import_, time.perf_counter() - debut

        import_, duree = deposer()
        assert import_.total == args.lignes, import_.total
        print(f"a. deposit (store, header, count):        {duree:7.2f} s")
        debut = time.perf_counter()
        lues = sum(1 for _ligne in lignes_lues(import_))
        duree = time.perf_counter() - debut
        print(f"b. reading alone (every cell converted):  {duree:7.2f} s  ({lues / duree:,.0f} lines/s)")
        for libelle, attendu in (
            ("c. import, every invoice created:       ", "crees"),
            ("d. same file again, all unchanged:      ", "inchangees"),
        ):
            if attendu == "inchangees":
                import_, _duree = deposer()
            debut = time.perf_counter()
            fini = import_executer(import_id=import_.pk)
            duree = time.perf_counter() - debut
            assert fini.statut == StatutImport.TERMINE, (fini.message, fini.erreurs[:3])
            assert getattr(fini, attendu) == args.lignes, (attendu, fini.crees, fini.mises_a_jour, fini.inchangees)
            print(f"{libelle} {duree:7.2f} s  ({args.lignes / duree:,.0f} lines/s)")
        print(f"invoices: {Facture.objects.count()}; peak RSS {rss_pic_mo():.0f} MB; load {charge()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
