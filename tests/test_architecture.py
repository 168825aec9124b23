"""The house rules of `memberledger/`, checked on the source: every import points down the flow
(CSV -> check and seal -> vault -> journal -> chain -> receipts), and every table is read and
written by the one module that creates it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "memberledger"

#: The words every room shares: top-level modules that import only each other.
BASE = frozenset({"errors", "settings", "hashing", "identifiers", "consent", "tiers"})
#: Room -> the rooms (and top-level modules) it may import besides itself and BASE.
ALLOWED: dict[str, frozenset[str]] = {
    "base": frozenset(),
    "pii": frozenset(),
    "store": frozenset({"pii"}),
    "intake": frozenset({"pii"}),
    "chain": frozenset({"pii"}),
    "programme_file": frozenset(),
    "programme": frozenset({"pii", "store", "chain", "programme_file"}),
    "index": frozenset({"pii", "store", "chain", "programme"}),
    "bulk": frozenset({"pii", "store", "intake", "chain", "programme"}),
    "ops": frozenset({"pii", "store", "intake", "chain", "programme", "programme_file", "index"}),
    # Private proofs: groups from the chain, published exactly once like a bulk run.
    "proofs": frozenset({"pii", "store", "chain", "programme", "bulk"}),
    "site": frozenset(
        {"pii", "store", "chain", "programme", "programme_file", "ops", "index", "proofs"}
    ),
    "cli": frozenset(
        {
            "pii",
            "store",
            "intake",
            "chain",
            "programme",
            "programme_file",
            "index",
            "bulk",
            "ops",
            "proofs",
            "site",
        }
    ),
}
#: Top-level modules that are a room of their own.
TOP_LEVEL_ROOMS = {"programme": "programme"}
#: Table -> the one module that may name it in SQL.
TABLE_OWNERS = {
    "members": "store/vault.py",
    "vault_meta": "store/vault.py",
    "journal_batches": "store/journal.py",
    "journal_entries": "store/journal.py",
    "journal_transactions": "store/journal.py",
    "fulfilments": "store/fulfilments.py",
    "letters_sent": "store/letters_sent.py",
    "member_notes": "store/member_notes.py",
    "changes_applied": "store/changes_applied.py",
    "change_batches": "store/changes_applied.py",
    "access_log": "store/access_log.py",
    "journal_retired_keys": "store/journal.py",
    "journal_retired_totals": "store/journal.py",
    "staged_errors": "bulk/staging.py",
    "staged_members": "bulk/staging.py",
    "staged_credits": "bulk/staging.py",
    "index_cursor": "index/cursor.py",
    "index_events": "index/events.py",
    "index_transactions": "index/events.py",
    "index_blocks": "index/events.py",
    "index_members": "index/members.py",
    "index_redemptions": "index/redemptions.py",
    "index_rules": "index/rules.py",
    "index_weekly": "index/weekly.py",
}
_SQL_TABLE = re.compile(
    r"\b(?:FROM|JOIN|INTO|UPDATE|TABLE(?:\s+IF\s+(?:NOT\s+)?EXISTS)?)\s+(?:temp\.)?(\w+)",
    re.IGNORECASE,
)


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def room_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    if len(relative.parts) > 1:
        return relative.parts[0]
    name = relative.stem
    if name in BASE or name == "__init__":
        return "base"
    return TOP_LEVEL_ROOMS.get(name, name)


def room_of_import(dotted: str) -> str | None:
    parts = dotted.split(".")
    if parts[0] != "memberledger" or len(parts) == 1:
        return None
    if (PACKAGE / parts[1]).is_dir():
        return parts[1]
    return "base" if parts[1] in BASE else TOP_LEVEL_ROOMS.get(parts[1], parts[1])


def imports(path: Path) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def test_every_room_has_a_docstring_saying_what_it_holds_and_may_import() -> None:
    for init in PACKAGE.glob("*/__init__.py"):
        docstring = ast.get_docstring(ast.parse(init.read_text())) or ""
        assert "May import" in docstring, f"{init} needs a docstring with 'May import: ...'"


def test_top_level_holds_at_most_ten_modules() -> None:
    assert len(list(PACKAGE.glob("*.py"))) <= 10


def test_test_modules_have_unique_names() -> None:
    """The tests mirror the rooms, so two rooms' tests easily share a name (chain/test_gas.py and
    contracts/test_gas.py did); pytest's default import mode then refuses the second file and
    the whole run stops at collection."""
    tests = Path(__file__).resolve().parent
    names: dict[str, list[str]] = {}
    for path in tests.rglob("test_*.py"):
        names.setdefault(path.name, []).append(str(path.relative_to(tests)))
    assert {name: paths for name, paths in names.items() if len(paths) > 1} == {}


def backwards_imports(path: Path, room: str) -> list[str]:
    """The imports of `path` (in `room`) that point at a room it may not import."""
    allowed = frozenset({"base"}) if room == "base" else ALLOWED[room] | {room, "base"}
    return [
        f"line {line}: {dotted}"
        for line, dotted in imports(path)
        if (target := room_of_import(dotted)) is not None and target not in allowed
    ]


def trespassed_tables(path: Path, owner: str) -> list[str]:
    """The tables that SQL text in `path` names although `owner` (the module) does not own
    them: only string constants are read, so code and comments never count."""
    strings = [
        node.value
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]
    named = {table for text in strings for table in _SQL_TABLE.findall(text)}
    return sorted(table for table in named if TABLE_OWNERS.get(table, owner) != owner)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down_the_flow(path: Path) -> None:
    room = room_of(path)
    assert room in ALLOWED, f"{path}: room {room!r} is not in the map of rooms"
    wrong = backwards_imports(path, room)
    assert not wrong, f"{room} may not import these:\n" + "\n".join(wrong)


@pytest.mark.parametrize(
    "path",
    [p for p in modules() if "migrations" not in p.parts],  # the schema's own history
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_tables_are_used_by_their_owner_only(path: Path) -> None:
    relative = str(path.relative_to(PACKAGE))
    trespass = trespassed_tables(path, relative)
    assert not trespass, f"{relative} names tables it does not own: {trespass}"


def test_the_checks_above_find_what_they_look_for(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from memberledger.bulk.run import RunOptions\n"
        "from memberledger.store.vault import Vault\n"
        "QUERY = 'SELECT m.member_id FROM members m JOIN temp.staged_members s'\n"
    )

    assert backwards_imports(sample, "store") == [
        "line 1: memberledger.bulk.run",
        "line 1: memberledger.bulk.run.RunOptions",
    ]
    assert trespassed_tables(sample, "bulk/staging.py") == ["members"]
    assert trespassed_tables(sample, "store/vault.py") == ["staged_members"]
