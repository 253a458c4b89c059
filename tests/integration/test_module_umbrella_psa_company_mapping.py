"""umbrella_psa_company_mapping in real ansible-playbook runs against the emulator, in both profiles.

extended: hundreds of customers are checked against both vendors and mapped through UX2; a rerun writes
nothing. public: nothing can be written or read back, so the module writes the manual steps as a CSV.
"""

import csv
import io
import itertools

import pytest

from support.ansible_runner import REPO_ROOT
from support.module_play import play_module, skip_unless_profile

PLAYBOOK = REPO_ROOT / "tests" / "integration" / "playbooks" / "company_mapping" / "main.yml"
CUSTOMERS = 320
# The companies every emulated ConnectWise company starts with (besides itself).
COMPANIES = ["Contoso", "Fabrikam", "Northwind", "AdventureWorks"]
CW_PRIVATE_KEY = "cwPrivKey-company-mapping-0001"
_numbers = itertools.count(1)


@pytest.fixture
def tenant(emulator, tmp_path):
    number = next(_numbers)
    org_id = 7100000 + number + (0 if emulator.profile == "extended" else 500)
    company_id = "map%d" % org_id
    created = emulator.control.create_tenant(
        name="mapping%d" % org_id,
        connectwise={"company_id": company_id, "public_key": "PubMap%d" % org_id, "private_key": CW_PRIVATE_KEY},
        umbrella={"org_id": org_id, "api_key": "key-%d" % org_id})
    customers = emulator.control.request("POST", "umbrella/%d/customers" % org_id, {"count": CUSTOMERS},
                                         expect=201).json()
    connection = {"umbrella_url": emulator.url, "umbrella_api_key": created["umbrella"]["apiKey"],
                  "umbrella_api_secret": created["umbrella"]["apiSecret"], "umbrella_org_id": str(org_id),
                  "cw_site": emulator.url, "cw_company_id": company_id, "cw_public_key": "PubMap%d" % org_id,
                  "cw_private_key": CW_PRIVATE_KEY, "cw_client_id": "00000000-0000-4000-8000-000000000001",
                  "ca_file": emulator.ca_file}
    return {"emulator": emulator, "connection": connection, "org_id": org_id, "tmp": tmp_path,
            "customers": customers}


def play(tenant, *args, **options):
    return play_module(PLAYBOOK, tenant["emulator"], tenant["tmp"], tenant["connection"], *args,
                       secrets=[CW_PRIVATE_KEY], verbose=False, **options)


def write_mapping_csv(tenant, customers):
    """The GitOps file: every customer by name, spread over the seeded companies (ids for a few)."""
    path = tenant["tmp"] / "mapping.csv"
    lines = ["customer,company"]
    for n, customer in enumerate(customers):
        reference = str(customer["customerId"]) if n % 10 == 0 else '"%s"' % customer["customerName"]
        lines.append("%s,%s" % (reference, COMPANIES[n % len(COMPANIES)].lower()))
    path.write_text("\n".join(lines) + "\n")
    return path


def console_mappings(tenant):
    customers = tenant["emulator"].control.state()["umbrella"]["orgs"][str(tenant["org_id"])]["customers"]
    return {c["customerId"]: c["connectwiseCompanyId"] for c in customers if c["connectwiseCompanyId"]}


def wanted(tenant):
    return {c["customerId"]: COMPANIES[n % len(COMPANIES)] for n, c in enumerate(tenant["customers"])}


def extended_only(tenant):
    skip_unless_profile(tenant["emulator"], "extended", "the mapping extension is served in the extended profile only")


def public_only(tenant):
    skip_unless_profile(tenant["emulator"], "public", "manual steps are returned in the public profile only")


def test_check_then_map_hundreds_then_rerun_writes_nothing(tenant):
    extended_only(tenant)
    mapping_file = str(write_mapping_csv(tenant, tenant["customers"]))

    predicted = play(tenant, "--check", "--diff", mappings_file=mapping_file)
    assert predicted.result["changed"] is True and predicted.writes == 0, predicted.output[-3000:]
    assert predicted.result["summary"]["set"] == CUSTOMERS
    assert console_mappings(tenant) == {}

    applied = play(tenant, "--diff", mappings_file=mapping_file)
    assert applied.result["changed"] is True
    assert applied.writes == applied.count("PUT /admin/v2/psa/customers/") == CUSTOMERS
    assert applied.result["diff"] == predicted.result["diff"]
    assert len(applied.result["diff"]["after"]) == CUSTOMERS
    # Written as ConnectWise spells the identifiers, though the file has them in lower case.
    assert console_mappings(tenant) == wanted(tenant)
    # One company lookup for all of them, and the customer list read once (4 pages of 100).
    assert applied.count("GET /company/companies") == 1
    assert applied.count("GET /admin/v2/managed/customers") == 4

    again = play(tenant, "--diff", mappings_file=mapping_file)
    assert again.result["changed"] is False and again.writes == 0
    assert again.result["summary"] == {"mapped": CUSTOMERS, "unchanged": CUSTOMERS, "set": 0, "removed": 0,
                                       "unmanaged": 0}
    assert again.result["diff"] == {"before": {}, "after": {}}


