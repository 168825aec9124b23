"""programme.toml: who runs the programme and how its member page looks.

The member page shows the programme's own name, logo and colours, links the privacy policy
members agree to, and says in its footer who runs the programme and how to reach them. Those
facts belong to the operator, not to the code, so they live in one file the server reads at
start-up (`--programme`, else `MEMBERLEDGER_PROGRAMME`, else `programme.toml`):

    [programme]
    name = "Corner Café Friends"          # shown as the page's title
    operator = "Corner Café Ltd"          # who runs the programme (footer)
    contact_email = "privacy@example.org" # how members reach them (footer)
    contact_url = "https://example.org"   # optional

    [programme.names]                     # optional: the name in other languages
    zh-CN = "街角咖啡之友"

    [page]
    logo = "docs/images/logo.svg"         # SVG or PNG, served at /programme/logo
    primary_colour = "#1f5f8b"            # buttons, links, the card
    accent_colour = "#f2a900"             # the card's edge
    privacy_policy = "docs/privacy-policy.md"

    [page.reward_names.zh-CN]             # optional: reward names in other languages
    1 = "咖啡券"

Kept in `memberledger/site/` for now; the reward catalogue will join this file, and the loader
may then move to the top of the package. Paths are relative to the file's folder.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from memberledger.errors import ConfigError

DEFAULT_PROGRAMME_FILE = Path("programme.toml")
#: Languages the page speaks; a programme name may be given in each.
LANGUAGES = ("en", "zh-CN")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png"}


@dataclass(frozen=True)
class ProgrammeFile:
    """The `[programme]` and `[page]` sections of programme.toml, checked."""

    name: str
    operator: str
    contact_email: str
    privacy_policy: Path
    contact_url: str | None = None
    names: dict[str, str] = field(default_factory=dict)
    logo: Path | None = None
    primary_colour: str = "#1f5f8b"
    accent_colour: str = "#f2a900"
    reward_names: dict[str, dict[int, str]] = field(default_factory=dict)

    @property
    def logo_type(self) -> str | None:
        return _LOGO_TYPES[self.logo.suffix.lower()] if self.logo else None

    def reward_names_of(self, reward_id: int) -> dict[str, str]:
        """The reward's name in each language that names it."""
        return {
            lang: names[reward_id]
            for lang, names in self.reward_names.items()
            if reward_id in names
        }

    def page_settings(self) -> dict[str, Any]:
        """What config.json tells the page about the programme."""
        return {
            "name": self.name,
            "names": self.names,
            "operator": self.operator,
            "contactEmail": self.contact_email,
            "contactUrl": self.contact_url,
            "logoUrl": "programme/logo" if self.logo else None,
            "privacyPolicyUrl": "privacy-policy",
        }

    def stylesheet(self) -> str:
        """programme.css: the programme's colours as the page's custom properties."""
        return f":root {{ --accent: {self.primary_colour}; --highlight: {self.accent_colour}; }}\n"


def load_programme_file(path: Path = DEFAULT_PROGRAMME_FILE) -> ProgrammeFile:
    """Read and check programme.toml; a `ConfigError` names the file and the key at fault."""
    if not path.is_file():
        raise ConfigError(
            f"{path} is missing: copy programme.toml from the repository and fill in your "
            "programme's name, operator and contact (or name another file with --programme)"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    programme = _table(data, "programme", path)
    page = _table(data, "page", path)
    base = path.parent

    def text(table: dict[str, Any], section: str, key: str, required: bool = True) -> str | None:
        value = table.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            raise ConfigError(f"{path}: [{section}] {key} must be a non-empty text")
        return value.strip()

    def existing(key: str, required: bool) -> Path | None:
        name = text(page, "page", key, required)
        if name is None:
            return None
        found = base / name
        if not found.is_file():
            raise ConfigError(f"{path}: [page] {key} names {found}, which does not exist")
        return found

    reward_names: dict[str, dict[int, str]] = {}
    for lang, table in page.get("reward_names", {}).items():
        if lang not in LANGUAGES or not isinstance(table, dict):
            raise ConfigError(f"{path}: [page.reward_names] is one table per language")
        for key, value in table.items():
            if not str(key).isdigit() or not isinstance(value, str) or not value.strip():
                raise ConfigError(
                    f"{path}: [page.reward_names.{lang}] maps reward ids to names ({key!r})"
                )
        reward_names[lang] = {int(key): value.strip() for key, value in table.items()}
    names = programme.get("names", {})
    if not isinstance(names, dict) or any(
        lang not in LANGUAGES or not isinstance(value, str) or not value.strip()
        for lang, value in names.items()
    ):
        raise ConfigError(
            f"{path}: [programme.names] maps languages ({', '.join(LANGUAGES)}) to names"
        )
    email = text(programme, "programme", "contact_email") or ""
    if not _EMAIL.fullmatch(email):
        raise ConfigError(f"{path}: [programme] contact_email {email!r} is not an e-mail address")
    url = text(programme, "programme", "contact_url", required=False)
    if url is not None and not url.startswith("https://"):
        raise ConfigError(f"{path}: [programme] contact_url must start with https://")
    colours = {}
    for key, default in (("primary_colour", "#1f5f8b"), ("accent_colour", "#f2a900")):
        colour = page.get(key, default)
        if not isinstance(colour, str) or not _COLOUR.fullmatch(colour):
            raise ConfigError(f"{path}: [page] {key} must be a colour like #1f5f8b")
        colours[key] = colour.lower()
    logo = existing("logo", required=False)
    if logo is not None and logo.suffix.lower() not in _LOGO_TYPES:
        raise ConfigError(f"{path}: [page] logo must be an .svg or .png file")
    policy = existing("privacy_policy", required=True)
    assert policy is not None
    return ProgrammeFile(
        name=text(programme, "programme", "name") or "",
        operator=text(programme, "programme", "operator") or "",
        contact_email=email,
        contact_url=url,
        names={lang: value.strip() for lang, value in names.items()},
        logo=logo,
        privacy_policy=policy,
        reward_names=reward_names,
        **colours,
    )


def _table(data: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    table = data.get(name)
    if not isinstance(table, dict):
        raise ConfigError(f"{path} lacks its [{name}] section")
    return table
