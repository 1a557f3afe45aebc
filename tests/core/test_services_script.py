"""scripts/services.py (what `make test` runs): when nothing is available, it says what to install."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "services.py"


@pytest.fixture
def services(monkeypatch):
    spec = importlib.util.spec_from_file_location("services_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setattr(module, "port_open", lambda port, host="127.0.0.1": False)
    return module


def test_no_postgresql_anywhere_names_the_package(services, monkeypatch, capsys):
    monkeypatch.setattr(services, "find_pg_binary", lambda name: None)
    with pytest.raises(SystemExit) as stop:
        services.database_url()
    assert stop.value.code == 2
    assert "apt-get install -y postgresql" in capsys.readouterr().err


def test_no_redis_anywhere_names_the_package(services, monkeypatch, capsys):
    monkeypatch.setattr(services.shutil, "which", lambda name: None)
    with pytest.raises(SystemExit) as stop:
        services.redis_url()
    assert stop.value.code == 2
    assert "apt-get install -y redis-server" in capsys.readouterr().err


def test_urls_from_the_environment_win(services, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@h:1/d")
    monkeypatch.setenv("REDIS_URL", "redis://h:2/3")
    assert services.database_url() == "postgres://u:p@h:1/d"
    assert services.redis_url() == "redis://h:2/3"
