"""The machine-readable plan (PSA_PLAN_JSON) and the fleet report of a real run, against the emulator.

A --check run's plan JSON and the fleet.json of the real run that follows name the same tenants, with
the same statuses; a failed tenant is a JUnit failure; no secret, even one holding template
characters, quotes and newlines, reaches any of the files.
"""

import json
import xml.etree.ElementTree as ET

import pytest
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

from role.harness import VAULT_PASSWORD, Tenants, changed_tasks, results
from support.ansible_runner import run_playbook
from support.emulator import EmulatorProcess

CALLBACK = "msp.umbrella_psa.plan"
# A secret an inventory may well hold: template characters, both quotes and a newline.
AWKWARD_SECRET = '{{ lookup("env", \'HOME\') }}\nsecond "line" of the secret {% raw %}'


@pytest.fixture(scope="module")
def emulator():
    with EmulatorProcess(profile="extended") as emu:
        yield emu


def vault_secrets(tenants, host, **secrets):
    """Give a tenant secrets as an inventory keeps them, vault-encrypted (written after every other variable)."""
    tenants.set_vars(host, **secrets)
    vault = VaultLib([("default", VaultSecret(VAULT_PASSWORD.encode()))])
    plain = dict((name, value) for name, value in tenants.hosts[host]["vars"].items() if name not in secrets)
    text = yaml.safe_dump(plain)
    for name, value in secrets.items():
        encrypted = vault.encrypt(value.encode()).decode()
        text += "%s: !vault |\n%s\n" % (name, "\n".join("  " + line for line in encrypted.splitlines()))
    (tenants.inventory / "host_vars" / ("%s.yml" % host)).write_text(text)


def run(tenants, *args):
    """ansible-playbook with the plan callback writing both the markdown and the JSON."""
    out = tenants.dir / "out"
    env = tenants.env()
    env.update({"ANSIBLE_CALLBACKS_ENABLED": CALLBACK, "PSA_PLAN_FILE": str(out / "plan.md"),
                "PSA_PLAN_JSON": str(out / "plan.json")})
    proc = run_playbook("msp.umbrella_psa.provision_tenants", "-i", str(tenants.inventory),
                        "-e", "@%s" % tenants._vars_file(None), *args, env=env)
    return proc, json.loads((out / "plan.json").read_text())


def fleet_files(tenants):
    return [tenants.reports / name for name in ("fleet.md", "fleet.json", "fleet-junit.xml")]


def assert_no_secret(tenants, paths):
    secrets = {tenant["vars"]["psa_cw_private_key"] for tenant in tenants.hosts.values()}
    secrets |= {tenant["vars"]["psa_umbrella_api_secret"] for tenant in tenants.hosts.values()}
    pieces = {piece.strip() for secret in secrets for piece in secret.splitlines() if len(piece.strip()) > 6}
    for path in paths:
        text = path.read_text()
        assert "{{" not in text and "{%" not in text, path
        for piece in pieces:
            assert piece not in text, (path, piece)
            # json.dumps escapes quotes: look for the escaped form too.
            assert json.dumps(piece)[1:-1] not in text, (path, piece)


