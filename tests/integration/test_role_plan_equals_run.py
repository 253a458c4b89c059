"""Check mode predicts the run, on both profiles: for each scenario the plan's per-tenant status, changes
and manual steps equal those of the real run that follows it."""

import itertools
import re

from role.harness import Tenants, changed_tasks, results

_numbers = itertools.count(1)


def _sentence(change):
    """A change as the run says it: the plan's tense and the key values it cannot know aside."""
    change = change.replace("would be ", "").replace("<created in check mode>", "<key>")
    return re.sub(r"public key [^\s)]+", "public key <key>", change)


def plan_then_run(tenants, extra=None):
    """Plan (--check --diff), then run: {host: (planned, done)}; the plan itself writes nothing."""
    tenants.emulator.control.reset_stats()
    plan = tenants.run("--check", "--diff", extra=extra)
    assert plan.returncode == 0, plan.explain()
    assert tenants.writes(tenants.emulator.control.stats()) == {}
    real = tenants.run(extra=extra)
    assert real.returncode == 0, real.explain()
    planned, done = results(plan), results(real)
    assert set(planned) == set(done)
    for host in done:
        assert planned[host]["check_mode"] is True and done[host]["check_mode"] is False
        assert (planned[host]["status"], [_sentence(c) for c in planned[host]["changes"]],
                planned[host]["manual_steps"]) == (done[host]["status"], [_sentence(c) for c in done[host]["changes"]],
                                                   done[host]["manual_steps"]), host
    return {host: (planned[host], done[host]) for host in done}


def new_tenant(tenants, **host_vars):
    number = next(_numbers)
    org = 970000 + number + (0 if tenants.emulator.profile == "extended" else 500)
    host = "plan%d" % org
    tenants.add(host, host, org, **host_vars)
    return host


def test_a_new_tenant_then_a_converged_one(emulator, tmp_path):
    tenants = Tenants(emulator, tmp_path)
    host = new_tenant(tenants)

    planned, done = plan_then_run(tenants)[host]
    if emulator.profile == "extended":
        assert done["status"] == "created" and done["manual_steps"] == []
        assert any(change.startswith("API key created") for change in done["changes"])
    else:
        # The role and member are written; the permissions and the key are left to a person.
        assert done["status"] == "manual" and done["manual_steps"] != []
        assert not any("API key" in change for change in planned["changes"])

    # The next run: nothing to do on the extended server, the same steps on the public one.
    planned, done = plan_then_run(tenants)[host]
    assert done["changes"] == []
    assert done["status"] == ("unchanged" if emulator.profile == "extended" else "manual")


def test_a_rotation_and_a_drifted_console(emulator, tmp_path):
    tenants = Tenants(emulator, tmp_path)
    host = new_tenant(tenants)
    assert tenants.run().returncode == 0
    if emulator.profile != "extended":
        return  # the key lifecycle without the key API is the manual path, covered above
    old = tenants.umbrella_psa(host)["connectwise"]["publicKey"]

    # A rotation: a new key, stored, set in the console, the old one revoked.
    planned, done = plan_then_run(tenants, extra={"psa_rotate_key": True})[host]
    assert tenants.umbrella_psa(host)["connectwise"]["publicKey"] != old
    assert any("revoked" in change for change in done["changes"]), done["changes"]

    # Someone changed the console's ticketing: the plan names the repair, the run makes it.
    console = tenants.umbrella_psa(host)["connectwise"]
    tenants.emulator.control.umbrella_psa_form(tenants.hosts[host]["org_id"], {
        "psa": "connectwise", "enabled": True,
        "connectwise": {key: console[key] for key in ("site", "companyId", "publicKey", "privateKey")},
        "ticketing": {"serviceBoard": "Umbrella Alerts", "queryThreshold": 99}})
    planned, done = plan_then_run(tenants)[host]
    assert done["status"] == "changed" and done["changes"] != []
    # Field by field, as Terraform shows it, in the plan as in the run.
    assert any(change.endswith(u": ~ ticketing.queryThreshold: 99 \u2192 10") for change in planned["changes"]), planned
    assert changed_tasks(tenants.run()) == []


def test_a_company_mapping(emulator, tmp_path):
    tenants = Tenants(emulator, tmp_path)
    host = new_tenant(tenants, psa_company_mapping_file="{{ inventory_dir }}/../mappings/{{ inventory_hostname }}.csv")
    org_id = tenants.hosts[host]["org_id"]
    customers = emulator.control.request("POST", "umbrella/%d/customers" % org_id, {"count": 6}, expect=201).json()
    mapping = tenants.dir / "mappings" / ("%s.csv" % host)
    mapping.parent.mkdir(exist_ok=True)
    mapping.write_text("customer,company\n" + "".join(
        "%s,%s\n" % (customer["customerName"], ("Contoso", "Fabrikam")[n % 2]) for n, customer in enumerate(customers)))

    # The tenant with its mapping: applied on the extended console, handed over on the public one.
    planned, done = plan_then_run(tenants)[host]
    assert any("company mapping" in change for change in done["changes"]), done["changes"]

    # One customer moved to another company in the file: the plan names the change the run makes.
    mapping.write_text(mapping.read_text().replace(",Fabrikam\n", ",Contoso\n", 1))
    planned, done = plan_then_run(tenants)[host]
    if emulator.profile == "extended":
        assert "company mapping applied: 1 customers set, 0 cleared" in done["changes"]
