"""A corpus of malformed input files: each is refused with an error naming its line and
field, and nothing of it is written (vault, journal, chain, rejects file).

The files go through `enroll_file` and `issue_rewards`, the functions `ape run enroll` and
`ape run issue_rewards` call, in this process (a script start-up per file would cost minutes);
`test_enroll_script_reports_a_corpus_file` runs the real script on one file of the corpus."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from operator_kit import open_sqlite
from rich.console import Console

from memberledger.bulk.enrollment import enroll_file
from memberledger.bulk.rewards import issue_rewards
from memberledger.bulk.run import RunOptions
from memberledger.chain.deployment import deploy, save_manifest
from memberledger.errors import InvalidFile
from memberledger.programme import Programme, open_programme

HEADER = (
    "member_id,wallet,full_name,email,phone,birth_date,tier,"
    "consent_marketing,consent_analytics,consent_partners"
)
W1 = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
W2 = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
W3 = "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB"
GOOD = f"C-001,{W1},Ana Díaz,ana@example.org,+49 151 12345678,1990-02-28,gold,yes,no,1"
GOOD_2 = f"C-002,{W2},Bo Chen,bo@example.org,,,,,,"
MIB = 1024 * 1024


def row(**cells: str) -> str:
    values = dict(zip(HEADER.split(","), GOOD.split(","), strict=True))
    values.update(cells)
    return ",".join(values.values())


def text(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


#: (id, file content, (line, field) of the first error): enrollment files.
MEMBER_FILES: list[tuple[str, bytes, tuple[int, str]]] = [
    ("empty file", b"", (1, "header")),
    ("blank lines only", b"\n\n  \n", (1, "header")),
    ("no header, data first", text(GOOD), (1, "header")),
    ("header only is fine, but with a stray data row of one cell", text(HEADER, "x"), (2, "row")),
    ("latin-1 encoded", text(HEADER, GOOD).decode().encode("latin-1"), (2, "file")),
    ("UTF-16 with BOM", text(HEADER, GOOD).decode().encode("utf-16"), (1, "file")),
    ("UTF-16 without BOM", text(HEADER, GOOD).decode().encode("utf-16-le"), (1, "file")),
    ("NUL byte in a row", text(HEADER, GOOD.replace("Ana", "A\x00na")), (2, "file")),
    ("lone CR line breaks", (HEADER + "\r" + GOOD + "\r").encode(), (1, "file")),
    ("unknown column", text(HEADER + ",nickname", GOOD + ",x"), (1, "nickname")),
    ("missing required column", text(HEADER.replace(",email", ""), GOOD), (1, "email")),
    ("duplicate column", text(HEADER + ",tier", GOOD + ",gold"), (1, "tier")),
    ("column name in wrong case", text(HEADER.replace("wallet", "Wallet"), GOOD), (1, "Wallet")),
    ("extra field in a row", text(HEADER, GOOD + ",extra"), (2, "row")),
    ("missing field in a row", text(HEADER, GOOD.rsplit(",", 1)[0]), (2, "row")),
    (
        "quoted newline in a wallet",
        text(HEADER, row(wallet=f'"{W1[:20]}\n{W1[20:]}"')),
        (2, "wallet"),
    ),
    ("unterminated quote", text(HEADER, GOOD_2, '"C-3,' + W3), (3, "file")),
    ("text after a closing quote", text(HEADER, row(full_name='"Ana"x')), (2, "file")),
    ("huge field (2 MiB)", text(HEADER, row(full_name="a" * (2 * MIB))), (2, "full_name")),
    ("huge line (9 MiB)", text(HEADER, row(full_name='"' + "a" * (9 * MIB) + '"')), (2, "row")),
    ("formula =cmd in name", text(HEADER, row(full_name="=cmd|' /C calc'!A0")), (2, "full_name")),
    ("formula @SUM in name", text(HEADER, row(full_name="@SUM(1+1)*cmd")), (2, "full_name")),
    ("formula = in e-mail", text(HEADER, row(email="=1+1@example.org")), (2, "email")),
    ("formula in member id", text(HEADER, row(member_id="=HYPERLINK(1)")), (2, "member_id")),
    ("bad EIP-55 checksum", text(HEADER, row(wallet=W1.replace("a", "A", 1))), (2, "wallet")),
    ("zero address", text(HEADER, row(wallet="0x" + "0" * 40)), (2, "wallet")),
    ("address too short", text(HEADER, row(wallet=W1[:-2])), (2, "wallet")),
    (
        "mixed-case duplicate wallet",
        text(HEADER, GOOD, row(member_id="C-9", wallet="0x" + W1[2:].upper())),
        (3, "wallet"),
    ),
    ("duplicate member id", text(HEADER, GOOD, row(wallet=W2)), (3, "member_id")),
    ("bad e-mail", text(HEADER, row(email="ana.example.org")), (2, "email")),
    ("phone without country code", text(HEADER, row(phone="0151 12345678")), (2, "phone")),
    ("birth date not ISO", text(HEADER, row(birth_date="28/02/1990")), (2, "birth_date")),
    ("birth date not a day", text(HEADER, row(birth_date="1990-02-30")), (2, "birth_date")),
    ("tier out of range", text(HEADER, row(tier="256")), (2, "tier")),
    ("consent not yes/no", text(HEADER, row(consent_partners="maybe")), (2, "consent_partners")),
    ("control character in name", text(HEADER, row(full_name="Ana\x07")), (2, "full_name")),
    (
        "good rows then one bad one",
        text(HEADER, GOOD, GOOD_2, row(member_id="C-3", wallet=W3, email="x")),
        (4, "email"),
    ),
    ("CRLF with a bad row", (HEADER + "\r\n" + row(email="x") + "\r\n").encode(), (2, "email")),
    ("trailing blank lines, bad row", text(HEADER, row(tier="diamond"), "", "", ""), (2, "tier")),
    (
        "UTF-8 BOM is accepted, the bad row is not",
        codecs.BOM_UTF8 + text(HEADER, row(wallet="nope")),
        (2, "wallet"),
    ),
]

REWARDS_HEADER = "event_id,wallet,points"
#: (id, file content, (line, field)): reward files (the wallet is an enrolled member).
REWARD_FILES: list[tuple[str, bytes, tuple[int, str]]] = [
    ("points overflow", text(REWARDS_HEADER, f"e1,{{m}},{2**64}"), (2, "points")),
    ("points 2**256", text(REWARDS_HEADER, f"e1,{{m}},{2**256}"), (2, "points")),
    ("negative points", text(REWARDS_HEADER, "e1,{m},-5"), (2, "points")),
    ("decimal points", text(REWARDS_HEADER, "e1,{m},1.5"), (2, "points")),
    ("exponent points", text(REWARDS_HEADER, "e1,{m},1e3"), (2, "points")),
    ("zero points", text(REWARDS_HEADER, "e1,{m},0"), (2, "points")),
    ("formula in points", text(REWARDS_HEADER, "e1,{m},=1+1"), (2, "points")),
    ("formula in event id", text(REWARDS_HEADER, "=cmd,{m},5"), (2, "event_id")),
    ("duplicate event id", text(REWARDS_HEADER, "e1,{m},5", "e1,{m},6"), (3, "event_id")),
    ("not a member", text(REWARDS_HEADER, f"e1,{W3},5"), (2, "wallet")),
    ("missing points column", text("event_id,wallet", "e1,{m}"), (1, "points")),
]


@pytest.fixture(scope="module")
def programme(
    project: Any, chain: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Programme]:
    from ape import accounts  # the account manager, as the scripts see it

    folder = tmp_path_factory.mktemp("corpus")
    save_manifest(deploy(project, chain, accounts.test_accounts[0]), folder / "deployments")
    with open_programme(
        project,
        chain,
        accounts,
        vault_path=folder / "vault.db",
        deployments_root=folder / "deployments",
        console=Console(quiet=True),
    ) as opened:
        yield opened


@pytest.fixture(scope="module")
def member(programme: Programme, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An enrolled member, for the reward files."""
    path = tmp_path_factory.mktemp("member") / "one.csv"
    path.write_bytes(text(HEADER, row(member_id="member-1", wallet=W2)))
    enroll_file(programme, path, RunOptions())
    return W2


