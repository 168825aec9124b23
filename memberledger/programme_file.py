"""programme.toml: who runs the programme, how its member page looks, and its rewards.

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

    [rewards.1]                           # the reward catalogue, by reward id
    cost = 100                            # points; the chain keeps the cost that counts
    name = "Coffee voucher"               # what members and the operator read
    description = "Any regular coffee"    # optional
    names = { zh-CN = "咖啡券" }           # optional: the name in other languages
    # retired = true                      # `programme rewards retire`: no longer offered

    [multipliers]                         # tier -> basis points (10,000 = 1.00x)
    basic = 10000
    silver = 12500
    gold = 15000
    platinum = 20000

`ape run deploy` sets the chain's catalogue and multipliers from `[rewards]` and
`[multipliers]`; `ape run programme rewards|multipliers` change both the chain and this file
(`ProgrammeFileEditor` rewrites only the lines it changes, so comments stay). Costs that
count are the chain's; names live here, not in code. Paths are relative to the file's
folder. `[page.reward_names.<language>]` (reward id -> name) is still read, as before.

A top-level module: the operator's commands (`ops`, `cli`), the member site (`site`) and the
programme all read it; it imports nothing of the package but the shared words.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from memberledger.errors import ConfigError
from memberledger.settings import DEFAULT_PROGRAMME_FILE
from memberledger.tiers import TIERS

__all__ = [
    "DEFAULT_PROGRAMME_FILE",
    "ProgrammeFile",
    "ProgrammeFileEditor",
    "Reward",
    "load_programme_file",
]
#: Languages the page speaks; a programme name may be given in each.
LANGUAGES = ("en", "zh-CN")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png"}


#: The most basis points the token accepts as a multiplier (`MAX_MULTIPLIER_BPS`).
MAX_MULTIPLIER_BPS = 1_000_000
_TIER_NUMBERS = {name: number for number, name in TIERS.items()}


@dataclass(frozen=True)
class Reward:
    """One reward of the catalogue, as the programme file describes it."""

    reward_id: int
    cost: int
    name: str
    description: str = ""
    names: dict[str, str] = field(default_factory=dict)
    retired: bool = False


@dataclass(frozen=True)
class ProgrammeFile:
    """programme.toml, checked: `[programme]`, `[page]`, `[rewards]`, `[multipliers]`."""

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
    #: The catalogue, by reward id (empty: the file has no `[rewards]`).
    rewards: dict[int, Reward] = field(default_factory=dict)
    #: Tier number -> basis points (empty: the file has no `[multipliers]`).
    multipliers: dict[int, int] = field(default_factory=dict)
    #: Where the file was read from (for the editor and messages).
    path: Path | None = None

    @property
    def logo_type(self) -> str | None:
        return _LOGO_TYPES[self.logo.suffix.lower()] if self.logo else None

    def reward_names_of(self, reward_id: int) -> dict[str, str]:
        """The reward's name in each language that names it."""
        names = {
            lang: names[reward_id]
            for lang, names in self.reward_names.items()
            if reward_id in names
        }
        reward = self.rewards.get(reward_id)
        if reward is not None:
            names.update(reward.names)
        return names

    def reward_name(self, reward_id: int) -> str:
        """The reward's name in the operator's language ("reward N" if the file has none)."""
        reward = self.rewards.get(reward_id)
        return reward.name if reward is not None else f"reward {reward_id}"

    def offered(self) -> list[Reward]:
        """The rewards members can redeem, by id (retired ones left out)."""
        return [r for _, r in sorted(self.rewards.items()) if not r.retired]

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
    rewards = _rewards(data.get("rewards", {}), path)
    multipliers = _multipliers(data.get("multipliers", {}), path)
    return ProgrammeFile(
        name=text(programme, "programme", "name") or "",
        operator=text(programme, "programme", "operator") or "",
        contact_email=email,
        contact_url=url,
        names={lang: value.strip() for lang, value in names.items()},
        logo=logo,
        privacy_policy=policy,
        reward_names=reward_names,
        rewards=rewards,
        multipliers=multipliers,
        path=path,
        **colours,
    )


