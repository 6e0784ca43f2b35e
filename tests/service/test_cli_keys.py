"""``koe keys create|list|revoke`` against the database named by ``KOE_DATABASE_URL``."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app
from service.storage import KeyStore, create_db_engine


def test_cli_keys_lifecycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    monkeypatch.setenv("KOE_DATABASE_URL", url)
    runner = CliRunner()
    created = runner.invoke(app, ["keys", "create", "--tenant", "acme"])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("koe_") and len(key) == 47
    store = KeyStore(create_db_engine(url))
    principal = store.authenticate(key)
    assert principal is not None and principal.tenant == "acme" and principal.scope == "full"

    reader = runner.invoke(app, ["keys", "create", "--tenant", "acme", "--scope", "reports"])
    assert store.authenticate(reader.stdout.strip().splitlines()[-1]).scope == "reports"

    listed = runner.invoke(app, ["keys", "list", "--tenant", "acme"])
    assert listed.exit_code == 0 and key[:12] in listed.stdout and key not in listed.stdout
    assert listed.stdout.count("active") == 2

    for near in (key[:10], key[:20]):  # only the listed prefix or the full key match
        missed = runner.invoke(app, ["keys", "revoke", near])
        assert missed.exit_code == 1 and "12-character prefix" in missed.stderr
        assert "`koe keys list`" in missed.stderr and "full key" in missed.stderr
    assert store.authenticate(key) is not None
    revoked = runner.invoke(app, ["keys", "revoke", key[:12]])
    assert revoked.exit_code == 0, revoked.output
    assert store.authenticate(key) is None
    again = runner.invoke(app, ["keys", "revoke", key[:12]])
    assert again.exit_code == 1 and "no active key" in again.stderr


def test_cli_keys_stores_only_hashes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOE_DATABASE_URL", f"sqlite:///{tmp_path / 'k.db'}")
    result = CliRunner().invoke(app, ["keys", "create", "--tenant", "acme"])
    key = result.stdout.strip().splitlines()[-1]
    data = b"".join(p.read_bytes() for p in tmp_path.glob("k.db*"))
    assert key.encode() not in data and key[12:].encode() not in data


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("KOE_PROFILE", "turbo", "invalid settings: ('profile',)"),
        ("KOE_DATABASE_URL", "sqlite:////proc/no-such-dir/k.db", "cannot open the database"),
        ("KOE_DATABASE_URL", "postgresql://u:secret@localhost:1/x", "cannot open the database"),
    ],
)
def test_cli_keys_and_worker_bad_settings_are_one_line_errors(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    for command in (["keys", "list"], ["worker"]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 1
        assert result.stderr.startswith("koe: error: ") and message in result.stderr
        assert "secret" not in result.stderr
