"""The msp.umbrella_psa.plan callback: the markdown plan of a --check --diff run, for a pull request comment."""

import re

import pytest

from role.harness import Tenants, results
from support.emulator import EmulatorProcess

CALLBACK = "msp.umbrella_psa.plan"


def unescape(markdown):
    """The text a reader sees: markdown backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


def secrets_of(state):
    """Every private key and API secret the emulator holds."""
    found = set()

    def walk(value, key=""):
        if isinstance(value, dict):
            for name, item in value.items():
                walk(item, name)
        elif isinstance(value, list):
            for item in value:
                walk(item, key)
        elif isinstance(value, str) and value and re.search(r"private|secret|token|password", key, re.I):
            found.add(value)

    walk(state)
    return found


def plan_run(tenants, *args):
    plan = tenants.dir / "out" / "plan.md"
    env = tenants.env()
    env.update({"ANSIBLE_CALLBACKS_ENABLED": CALLBACK, "PSA_PLAN_FILE": str(plan)})
    from support.ansible_runner import run_playbook
    run = run_playbook("msp.umbrella_psa.provision_tenants", "-i", str(tenants.inventory),
                       "-e", "@%s" % tenants._vars_file(None), *args, env=env)
    return run, plan


@pytest.fixture(scope="module")
def emulator():
    with EmulatorProcess(profile="extended") as emu:
        yield emu


def test_check_diff_plan_lists_every_tenant_with_its_changes_and_no_secret(emulator, tmp_path):
    tenants = Tenants(emulator, tmp_path)
    tenants.add("alpha", "plancb-alpha", 970001)
    tenants.add("pipe|tenant_*x*", "plancb-pipe", 970002)
    broken = tenants.add("broken", "plancb-broken", 970003)
    tenants.set_vars("broken", psa_cw_private_key="not-" + broken["cw"]["private_key"])
    emulator.control.reset_stats()

    run, plan = plan_run(tenants, "--check", "--diff")
    assert run.returncode != 0  # the broken tenant fails; the others are planned
    assert tenants.writes(emulator.control.stats()) == {}
    assert plan.is_file(), run.explain()
    markdown = plan.read_text()
    text = unescape(markdown)

    assert markdown.startswith("## PSA integration plan\n")
    assert "nothing was written" in text
    assert "3 tenant(s): 2 would create, 0 would change, 0 unchanged, 0 manual steps, 1 FAILED." in text
    # One table row per tenant; markdown table syntax in a tenant name is escaped.
    assert "| alpha | would create |" in markdown
    assert "| pipe\\|tenant\\_\\*x\\* | would create |" in markdown
    assert re.search(r"^\| broken \| FAILED \| 0 \| 0 \|$", markdown, re.M)

    outcome = results(run)
    for host in ("alpha", "pipe|tenant_*x*"):
        planned = outcome[host]["changes"]
        assert planned and outcome[host]["check_mode"] is True
        assert "### %s" % host in text
        for change in planned:
            assert "- %s" % " ".join(change.split()) in text
    assert "**Failed** at task" in text

    # No key material: neither what the emulator holds nor the tenants' own credentials.
    for secret in secrets_of(tenants.state()) | {t["vars"]["psa_cw_private_key"] for t in tenants.hosts.values()}:
        assert secret not in markdown and secret not in text


def test_real_run_report_shortens_public_keys_and_rerun_plans_nothing(emulator, tmp_path):
    tenants = Tenants(emulator, tmp_path)
    tenants.add("gamma", "plancb-gamma", 970011)
    first, plan = plan_run(tenants)
    assert first.returncode == 0, first.explain()
    text = unescape(plan.read_text())
    assert text.startswith("## PSA integration run\n")
    assert "1 tenant(s): 1 created," in text and "nothing was written" not in text
    public_key = results(first)["gamma"]["public_key"]
    assert public_key and public_key not in text and "…" + public_key[-4:] in text
    for secret in secrets_of(tenants.state()):
        assert secret not in text

    second, plan = plan_run(tenants, "--check")
    assert second.returncode == 0
    text = unescape(plan.read_text())
    assert "| gamma | unchanged | 0 | 0 |" in text and "### gamma" not in text