def written(programme: Programme) -> tuple[int, ...]:
    """What a refused file must not change: vault rows, journal rows, chain height."""
    db = programme.database
    counts = [
        int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
        for table in ("members", "journal_batches", "journal_entries", "journal_transactions")
    ]
    return (*counts, programme.node.block_number())


def refused(run: Any, programme: Programme, path: Path) -> InvalidFile:
    before = written(programme)
    with pytest.raises(InvalidFile) as caught:
        run(programme, path, RunOptions())
    assert written(programme) == before
    assert not path.with_name(path.stem + ".rejects.csv").exists()
    return caught.value


@pytest.mark.parametrize(
    ("content", "where"), [p[1:] for p in MEMBER_FILES], ids=[p[0] for p in MEMBER_FILES]
)
def test_enroll_file_malformed_is_refused_whole(
    programme: Programme, tmp_path: Path, content: bytes, where: tuple[int, str]
) -> None:
    path = tmp_path / "members.csv"
    path.write_bytes(content)

    error = refused(enroll_file, programme, path)

    assert (error.errors[0].line, error.errors[0].field) == where, error.errors
    assert error.errors[0].reason and "\n" not in str(error.errors[0])


@pytest.mark.parametrize(
    ("content", "where"), [p[1:] for p in REWARD_FILES], ids=[p[0] for p in REWARD_FILES]
)
def test_issue_rewards_malformed_is_refused_whole(
    programme: Programme, member: str, tmp_path: Path, content: bytes, where: tuple[int, str]
) -> None:
    path = tmp_path / "rewards.csv"
    path.write_bytes(content.replace(b"{m}", member.encode()))

    error = refused(issue_rewards, programme, path)

    assert (error.errors[0].line, error.errors[0].field) == where, error.errors


def test_corpus_has_at_least_forty_kinds() -> None:
    assert len(MEMBER_FILES) + len(REWARD_FILES) >= 40


def test_valid_file_after_the_corpus_enrolls_and_touches_only_its_rows(
    programme: Programme, tmp_path: Path
) -> None:
    path = tmp_path / "good.csv"
    path.write_bytes(codecs.BOM_UTF8 + text(HEADER, GOOD, "", ""))
    before = written(programme)

    result = enroll_file(programme, path, RunOptions())

    assert result.new == 1 and sum(d.rows for d in result.deliveries) == 1
    assert written(programme)[0] == before[0] + 1
    with open_sqlite(programme.vault.path) as db:
        assert db.execute("SELECT status FROM members WHERE member_id = 'C-001'").fetchone() == (
            "enrolled",
        )
