"""The role's sync stage (tag ``sync``): what ConnectWise shows of Umbrella's own sync, in real runs, both profiles.

Umbrella's side of the integration runs in the emulator (its control API runs one sync of a console) with the key
the console holds, through the emulator's HTTPS surface; the role reads the evidence back with the bootstrap key
(cw_umbrella_sync_info). On the public profile the person's acts (the role's settings, the key, the console form)
go through the control API, and the evidence stands in for psa_umbrella_confirmed_public_key.
"""

import itertools

from role.harness import Tenants, changed_tasks, results, task_name
from support.emulator import cw_headers, new_session

COMPANIES = ["Contoso", "Fabrikam", "Northwind"]
SYNC_TASK = "Read the evidence of Umbrella's sync"
GUIDE_SETTINGS = [
    {"module": "Companies", "function": "Company Maintenance", "inquire": "All"},
    {"module": "Companies", "function": "Configurations", "add": "All", "edit": "All", "inquire": "All"},
    {"module": "Service Desk", "function": "Service Tickets", "add": "All", "edit": "All", "inquire": "All"},
    {"module": "System", "function": "Table Setup", "add": "All", "edit": "All", "inquire": "All"},
]
GUIDE_CUSTOMIZE = ["Company / Configuration", "Service / Priority", "Service / Service Board"]
_numbers = itertools.count(1)


def summary_text(run):
    summary = [t for p in run.data["plays"] for t in p["tasks"] if task_name(t) == "Summary of every tenant"]
    return "\n".join(next(iter(summary[0]["hosts"].values()))["msg"])


def sync_task_results(run):
    return {host: result for p in run.data["plays"] for t in p["tasks"] if task_name(t) == SYNC_TASK
            for host, result in t["hosts"].items()}


def mapped_tenant(tenants, **host_vars):
    """A tenant whose console has one customer per company of COMPANIES.

    extended: mapped by the role's mapping stage; public (no API to read or write the console's field): mapped
    by a person in the console (do_the_persons_steps), without a mapping file.
    """
    number = next(_numbers)
    org_id = 970000 + number + (0 if tenants.emulator.profile == "extended" else 500)
    host = "synced%d" % org_id
    if tenants.emulator.profile == "extended":
        host_vars["psa_company_mapping_file"] = str(tenants.dir / "mappings" / ("%s.csv" % host))
    tenants.add(host, host, org_id, **host_vars)
    control = tenants.emulator.control
    customers = control.request("POST", "umbrella/%d/customers" % org_id,
                                {"names": ["%s customer" % company for company in COMPANIES]}, expect=201).json()
    path = tenants.dir / "mappings" / ("%s.csv" % host)
    path.parent.mkdir(exist_ok=True)
    path.write_text("customer,company\n" + "".join("%s,%s\n" % (c["customerName"], company)
                                                   for c, company in zip(customers, COMPANIES)))
    tenants.hosts[host]["customers"] = customers
    return host


def map_in_console(tenants, host):
    """Without the mapping extension a person enters every customer's ConnectWise Company ID in the console."""
    tenant = tenants.hosts[host]
    for customer, company in zip(tenant["customers"], COMPANIES):
        tenants.emulator.control.request(
            "POST", "umbrella/%s/customers/%s/connectwise" % (tenant["org_id"], customer["customerId"]),
            {"connectwiseCompanyId": company}, expect=200)


def do_the_persons_steps(tenants, host):
    """Public profile: what the report asks a person to do in ConnectWise and in the Umbrella console."""
    tenant, control = tenants.hosts[host], tenants.emulator.control
    control.cw_role_settings(tenant["company_id"], "Umbrella", GUIDE_SETTINGS, GUIDE_CUSTOMIZE)
    key = control.cw_member_key(tenant["company_id"], "umbrella", "Cisco Umbrella")
    created = [k["dateEntered"] for k in tenants.cw_state(host)["api_keys"] if k["publicKey"] == key["publicKey"]][0]
    tenants.set_vars(host, psa_integration_public_key=key["publicKey"], psa_integration_private_key=key["privateKey"],
                     psa_integration_key_created_at=created)
    control.umbrella_psa_form(tenant["org_id"], {
        "psa": "connectwise", "enabled": True,
        "connectwise": {"site": tenants.extra_vars()["psa_cw_site"], "companyId": tenant["company_id"],
                        "publicKey": key["publicKey"], "privateKey": key["privateKey"]},
        "ticketing": {"serviceBoard": "Umbrella Alerts", "queryThreshold": 10}})
    map_in_console(tenants, host)
    return key


def provision(tenants, host):
    """The tenant provisioned as far as its profile allows; the integration's key, and the run's result."""
    first = tenants.run()
    assert first.returncode == 0, first.explain()
    key = None
    if tenants.emulator.profile == "public":
        key = do_the_persons_steps(tenants, host)
        second = tenants.run()
        assert second.returncode == 0, second.explain()
        return key, results(second)[host]
    return key, results(first)[host]


