"""The page's bundled commitment module (web/src/commitment.ts) against the Python package:
every shared test vector, and the same refusals for invalid details."""

from __future__ import annotations

import json
from typing import Any

import pytest
from member_stack import ROOT
from playwright.sync_api import Page

from memberledger.errors import InvalidField
from memberledger.pii.canonical import PersonalData, canonicalize

VECTORS = json.loads((ROOT / "tests" / "vectors" / "commitments.json").read_text())["vectors"]

#: Details Python refuses, each naming the field it refuses; the browser must agree.
INVALID: list[tuple[str, dict[str, str], str | None]] = [
    ("empty name", {"full_name": " \u3000 "}, None),
    ("control character in name", {"full_name": "Ada\u0007Lovelace"}, None),
    ("e-mail without domain dot", {"email": "ada@example"}, None),
    ("e-mail with two @", {"email": "ada@@example.org"}, None),
    ("e-mail with a space", {"email": "ada lovelace@example.org"}, None),
    ("phone without country code", {"phone": "030 1234567"}, None),
    ("phone too short", {"phone": "+49 30"}, None),
    ("phone with extension", {"phone": "+1 202 555 0143 ext. 12"}, None),
    ("birth date not ISO", {"birth_date": "28.02.1990"}, None),
    ("birth date not a day", {"birth_date": "1990-02-30"}, None),
    ("birth date before 1900", {"birth_date": "1899-12-31"}, None),
    ("birth date in the future", {"birth_date": "2999-01-01"}, None),
]

BASE = {"full_name": "Ada Lovelace", "email": "ada@example.org", "phone": "", "birth_date": ""}


@pytest.fixture(scope="module")
def commitment_page(browser: Any, stack: Any) -> Any:
    context = browser.new_context()
    page = context.new_page()
    page.goto(stack.site.url)
    page.evaluate("async () => { window.commitment = await import('/commitment.js'); }")
    yield page
    context.close()


def test_browser_reproduces_every_vector(commitment_page: Page) -> None:
    results = commitment_page.evaluate(
        """(vectors) => vectors.map((v) => {
            const salt = window.commitment.parseSalt(v.salt_hex);
            return window.commitment.commitPerson(v.raw, salt, v.default_region);
        })""",
        VECTORS,
    )
    assert len(results) == len(VECTORS) > 0
    for vector, result in zip(VECTORS, results, strict=True):
        assert result["canonical"] == vector["canonical"], vector["name"]
        assert result["canonicalBytesHex"] == vector["canonical_bytes_hex"], vector["name"]
        assert result["commitment"] == vector["commitment_hex"], vector["name"]


@pytest.mark.parametrize(("name", "fields", "region"), INVALID, ids=[case[0] for case in INVALID])
def test_browser_refuses_what_python_refuses(
    commitment_page: Page, name: str, fields: dict[str, str], region: str | None
) -> None:
    raw = {**BASE, **fields}
    with pytest.raises(InvalidField) as refused:
        canonicalize(PersonalData(**raw), region)
    field = commitment_page.evaluate(
        """([raw, region]) => {
            try { window.commitment.canonicalize(raw, region); return null; }
            catch (error) { return error.field ?? String(error); }
        }""",
        [raw, region],
    )
    assert field == refused.value.field, name
