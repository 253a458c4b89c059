"""The role's optional company mapping stage (tag ``mapping``) in real provision_tenants runs, both profiles.

extended: the tenant's mapping file is applied through the mapping extension and a rerun changes nothing;
a mapping error fails that tenant, naming the file's line, before anything is written. public: the steps
reach the tenant's report, the CSV of steps beside it and the play's summary.
"""

import csv
import io
import itertools
import json

import pytest

from role.harness import Tenants, changed_tasks, results, task_name
from support.module_play import skip_unless_profile

CUSTOMERS = 30
COMPANIES = ["Contoso", "Fabrikam", "Northwind", "AdventureWorks"]
# The layout docs/company-mapping.md recommends: mappings/<tenant>.csv next to the inventory directory.
MAPPING_FILE = "{{ inventory_dir }}/../mappings/{{ inventory_hostname }}.csv"
MAPPING_TASK = "Map the Umbrella customers to ConnectWise companies"
_numbers = itertools.count(1)


@pytest.fixture
def tenants(emulator, tmp_path):
    return Tenants(emulator, tmp_path)


def mapped_tenant(tenants):
    """A tenant whose console has CUSTOMERS customers, with a mapping file listing every one of them."""
    number = next(_numbers)
    org_id = 940000 + number + (0 if tenants.emulator.profile == "extended" else 500)
    host = "mapped%d" % org_id
    tenants.add(host, host, org_id, psa_company_mapping_file=MAPPING_FILE)
    customers = tenants.emulator.control.request("POST", "umbrella/%d/customers" % org_id, {"count": CUSTOMERS},
                                                 expect=201).json()
    tenants.hosts[host]["customers"] = customers
    write_mapping(tenants, host, ["%s,%s" % (c["customerName"], company_of(n).lower())
                                  for n, c in enumerate(customers)])
    return host


def company_of(number):
    return COMPANIES[number % len(COMPANIES)]


def write_mapping(tenants, host, lines):
    path = tenants.dir / "mappings" / ("%s.csv" % host)
    path.parent.mkdir(exist_ok=True)
    path.write_text("customer,company\n" + "\n".join(lines) + "\n")
    return path


def console_mappings(tenants, host):
    customers = tenants.state()["umbrella"]["orgs"][str(tenants.hosts[host]["org_id"])]["customers"]
    return {c["customerId"]: c["connectwiseCompanyId"] for c in customers if c["connectwiseCompanyId"]}


def wanted(tenants, host):
    return {c["customerId"]: company_of(n) for n, c in enumerate(tenants.hosts[host]["customers"])}


def summary_text(run):
    summary = [t for p in run.data["plays"] for t in p["tasks"] if task_name(t) == "Summary of every tenant"]
    return "\n".join(next(iter(summary[0]["hosts"].values()))["msg"])


def only(tenants, profile):
    skip_unless_profile(tenants.emulator, profile, "%s profile only" % profile)


def test_mapping_applied_then_rerun_changes_nothing(tenants):
    only(tenants, "extended")
    host = mapped_tenant(tenants)

    tenants.emulator.control.reset_stats()
    plan = tenants.run("--check", "--diff")
    assert plan.returncode == 0, plan.explain()
    assert tenants.writes(tenants.emulator.control.stats()) == {}
    assert "company mapping would be applied: %d customers set, 0 cleared" % CUSTOMERS in results(plan)[host]["changes"]

    first = tenants.run()
    assert first.returncode == 0, first.explain()
    outcome = results(first)[host]
    assert outcome["status"] == "created" and outcome["manual_steps"] == []
    assert "company mapping applied: %d customers set, 0 cleared" % CUSTOMERS in outcome["changes"]
    # As ConnectWise spells the identifiers, though the file has them in lower case.
    assert console_mappings(tenants, host) == wanted(tenants, host)
    mapping_task = next(t for p in first.data["plays"] for t in p["tasks"] if task_name(t) == MAPPING_TASK)
    assert mapping_task["hosts"][host]["summary"]["set"] == CUSTOMERS
    # The bootstrap key goes to the module in a nested option: still never in the output.
    assert tenants.hosts[host]["cw"]["private_key"] not in first.stdout + first.stderr

    tenants.emulator.control.reset_stats()
    again = tenants.run()
    assert again.returncode == 0, again.explain()
    assert changed_tasks(again) == []
    assert results(again)[host]["status"] == "unchanged"
    assert tenants.writes(tenants.emulator.control.stats()) == {}


def test_only_the_mapping_stage_with_its_tag(tenants):
    only(tenants, "extended")
    host = mapped_tenant(tenants)
    setup = tenants.run()
    assert setup.returncode == 0, setup.explain()
    moved = tenants.hosts[host]["customers"][0]
    lines = ["%s,%s" % (c["customerName"], company_of(n)) for n, c in enumerate(tenants.hosts[host]["customers"])]
    lines[0] = "%s,Northwind" % moved["customerName"]
    write_mapping(tenants, host, lines)

    tenants.emulator.control.reset_stats()
    run = tenants.run("--tags", "mapping")
    assert run.returncode == 0, run.explain()
    assert tenants.writes(tenants.emulator.control.stats()) == {"PUT /admin/v2/psa/customers/{id}": 1}
    assert [name for name, _host in changed_tasks(run)] == [MAPPING_TASK]
    assert console_mappings(tenants, host)[moved["customerId"]] == "Northwind"


