"""Settings are read once, from the environment over the project's `.env`, and only there."""

from __future__ import annotations

from pathlib import Path

import pytest

from memberledger.settings import Settings, read_settings, reload_settings, settings


def test_read_settings_takes_the_project_dot_env(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "MEMBERLEDGER_VAULT=elsewhere/v.db\nMEMBERLEDGER_PHONE_REGION=de\nOTHER=ignored\n"
    )

    read = read_settings({}, tmp_path)

    assert read.vault_path == Path("elsewhere/v.db")
    assert read.phone_region == "DE"


def test_environment_wins_over_dot_env(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("MEMBERLEDGER_ACCOUNT=from-file\n")

    assert read_settings({"MEMBERLEDGER_ACCOUNT": "from-env"}, tmp_path).account == "from-env"


def test_dot_env_of_a_parent_folder_is_never_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("MEMBERLEDGER_ACCOUNT=parent\n")
    project = tmp_path / "project"
    project.mkdir()

    assert read_settings({}, project) == Settings()


def test_settings_are_read_once_until_reloaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MEMBERLEDGER_VERBOSE", "")
    first = settings()
    monkeypatch.setenv("MEMBERLEDGER_VERBOSE", "1")

    assert settings() is first
    assert reload_settings().verbose


def test_repr_hides_secrets() -> None:
    shown = repr(Settings(vault_key="ab" * 32, account_passphrase="hunter2", account="op"))

    assert "ab" * 32 not in shown
    assert "hunter2" not in shown
    assert "op" in shown
