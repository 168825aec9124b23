"""Every operator command meets an everyday mistake with one red line that names the
problem and the fix, exit code 2, and no traceback: a node that is down, a node that is not
the programme's, an unknown member, a mistyped option."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from operator_kit import ROOT, Operator, Run, one_red_line, write_members, write_rewards

from memberledger.chain.local_node import free_port, local_url, running_anvil


def commands(workdir: Path) -> list[list[str]]:
    members = write_members(workdir / "boundary-members.csv", [])
    rewards = write_rewards(workdir / "boundary-rewards.csv", [])
    changes = workdir / "boundary-changes.csv"
    changes.write_text("member,action,value\n")
    return [
        ["deploy"],
        ["enroll", str(members)],
        ["issue_rewards", str(rewards)],
        ["member", "base-0"],
        ["members", "tier", "base-0", "gold"],
        ["members", "apply", str(changes)],
        ["verify"],
        ["erase", "base-0", "--yes"],
        ["export", "base-0"],
        ["report"],
        ["roles", "list"],
        ["redemptions", "list"],
        ["letters", "--all-new", "--output", str(workdir / "never")],
        ["programme", "rewards", "list"],
    ]


def run_on(operator: Operator, network: str, args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ape", "run", *args, "--network", network],
        cwd=ROOT,
        env=operator.env,
        input="",
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_a_node_that_is_down_is_one_red_line_in_every_command(operator: Operator) -> None:
    down = local_url(free_port())  # nothing listens there
    for args in commands(operator.workdir):
        done = run_on(operator, down, args)
        line = one_red_line(_as_run(done, args))
        assert f"no node answers at {down}" in line, (args, line)
        assert "--network" in line


def test_another_node_than_the_programmes_is_one_red_line(operator: Operator) -> None:
    with running_anvil() as other:  # the same chain id, none of the programme's contracts
        for args in (["report"], ["members", "suspend", "base-1"], ["redemptions", "list"]):
            line = one_red_line(_as_run(run_on(operator, other, args), args))
            assert "has no code on chain 31337" in line and "--network" in line


@pytest.mark.parametrize(
    "args",
    [
        ["member", "ghost-1"],
        ["members", "suspend", "ghost-1"],
        ["erase", "ghost-1", "--yes"],
        ["export", "ghost-1"],
        ["letters", "ghost-1", "--output", "never"],
    ],
)
def test_an_unknown_member_is_one_red_line(operator: Operator, args: list[str]) -> None:
    line = one_red_line(operator.run(*args))
    assert "no member 'ghost-1' in the vault" in line and "check the member id" in line


def test_a_mistyped_option_is_one_red_line(operator: Operator) -> None:
    line = one_red_line(operator.run("report", "--bogus"))
    assert "No such option: --bogus" in line and "ape run report --help" in line


def test_roles_grant_to_a_malformed_address_is_one_red_line(operator: Operator) -> None:
    line = one_red_line(operator.run("roles", "grant", "issuer", "0x1234", "--yes"))
    assert "'0x1234' is not a wallet address" in line


def _as_run(done: subprocess.CompletedProcess[str], args: list[str]) -> Run:
    return Run(["ape", "run", *args], done.returncode, done.stdout, done.stderr, 0.0)