def _table(data: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    table = data.get(name)
    if not isinstance(table, dict):
        raise ConfigError(f"{path} lacks its [{name}] section")
    return table


def _rewards(section: Any, path: Path) -> dict[int, Reward]:
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [rewards] is one table per reward id ([rewards.1], ...)")
    rewards: dict[int, Reward] = {}
    for key, table in section.items():
        where = f"{path}: [rewards.{key}]"
        if not str(key).isdigit() or int(key) < 1 or int(key) >= 2**256:
            raise ConfigError(f"{where}: a reward id is a whole number from 1")
        if not isinstance(table, dict):
            raise ConfigError(f"{where} must be a table with cost and name")
        unknown = set(table) - {"cost", "name", "description", "names", "retired"}
        if unknown:
            raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r}")
        cost, name = table.get("cost"), table.get("name")
        retired = table.get("retired", False)
        if not isinstance(retired, bool):
            raise ConfigError(f"{where}: retired is true or false")
        if not isinstance(cost, int) or isinstance(cost, bool) or cost < 0 or cost >= 2**256:
            raise ConfigError(f"{where}: cost must be a whole number of points")
        if cost == 0 and not retired:
            raise ConfigError(f"{where}: cost 0 means not offered: write retired = true")
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            raise ConfigError(f"{where}: name must be a non-empty text of at most 100 characters")
        description = table.get("description", "")
        if not isinstance(description, str) or len(description) > 500:
            raise ConfigError(f"{where}: description must be a text of at most 500 characters")
        names = table.get("names", {})
        if not isinstance(names, dict) or any(
            lang not in LANGUAGES or not isinstance(value, str) or not value.strip()
            for lang, value in names.items()
        ):
            raise ConfigError(f"{where}: names maps languages ({', '.join(LANGUAGES)}) to names")
        reward_id = int(key)
        rewards[reward_id] = Reward(
            reward_id,
            cost,
            name.strip(),
            description.strip(),
            {lang: value.strip() for lang, value in names.items()},
            retired,
        )
    return rewards


def _multipliers(section: Any, path: Path) -> dict[int, int]:
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [multipliers] maps tiers to basis points")
    multipliers: dict[int, int] = {}
    for key, bps in section.items():
        tier = _TIER_NUMBERS.get(str(key).lower())
        if tier is None:
            known = ", ".join(TIERS.values())
            raise ConfigError(f"{path}: [multipliers] {key!r} is not a tier ({known})")
        if not isinstance(bps, int) or isinstance(bps, bool) or not 0 < bps <= MAX_MULTIPLIER_BPS:
            raise ConfigError(
                f"{path}: [multipliers] {key} must be basis points from 1 to "
                f"{MAX_MULTIPLIER_BPS:,} (10000 = 1.00x)"
            )
        multipliers[tier] = bps
    return multipliers


class ProgrammeFileEditor:
    """Changes the `[rewards.N]` and `[multipliers]` tables of a programme file in place,
    line by line, so the operator's comments and layout elsewhere stay as they are. Each
    change is checked by loading the result before the file is replaced (atomically)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def set_reward(
        self, reward_id: int, cost: int, name: str | None = None, retired: bool = False
    ) -> ProgrammeFile:
        """Record the reward's cost (and name), and whether it is retired."""
        values: dict[str, object] = {"cost": cost}
        if name is not None:
            values["name"] = name
        if retired:
            values["retired"] = True
        return self._write(f"rewards.{reward_id}", values, drop=() if retired else ("retired",))

    def set_multiplier(self, tier: int, bps: int) -> ProgrammeFile:
        return self._write("multipliers", {TIERS[tier]: bps})

    def _write(
        self, table: str, values: dict[str, object], drop: tuple[str, ...] = ()
    ) -> ProgrammeFile:
        text = self.path.read_text(encoding="utf-8")
        updated = set_table_values(text, table, values, drop)
        staged = self.path.with_name(self.path.name + ".tmp")
        staged.write_text(updated, encoding="utf-8")
        try:
            checked = load_programme_file(staged)
        except ConfigError:
            staged.unlink()
            raise
        staged.replace(self.path)
        return replace(checked, path=self.path)


_HEADER = re.compile(r"^\s*\[([^\[\]]+)\]\s*(#.*)?$")


def set_table_values(
    text: str, table: str, values: dict[str, object], drop: tuple[str, ...] = ()
) -> str:
    """`text` (TOML) with `key = value` lines of `[table]` set to `values` (added where
    missing, the table appended if absent) and the keys in `drop` removed."""
    lines = text.splitlines()
    start = next(
        (i for i, line in enumerate(lines) if (m := _HEADER.match(line)) and m[1].strip() == table),
        None,
    )
    rendered = {key: f"{key} = {_toml_value(value)}" for key, value in values.items()}
    if start is None:
        block = [f"[{table}]", *rendered.values()]
        tail = [""] if lines and lines[-1].strip() else []
        return "\n".join([*lines, *tail, *block]) + "\n"
    end = next(
        (i for i in range(start + 1, len(lines)) if _HEADER.match(lines[i])),
        len(lines),
    )
    body = lines[start + 1 : end]
    seen: set[str] = set()
    kept: list[str] = []
    for line in body:
        key = (
            line.split("=", 1)[0].strip()
            if "=" in line and not line.lstrip().startswith("#")
            else None
        )
        if key in rendered:
            kept.append(rendered[key])
            seen.add(key)
        elif key in drop:
            continue
        else:
            kept.append(line)
    last_key = max((i for i, line in enumerate(kept) if "=" in line), default=-1)
    missing = [line for key, line in rendered.items() if key not in seen]
    kept[last_key + 1 : last_key + 1] = missing
    return "\n".join([*lines[: start + 1], *kept, *lines[end:]]) + "\n"


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot write {value!r} to TOML")
