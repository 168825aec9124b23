"""Relay fixtures: the member stack shared with tests/web, and the relay's URL in it."""

from __future__ import annotations

from pathlib import Path

import pytest
from member_stack import MemberStack, built_page, member_stack  # noqa: F401 (fixtures)


@pytest.fixture(scope="session")
def stack(member_stack: MemberStack, built_page: Path) -> MemberStack:  # noqa: F811
    """The stack, with the page built: the site serves it (and answers 405 for its files)."""
    return member_stack


@pytest.fixture(scope="session")
def relay_url(stack: MemberStack) -> str:
    assert stack.site is not None
    return f"{stack.site.url}/relay/consent"