def test_every_typo_is_reported_before_any_write(tenant):
    extended_only(tenant)
    first, second = tenant["customers"][0], tenant["customers"][1]
    mappings = [{"customer": first["customerName"], "company": "Contoso"},
                {"customer": first["customerName"] + "x", "company": "Contoso"},
                {"customer": second["customerName"], "company": "Contosso"},
                {"customer": str(first["customerId"]), "company": "Fabrikam"}]
    failed = play(tenant, mappings=mappings)
    assert failed.result["failed"] is True and failed.writes == 0
    errors = failed.result["errors"]
    assert [e.split(":")[0] for e in errors] == ["mappings[1].customer", "mappings[2].company",
                                                 "mappings[3].customer"]
    assert "close matches: %r" % first["customerName"] in errors[0]
    assert "3 problems" in failed.result["msg"]
    assert console_mappings(tenant) == {}


def test_prune_clears_what_a_person_mapped_by_hand(tenant):
    extended_only(tenant)
    listed, stray = tenant["customers"][0], tenant["customers"][1]
    tenant["emulator"].control.request("POST", "umbrella/%d/customers/%d/connectwise" % (
        tenant["org_id"], stray["customerId"]), {"connectwiseCompanyId": "Northwind"}, expect=200)
    mappings = [{"customer": listed["customerName"], "company": "Fabrikam"}]

    kept = play(tenant, mappings=mappings)
    assert kept.result["summary"]["unmanaged"] == 1 and kept.writes == 1
    pruned = play(tenant, "--diff", mappings=mappings, prune=True)
    assert pruned.count("DELETE /admin/v2/psa/customers/") == 1 and pruned.writes == 1
    label = "%s (%d)" % (stray["customerName"], stray["customerId"])
    assert pruned.result["diff"] == {"before": {label: "Northwind"}, "after": {label: None}}
    assert console_mappings(tenant) == {listed["customerId"]: "Fabrikam"}


def test_public_server_gets_a_csv_of_manual_steps(tenant):
    public_only(tenant)
    mapping_file = str(write_mapping_csv(tenant, tenant["customers"]))
    steps_file = tenant["tmp"] / "steps.csv"
    options = dict(mappings_file=mapping_file, manual_steps_file=str(steps_file), on_unsupported="report")

    reported = play(tenant, **options)
    assert reported.result["extension"] is False and reported.result["changed"] is True
    assert reported.writes == 0
    rows = list(csv.DictReader(io.StringIO(steps_file.read_text())))
    assert len(rows) == CUSTOMERS
    expected = wanted(tenant)
    assert {int(r["customer id"]): r["value"] for r in rows} == expected
    assert {r["field"] for r in rows} == {"ConnectWise Company ID"}
    steps = reported.result["manual_steps"]
    assert len(steps) == 21 and str(steps_file) in steps[20] and "And 300 more customers" in steps[20]

    again = play(tenant, **options)
    assert again.result["changed"] is False and again.writes == 0
    assert again.result["manual_steps"] == steps


def test_public_server_fails_with_the_steps_by_default(tenant):
    public_only(tenant)
    customer = tenant["customers"][0]
    failed = play(tenant, mappings=[{"customer": customer["customerName"], "company": "Contoso"}])
    assert failed.result["failed"] is True and failed.writes == 0
    assert "does not offer the API" in failed.result["msg"]
    assert "%s (customer id %d): set ConnectWise Company ID to Contoso" % (
        customer["customerName"], customer["customerId"]) in failed.result["msg"]


def test_inactive_and_deleted_companies_are_refused_before_any_write(tenant):
    # Checked against the published company list, so in both profiles alike.
    control, company_id = tenant["emulator"].control, tenant["connection"]["cw_company_id"]
    control.request("POST", "connectwise/%s/companies/Fabrikam" % company_id, {"status": "Inactive"}, expect=200)
    control.request("POST", "connectwise/%s/companies/Northwind" % company_id, {"deletedFlag": True}, expect=200)
    first, second, third = tenant["customers"][:3]
    failed = play(tenant, mappings=[{"customer": first["customerName"], "company": "Contoso"},
                                    {"customer": second["customerName"], "company": "fabrikam"},
                                    {"customer": third["customerName"], "company": "Northwind"}])
    assert failed.result["failed"] is True and failed.writes == 0
    errors = failed.result["errors"]
    assert [e.split(":")[0] for e in errors] == ["mappings[1].company", "mappings[2].company"]
    assert "the ConnectWise company 'Fabrikam' (id 3) has status 'Inactive'" in errors[0]
    assert "the ConnectWise company 'Northwind' (id 4) is deleted" in errors[1]
    assert console_mappings(tenant) == {}
