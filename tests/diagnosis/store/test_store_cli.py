"""`beltdoctor users` and `beltdoctor workspace`: hashed passwords, clear errors, backups through the CLI."""

from __future__ import annotations

import io

import pytest

from diagnosis.cli import main
from diagnosis.store.workspace import Workspace


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("BELTDOCTOR_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DATABASE_URL", raising=False)


def test_users_add_hashes_and_lists(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("provider-pass\n"))
    assert main(["users", "add", "lin", "--role", "provider", "--password-stdin"]) == 0
    user = Workspace().users()[0]
    assert user.password_hash.startswith("$2b$") and "provider-pass" not in user.password_hash
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "add", "x", "--role", "provider", "--password-stdin"]) == 2
    monkeypatch.setattr("sys.stdin", io.StringIO("long-enough\n"))
    assert main(["users", "add", "shop", "--role", "merchant", "--merchant", "nope", "--password-stdin"]) == 2
    err = capsys.readouterr().err
    assert "at least 8 characters" in err and "no merchant 'nope'" in err and "Traceback" not in err
    assert main(["users", "list"]) == 0
    assert "lin\tprovider" in capsys.readouterr().out


def test_workspace_export_and_import(tmp_path, monkeypatch, capsys):
    Workspace().add_user("lin", "Lin", "provider", "$2b$12$hash")
    backup = tmp_path / "backup.zip"
    assert main(["workspace", "export", str(backup)]) == 0
    monkeypatch.setenv("BELTDOCTOR_HOME", str(tmp_path / "other"))
    assert main(["workspace", "import", str(backup)]) == 0
    assert [u.username for u in Workspace().users()] == ["lin"]
    assert main(["workspace", "import", str(backup)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert main(["workspace", "import", str(tmp_path / "missing.zip")]) == 2
