"""The programme file's `[rewards]` and `[multipliers]`: read and checked, and changed in
place by the editor without touching the operator's other lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from memberledger.errors import ConfigError
from memberledger.programme_file import ProgrammeFileEditor, load_programme_file

FILE = """# our programme
[programme]
name = "Test Club"
operator = "Test Club Ltd"
contact_email = "hello@example.org"

[page]
privacy_policy = "policy.md"

# rewards: keep this comment
[rewards.1]
cost = 100
name = "Coffee"
names = { zh-CN = "咖啡" }

[multipliers]
basic = 10000
gold = 15000
"""


@pytest.fixture
def path(tmp_path: Path) -> Path:
    (tmp_path / "policy.md").write_text("policy")
    written = tmp_path / "programme.toml"
    written.write_text(FILE, encoding="utf-8")
    return written


def test_rewards_and_multipliers_are_read(path: Path) -> None:
    programme = load_programme_file(path)

    assert programme.rewards[1].cost == 100 and programme.reward_name(1) == "Coffee"
    assert programme.reward_names_of(1) == {"zh-CN": "咖啡"}
    assert programme.reward_name(9) == "reward 9"
    assert programme.multipliers == {0: 10_000, 2: 15_000}


def test_editor_changes_only_its_lines_and_keeps_comments(path: Path) -> None:
    editor = ProgrammeFileEditor(path)

    editor.set_reward(1, 120, 'Coffee "large"')
    editor.set_reward(4, 900, "Cinema")
    changed = editor.set_multiplier(3, 20_000)

    text = path.read_text(encoding="utf-8")
    assert text.startswith("# our programme\n") and "# rewards: keep this comment" in text
    assert 'names = { zh-CN = "咖啡" }' in text
    assert changed.rewards[1].cost == 120 and changed.rewards[1].name == 'Coffee "large"'
    assert changed.rewards[4].cost == 900 and changed.multipliers[3] == 20_000


def test_editor_retires_and_restores_a_reward(path: Path) -> None:
    editor = ProgrammeFileEditor(path)

    retired = editor.set_reward(1, 0, None, retired=True)
    assert retired.rewards[1].retired and retired.offered() == []

    restored = editor.set_reward(1, 80, "Coffee")
    assert not restored.rewards[1].retired and "retired" not in path.read_text()


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ('[rewards.x]\ncost = 1\nname = "a"\n', "a reward id is a whole number"),
        ('[rewards.2]\ncost = 0\nname = "a"\n', "write retired = true"),
        ('[rewards.2]\ncost = 5\nname = ""\n', "name must be a non-empty text"),
        ('[rewards.2]\ncost = 5\nname = "a"\nprice = 3\n', "unknown key 'price'"),
        ("[multipliers]\ndiamond = 1\n", "'diamond' is not a tier"),
        ("[multipliers]\nsilver = 0\n", "basis points from 1"),
    ],
)
def test_mistakes_are_refused_naming_file_and_key(path: Path, section: str, message: str) -> None:
    path.write_text(FILE.replace("[multipliers]\nbasic = 10000\ngold = 15000\n", "") + section)

    with pytest.raises(ConfigError, match=message):
        load_programme_file(path)


def test_a_refused_edit_leaves_the_file_as_it_was(path: Path) -> None:
    with pytest.raises(ConfigError):
        ProgrammeFileEditor(path).set_reward(2, 0, "x")  # cost 0 without retired

    assert path.read_text(encoding="utf-8") == FILE