def test_awaiting_the_first_sync_then_verified_naming_the_customers(emulator, tmp_path):
    tenants = Tenants(emulator, tmp_path)
    host = mapped_tenant(tenants)
    key, before = provision(tenants, host)
    # No sync yet: nothing to show, and nothing wrong either.
    assert before["sync"] == "awaiting first sync", before
    assert before["sync_findings"] == [] and before["synced_companies"] == []
    if emulator.profile == "public":
        # Only the console step is left, until the evidence or the operator confirms it.
        assert before["status"] == "manual"
        assert any(step.startswith("Then set psa_umbrella_confirmed_public_key: %s" % key["publicKey"])
                   for step in before["manual_steps"])

    report = emulator.control.psa_sync(tenants.hosts[host]["org_id"])
    assert report["ok"], report
    after = tenants.run()
    assert after.returncode == 0, after.explain()
    outcome = results(after)[host]
    assert outcome["sync"] == "verified", outcome
    assert sorted(outcome["synced_companies"]) == sorted(COMPANIES)
    assert outcome["sync_findings"] == [] and outcome["manual_steps"] == []
    text = summary_text(after)
    assert "verified" in text and all(company in text for company in COMPANIES)
    if emulator.profile == "public":
        # The evidence closed the console step: without psa_umbrella_confirmed_public_key, the report is gone.
        assert "psa_umbrella_confirmed_public_key" not in tenants.hosts[host]["vars"]
        assert outcome["status"] == "unchanged"
        assert changed_tasks(after) == [("Remove the report once nothing is left to do by hand", host)]
        assert key["privateKey"] not in after.stdout + after.stderr
    else:
        assert changed_tasks(after) == []
    assert not (tenants.reports / ("%s.md" % host)).exists()

    again = tenants.run()
    assert again.returncode == 0, again.explain()
    assert changed_tasks(again) == []
    assert results(again)[host]["sync"] == "verified"


def deactivate_member(tenants, host, identifier="umbrella"):
    """A person deactivates the integration member in ConnectWise (the bootstrap key may edit members)."""
    tenant = tenants.hosts[host]
    session = new_session(tenants.emulator.ca_file)
    headers = cw_headers(tenant["company_id"], tenant["cw"]["public_key"], tenant["cw"]["private_key"],
                         tenant["vars"]["psa_cw_client_id"])
    base = tenants.emulator.cw_base
    members = session.get(base + "/system/apiMembers", params={"conditions": 'identifier="%s"' % identifier},
                          headers=headers).json()
    answer = session.patch(base + "/system/apiMembers/%d" % members[0]["id"], headers=headers,
                           json=[{"op": "replace", "path": "inactiveFlag", "value": True}])
    assert answer.status_code == 200, answer.text


def test_a_stopped_sync_is_a_finding_and_fails_the_tenant_when_required(emulator, tmp_path):
    tenants = Tenants(emulator, tmp_path)
    host = mapped_tenant(tenants)
    provision(tenants, host)
    org_id = tenants.hosts[host]["org_id"]
    assert emulator.control.psa_sync(org_id)["ok"]
    verified = tenants.run()
    assert results(verified)[host]["sync"] == "verified", verified.explain()

    # The member is deactivated: Umbrella's next sync is refused, and a day and more goes by.
    deactivate_member(tenants, host)
    assert not emulator.control.psa_sync(org_id)["ok"]
    emulator.control.advance_clock(30)
    run = tenants.run()
    assert run.returncode == 0, run.explain()
    outcome = results(run)[host]
    assert outcome["sync"] == "stale", outcome
    assert outcome["sync_findings"] and any("Contoso" in finding for finding in outcome["sync_findings"])
    report = (tenants.reports / ("%s.md" % host)).read_text()
    assert "Umbrella's sync is stale" in report and outcome["sync_findings"][0] in report
    assert "Umbrella's sync is stale" in summary_text(run)

    required = tenants.run(extra={"psa_sync_required": True})
    assert required.returncode != 0
    failed = results(required)[host]
    assert failed["status"] == "failed" and failed["failed_task"] == SYNC_TASK
    assert failed["message"].startswith("psa_sync_required: Umbrella's sync is stale; ")
    assert "Contoso" in failed["message"] and "FAILED at task '%s'" % SYNC_TASK in summary_text(required)
    assert required.stats[host]["failures"] == 1


def test_a_customer_mapped_to_an_unknown_company_is_missing(emulator, tmp_path):
    tenants = Tenants(emulator, tmp_path)
    host = mapped_tenant(tenants)
    provision(tenants, host)
    tenant = tenants.hosts[host]
    # A person maps one more customer, in the console, to an identifier no ConnectWise company has.
    extra = emulator.control.request("POST", "umbrella/%d/customers" % tenant["org_id"], {"names": ["Lost customer"]},
                                     expect=201).json()[0]
    emulator.control.request("POST", "umbrella/%s/customers/%s/connectwise" % (tenant["org_id"], extra["customerId"]),
                             {"connectwiseCompanyId": "Nowhere"}, expect=200)
    assert emulator.control.psa_sync(tenant["org_id"])
    tenants.set_vars(host, psa_sync_expected_companies=COMPANIES + ["Nowhere"])
    run = tenants.run()
    assert run.returncode == 0, run.explain()
    outcome = results(run)[host]
    assert outcome["sync"] == "partial", outcome
    assert sync_task_results(run)[host]["missing"] == ["Nowhere"]
    assert any(finding.startswith("Nowhere: no ConnectWise company has this identifier")
               for finding in outcome["sync_findings"]), outcome["sync_findings"]
    assert sorted(outcome["synced_companies"]) == sorted(COMPANIES)
