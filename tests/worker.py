"""A real Celery worker process for end-to-end tests, on the test database and Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

RACINE = Path(__file__).resolve().parents[1]


def env_du_worker(**extra: str) -> dict[str, str]:
    """The environment of a worker that uses the test database (data must be committed)."""
    s = connection.settings_dict
    url = f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
    return dict(os.environ, DJANGO_SETTINGS_MODULE="recouvrement.settings.test", DATABASE_URL=url, **extra)


class Worker:
    """``with Worker(queues, env, log) as w:`` starts ``celery worker --pool=solo``; ``w.tuer()`` is kill -9."""

    def __init__(self, *, env: dict[str, str], journal: Path, queues: str = "celery", include: str = "") -> None:
        self.env = env
        self.journal = journal
        self.queues = queues
        self.include = include
        self.process: subprocess.Popen[bytes] | None = None

    def demarrer(self) -> None:
        commande = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "recouvrement",
            "worker",
            "--pool=solo",
            "-Q",
            self.queues,
            "--loglevel=INFO",
            "--without-mingle",
            "--without-gossip",
            "--prefetch-multiplier=1",
        ]
        if self.include:
            commande += ["-I", self.include]
        with self.journal.open("ab") as sortie:
            self.process = subprocess.Popen(commande, cwd=RACINE, env=self.env, stdout=sortie, stderr=subprocess.STDOUT)

    def vivant(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def tuer(self) -> None:
        """kill -9: no warm shutdown, no ack, nothing recorded after what was committed."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def arreter(self) -> None:
        if self.vivant():
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def __enter__(self) -> Worker:
        self.demarrer()
        return self

    def __exit__(self, *exc: object) -> None:
        self.arreter()


def attendre(condition, *, delai: float = 60, worker: Worker | None = None, message: str = "") -> None:
    fin = time.monotonic() + delai
    while time.monotonic() < fin:
        if condition():
            return
        if worker is not None and not worker.vivant():
            raise AssertionError(f"the worker died: {worker.journal.read_text()[-3000:]}")
        time.sleep(0.2)
    journal = worker.journal.read_text()[-3000:] if worker is not None else ""
    raise AssertionError(f"timed out: {message}\n{journal}")