def test_plan_json_and_the_fleet_report_of_the_run_after_it_name_the_same_tenants(emulator, tmp_path):
    tenants = Tenants(emulator, tmp_path)
    tenants.add("alpha", "fleet-alpha", 975001)
    tenants.add("beta", "fleet-beta", 975002)
    tenants.add("awkward", "fleet-awkward", 975003)
    vault_secrets(tenants, "awkward", psa_cw_private_key=AWKWARD_SECRET, psa_umbrella_api_secret=AWKWARD_SECRET + "u")

    plan_run, plan = run(tenants, "--check", "--diff")
    assert plan_run.returncode != 0  # the awkward tenant's key is refused
    assert (plan["kind"], plan["check_mode"], plan["outcome"]) == ("plan", True, "failed"), plan_run.explain()
    assert set(plan["tenants"]) == {"alpha", "beta", "awkward"}
    assert plan["summary"] == {"created": 2, "changed": 0, "unchanged": 0, "manual": 0, "failed": 1, "total": 3,
                               "rotation_due": 0}
    assert plan["tenants"]["alpha"]["status"] == "created" and plan["tenants"]["alpha"]["changes"]
    assert plan["tenants"]["awkward"]["status"] == "failed" and plan["tenants"]["awkward"]["message"]
    # A check run writes no fleet report: its plan is the callback's.
    assert not any(path.exists() for path in fleet_files(tenants))
    assert_no_secret(tenants, [tenants.dir / "out" / "plan.json", tenants.dir / "out" / "plan.md"])

    real, after = run(tenants)
    assert real.returncode != 0
    fleet = json.loads((tenants.reports / "fleet.json").read_text())
    assert (fleet["kind"], fleet["check_mode"], fleet["outcome"]) == ("run", False, "failed")
    # Compared tenant by tenant: the plan's tenants and statuses are the run's.
    assert set(fleet["tenants"]) == set(plan["tenants"]) == set(after["tenants"])
    for host, planned in plan["tenants"].items():
        done = fleet["tenants"][host]
        assert (done["status"], len(done["changes"]), done["manual_steps"]) == \
            (planned["status"], len(planned["changes"]), planned["manual_steps"]), host
    recorded = results(real)
    for host in ("alpha", "beta"):
        entry = fleet["tenants"][host]
        assert entry["key_age_days"] == 0 and entry["rotation_due"] is False
        assert entry["key_created_at"] == recorded[host]["key_created_at"] != ""
        assert entry["public_key_suffix"] == recorded[host]["public_key"][-4:]
        assert recorded[host]["public_key"] not in (tenants.reports / "fleet.json").read_text()
    assert fleet["tenants"]["awkward"]["failed_task"] == recorded["awkward"]["failed_task"] != ""
    # Refused by ConnectWise, not by the inventory check: the vaulted secret reached the request as written.
    assert "Vault" not in fleet["tenants"]["awkward"]["message"], fleet["tenants"]["awkward"]

    suite = ET.parse(str(tenants.reports / "fleet-junit.xml")).getroot()
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert sorted(cases) == ["alpha", "awkward", "beta"]
    assert [name for name, case in cases.items() if case.find("failure") is not None] == ["awkward"]
    assert suite.get("tests") == "3" and suite.get("failures") == "1"

    markdown = (tenants.reports / "fleet.md").read_text()
    assert "3 tenant(s): 2 created, 0 changed, 0 unchanged, 0 manual steps, 1 FAILED" in markdown
    assert "| awkward | FAILED |" in markdown and "| alpha | created | 0 d | no |" in markdown
    assert_no_secret(tenants, fleet_files(tenants) + [tenants.dir / "out" / "plan.json"])

    # The converged tenants alone: nothing to plan, and CI reads it from the outcome.
    again, replan = run(tenants, "--check", "--limit", "alpha:beta")
    assert again.returncode == 0, again.explain()
    assert replan["outcome"] == "no changes" and set(replan["tenants"]) == {"alpha", "beta"}
    assert json.loads((tenants.reports / "fleet.json").read_text()) == fleet  # untouched by a check run

    # A real rerun rewrites the report, reporting no change of its own.
    rerun, _plan = run(tenants, "--limit", "alpha:beta")
    assert rerun.returncode == 0 and changed_tasks(rerun) == []
    fleet = json.loads((tenants.reports / "fleet.json").read_text())
    assert fleet["outcome"] == "no changes" and set(fleet["tenants"]) == {"alpha", "beta"}
    assert {entry["status"] for entry in fleet["tenants"].values()} == {"unchanged"}


def test_a_relative_fleet_report_dir_is_named_before_any_request_and_the_summary_checks_its_arguments(
        emulator, tmp_path):
    tenants = Tenants(emulator, tmp_path)
    tenants.add("delta", "fleet-delta", 975011)
    emulator.control.reset_stats()
    proc = tenants.run(extra={"psa_fleet_report_dir": "reports/fleet"})
    assert proc.returncode != 0
    assert emulator.control.stats()["by_route"] == {}, emulator.control.stats()["by_route"]
    assert "psa_fleet_report_dir 'reports/fleet' is a relative path" in results(proc)["delta"]["message"]
    # The entry point `summary` has its own argument spec, checked where the summary runs.
    tasks = [task["task"]["name"] for play in proc.data["plays"] for task in play["tasks"]]
    assert any("arg spec 'summary'" in name for name in tasks), tasks
    assert not (tenants.reports / "fleet.json").exists()
