"""The public profile (what real ConnectWise and Umbrella offer): manual steps, then convergence."""

import pytest

from role.harness import Tenants, changed_tasks, results
from support.emulator import EmulatorProcess

GUIDE_SETTINGS = [
    {"module": "Companies", "function": "Company Maintenance", "inquire": "All"},
    {"module": "Companies", "function": "Configurations", "add": "All", "edit": "All", "inquire": "All"},
    {"module": "Service Desk", "function": "Service Tickets", "add": "All", "edit": "All", "inquire": "All"},
    {"module": "System", "function": "Table Setup", "add": "All", "edit": "All", "inquire": "All"},
]
GUIDE_CUSTOMIZE = ["Company / Configuration", "Service / Priority", "Service / Service Board"]


@pytest.fixture(scope="module")
def emulator():
    with EmulatorProcess(profile="public") as emu:
        yield emu


def test_manual_steps_reported_then_done_then_converged(emulator, tmp_path):
    tenants = Tenants(emulator, tmp_path)
    tenant = tenants.add("publicco", "publicco", 960001)
    control, company = emulator.control, tenant["company_id"]

    # 1. What the API can do is done; the rest is in the tenant's report.
    first = tenants.run()
    assert first.returncode == 0, first.explain()
    outcome = results(first)["publicco"]
    assert outcome["status"] == "manual"
    state = tenants.cw_state("publicco")
    assert "Umbrella" in [r["name"] for r in state["roles"]]
    assert any(m["identifier"] == "umbrella" and m["securityRoleName"] == "Umbrella" for m in state["members"])
    report = tenants.reports / "publicco.md"
    assert outcome["report"] == str(report)
    text = report.read_text()
    assert "System › Security Roles › Umbrella" in text and "Service / Service Board" in text
    assert "System › Members › API Members › umbrella › API Keys" in text
    assert text.count("\n1. ") == 1 and len(outcome["manual_steps"]) >= 6

    # 2. A person sets the role and creates the key; the operator puts the key in the tenant's vars.
    control.cw_role_settings(company, "Umbrella", GUIDE_SETTINGS, GUIDE_CUSTOMIZE)
    key = control.cw_member_key(company, "umbrella", "Cisco Umbrella")
    tenants.set_vars("publicco", psa_integration_public_key=key["publicKey"],
                     psa_integration_private_key=key["privateKey"])
    second = tenants.run()
    assert second.returncode == 0, second.explain()
    steps = results(second)["publicco"]["manual_steps"]
    # Only the Umbrella console is left, with the exact values (never the private key).
    assert all(step.startswith(("Umbrella console", "Then set psa_umbrella_confirmed_public_key")) for step in steps)
    umbrella_step = "\n".join(steps)
    assert key["publicKey"] in umbrella_step and key["privateKey"] not in umbrella_step
    assert key["privateKey"] not in report.read_text()
    assert key["privateKey"] not in second.stdout + second.stderr

    # 3. A person saves the console form; the operator confirms the key in the tenant's vars.
    control.umbrella_psa_form(tenant["org_id"], {
        "psa": "connectwise", "enabled": True,
        "connectwise": {"site": tenants.extra_vars()["psa_cw_site"], "companyId": company,
                        "publicKey": key["publicKey"], "privateKey": key["privateKey"]},
        "ticketing": {"serviceBoard": "Umbrella Alerts", "queryThreshold": 10}})
    tenants.set_vars("publicco", psa_umbrella_confirmed_public_key=key["publicKey"])
    third = tenants.run()
    assert third.returncode == 0, third.explain()
    final = results(third)["publicco"]
    assert final["status"] == "unchanged" and final["manual_steps"] == []
    assert not report.exists()
    assert changed_tasks(third) == [("Remove the report once nothing is left to do by hand", "publicco")]
    assert changed_tasks(tenants.run()) == []


def test_a_wrong_manual_key_fails_the_tenant(emulator, tmp_path):
    tenants = Tenants(emulator, tmp_path)
    tenant = tenants.add("wrongkey", "wrongkey", 960002)
    setup = tenants.run()
    assert setup.returncode == 0, setup.explain()
    # A key of another member (the bootstrap admin) is not the integration member's.
    tenants.set_vars("wrongkey", psa_integration_public_key=tenant["cw"]["public_key"],
                     psa_integration_private_key=tenant["cw"]["private_key"])
    run = tenants.run()
    assert run.returncode != 0
    outcome = results(run)["wrongkey"]
    assert outcome["status"] == "failed" and outcome["failed_task"] == "Check the integration key's member and permissions"
    assert "member 'admin'" in outcome["message"] and "bootstrap key (psa_cw_public_key)" in outcome["message"]


def _plan_then_run(tenants, host):
    """The plan (--check --diff) and the real run that follows: (planned result, real result)."""
    plan = tenants.run("--check", "--diff")
    assert plan.returncode == 0, plan.explain()
    real = tenants.run()
    assert real.returncode == 0, real.explain()
    return results(plan)[host], results(real)[host]


def _same(planned, done):
    """A plan equals its run: the status, each change (its tense aside) and each manual step."""
    assert planned["check_mode"] is True and done["check_mode"] is False
    assert planned["status"] == done["status"]
    assert [c.replace("would be ", "") for c in planned["changes"]] == [c.replace("would be ", "") for c in done["changes"]]
    assert planned["manual_steps"] == done["manual_steps"]


def test_the_plan_equals_the_run_at_each_stage_of_a_new_tenant(emulator, tmp_path):
    tenants = Tenants(emulator, tmp_path)
    tenant = tenants.add("planpub", "planpub", 960101)
    control, company = emulator.control, tenant["company_id"]

    # A new tenant: the role and member are written, the permissions and the key are left to a person.
    planned, done = _plan_then_run(tenants, "planpub")
    _same(planned, done)
    assert done["status"] == "manual" and not any("API key" in change for change in planned["changes"])

    # The person's key in the tenant's vars: only the Umbrella console is left.
    control.cw_role_settings(company, "Umbrella", GUIDE_SETTINGS, GUIDE_CUSTOMIZE)
    key = control.cw_member_key(company, "umbrella", "Cisco Umbrella")
    tenants.set_vars("planpub", psa_integration_public_key=key["publicKey"],
                     psa_integration_private_key=key["privateKey"])
    _same(*_plan_then_run(tenants, "planpub"))

    # The console saved and confirmed: nothing is left, in the plan as in the run.
    control.umbrella_psa_form(tenant["org_id"], {
        "psa": "connectwise", "enabled": True,
        "connectwise": {"site": tenants.extra_vars()["psa_cw_site"], "companyId": company,
                        "publicKey": key["publicKey"], "privateKey": key["privateKey"]},
        "ticketing": {"serviceBoard": "Umbrella Alerts", "queryThreshold": 10}})
    tenants.set_vars("planpub", psa_umbrella_confirmed_public_key=key["publicKey"])
    planned, done = _plan_then_run(tenants, "planpub")
    _same(planned, done)
    assert done["manual_steps"] == []