def test_a_mapping_error_fails_the_tenant_before_any_write(tenants):
    only(tenants, "extended")
    host = mapped_tenant(tenants)
    other = mapped_tenant(tenants)
    setup = tenants.run()
    assert setup.returncode == 0, setup.explain()
    before = console_mappings(tenants, host)
    customers = tenants.hosts[host]["customers"]
    lines = ["%s,%s" % (c["customerName"], "Fabrikam") for c in customers]  # would change every customer
    lines[2] = "%sx,Contoso" % customers[2]["customerName"]                 # a typo, on line 4 of the file
    lines[5] = "%s,Contosso" % customers[5]["customerName"]                 # and an unknown company, line 7
    write_mapping(tenants, host, lines)

    tenants.emulator.control.reset_stats()
    run = tenants.run()
    assert run.returncode != 0
    assert tenants.writes(tenants.emulator.control.stats()) == {}
    assert console_mappings(tenants, host) == before
    outcome = results(run)
    assert outcome[other]["status"] == "unchanged"
    failed = outcome[host]
    assert failed["status"] == "failed" and failed["failed_task"].endswith(MAPPING_TASK)
    assert "nothing was changed: 2 problems" in failed["message"]
    assert "mappings_file line 4.customer: no Umbrella customer named %r" % (customers[2]["customerName"] + "x") \
        in failed["message"]
    assert "close matches: %r" % customers[2]["customerName"] in failed["message"]
    assert "mappings_file line 7.company: no ConnectWise company with identifier 'Contosso'" in failed["message"]
    assert "FAILED" in summary_text(run) and "mappings_file line 4.customer" in summary_text(run)


def test_public_console_gets_the_steps_in_the_report_and_the_summary(tenants):
    only(tenants, "public")
    host = mapped_tenant(tenants)

    first = tenants.run()
    assert first.returncode == 0, first.explain()
    assert tenants.writes(tenants.emulator.control.stats()).get("PUT /admin/v2/psa/customers/{id}") is None
    outcome = results(first)[host]
    assert outcome["status"] == "manual"
    steps_csv = tenants.reports / ("%s-company-mapping.csv" % host)
    rows = list(csv.DictReader(io.StringIO(steps_csv.read_text())))
    assert {int(r["customer id"]): r["value"] for r in rows} == wanted(tenants, host)
    mapping_steps = [s for s in outcome["manual_steps"] if "ConnectWise Company ID" in s or str(steps_csv) in s]
    assert len(mapping_steps) == 21  # 20 customers one by one, then the CSV for the other 10
    assert "And 10 more customers: work through %s" % steps_csv in mapping_steps[-1]
    customer = tenants.hosts[host]["customers"][0]
    step = "%s (customer id %d): set ConnectWise Company ID to Contoso" % (
        customer["customerName"], customer["customerId"])
    report = (tenants.reports / ("%s.md" % host)).read_text()
    assert step in report and str(steps_csv) in report
    assert step in summary_text(first)
    assert "company mapping steps written to %s" % steps_csv in outcome["changes"]

    # Nothing new to write: the CSV stays as it is, the steps stay in the report (there is no public read).
    again = tenants.run()
    assert again.returncode == 0, again.explain()
    assert (MAPPING_TASK, host) not in changed_tasks(again)
    assert [s for s in results(again)[host]["manual_steps"] if s in mapping_steps] == mapping_steps


def test_a_new_tenant_that_fails_at_its_mapping_lists_the_writes_made_before(tenants):
    only(tenants, "extended")
    host = mapped_tenant(tenants)
    customers = tenants.hosts[host]["customers"]
    write_mapping(tenants, host, ["%s,Contosso" % customers[0]["customerName"]])  # an unknown company

    run = tenants.run()
    assert run.returncode != 0
    failed = results(run)[host]
    assert failed["status"] == "failed" and failed["failed_task"].endswith(MAPPING_TASK)
    # The role, member and key were written (and Umbrella set) before the mapping was refused: the
    # result, the summary and the fleet report say so, rather than "0 changes".
    assert "security role 'Umbrella' created" in failed["changes"], failed
    assert any(change.startswith("Umbrella PSA integration set to public key") for change in failed["changes"])
    fleet = json.loads((tenants.reports / "fleet.json").read_text())["tenants"][host]
    assert fleet["status"] == "failed" and fleet["changes"] == failed["changes"]
    assert "security role 'Umbrella' created" in summary_text(run)

    # The mapping mended, the next run finishes the job and creates nothing twice.
    write_mapping(tenants, host, ["%s,Contoso" % customers[0]["customerName"]])
    again = tenants.run()
    assert again.returncode == 0, again.explain()
    assert results(again)[host]["changes"] == ["company mapping applied: 1 customers set, 0 cleared"]
