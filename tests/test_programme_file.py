"""programme.toml: the repository's sample loads; each mistake is refused naming the file
and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from member_stack import ROOT

from memberledger.errors import ConfigError
from memberledger.programme_file import load_programme_file

GOOD = """
[programme]
name = "Test Club"
operator = "Test Club Ltd"
contact_email = "hello@example.org"

[page]
privacy_policy = "policy.md"
"""


def write(folder: Path, text: str) -> Path:
    (folder / "policy.md").write_text("policy")
    path = folder / "programme.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_programme_file_reads_the_sample() -> None:
    programme = load_programme_file(ROOT / "programme.toml")
    assert programme.name == "Corner Café Friends"
    assert programme.names == {"zh-CN": "街角咖啡之友"}
    assert programme.logo_type == "image/svg+xml"
    assert programme.reward_names_of(1) == {"zh-CN": "咖啡券"}
    assert "--accent: #1f5f8b" in programme.stylesheet()


def test_load_programme_file_defaults(tmp_path: Path) -> None:
    programme = load_programme_file(write(tmp_path, GOOD))
    assert (programme.logo, programme.contact_url, programme.primary_colour) == (
        None,
        None,
        "#1f5f8b",
    )
    assert programme.page_settings()["logoUrl"] is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('contact_email = "hello@example.org"', 'contact_email = "nobody"'), "contact_email"),
        (('name = "Test Club"', ""), r"\[programme\] name"),
        (("[page]", '[page]\nprimary_colour = "blue"'), "primary_colour"),
        (("[page]", '[page]\nlogo = "missing.svg"'), "logo names"),
        (('privacy_policy = "policy.md"', 'privacy_policy = "nope.md"'), "privacy_policy names"),
        (("[page]", "[pages]"), r"lacks its \[page\] section"),
        (("[programme]", "[programme]\ncontact_url = 'http://plain.example.org'"), "https"),
        (("[page]", '[programme.names]\nfr = "Club"\n[page]'), "programme.names"),
        (("=", "=="), "not valid TOML"),
    ],
)
def test_load_programme_file_refuses_mistakes(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = write(tmp_path, GOOD.replace(*change, 1))
    with pytest.raises(ConfigError, match=message):
        load_programme_file(path)


def test_load_programme_file_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"programme\.toml is missing"):
        load_programme_file(tmp_path / "programme.toml")
