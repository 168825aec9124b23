"""Relay fixtures: the member stack shared with tests/web, and the relay's URL in it."""

from __future__ import annotations

import pytest
from member_stack import MemberStack, member_stack  # noqa: F401 (a fixture)


@pytest.fixture(scope="session")
def stack(member_stack: MemberStack) -> MemberStack:  # noqa: F811
    return member_stack


@pytest.fixture(scope="session")
def relay_url(stack: MemberStack) -> str:
    assert stack.site is not None
    return f"{stack.site.url}/relay/consent"
