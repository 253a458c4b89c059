"""Client companies (Companies › Companies): bulk seeding, status and deletion through the control API."""

from conftest import seed_tenant
from support.emulator import EmulatorProcess, new_session

SEEDED = ["Contoso", "Fabrikam", "Northwind", "AdventureWorks"]


def bulk(emulator, company_id, count, prefix="CUST", expect=201):
    return emulator.control.request("POST", "connectwise/%s/bulk-companies" % company_id,
                                    {"count": count, "prefix": prefix}, expect=expect).json()


def mark(emulator, company_id, company, expect=200, **change):
    return emulator.control.request("POST", "connectwise/%s/companies/%s" % (company_id, company), change,
                                    expect=expect).json()


def lookup(tenant, identifiers):
    """One batched lookup, as the mapping module sends it."""
    quoted = ",".join('"%s"' % i for i in identifiers)
    answer = tenant.get("/company/companies", {"conditions": "identifier in (%s)" % quoted,
                                               "fields": "id,identifier,name,status,deletedFlag", "pageSize": 1000})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_bulk_companies_are_listed_counted_and_found_in_batches(tenant):
    emulator = tenant.emulator
    seeded = bulk(emulator, tenant.company_id, 3000, prefix="BULK")
    assert seeded["created"] == 3000 and seeded["total"] == 3005
    assert seeded["identifiers"][0] == "BULK1" and seeded["identifiers"][-1] == "BULK3000"
    assert tenant.get("/company/companies/count").json() == {"count": 3005}
    assert tenant.get("/company/companies/count", {"conditions": 'identifier like "BULK%"'}).json() == {"count": 3000}

    wanted = ["bulk7", "BULK2999", "Contoso", "NoSuchCompany"]
    found = lookup(tenant, wanted)
    assert sorted(c["identifier"] for c in found) == ["BULK2999", "BULK7", "Contoso"]
    assert all(c["status"]["name"] == "Active" and c["deletedFlag"] is False for c in found)
    one = next(c for c in found if c["identifier"] == "BULK7")
    assert tenant.get("/company/companies/%d" % one["id"]).json()["identifier"] == "BULK7"

    # A list of numbers is compared one by one, a list of strings as a set: both answer alike.
    by_number = tenant.get("/company/companies", {"conditions": "id in (2, 3)"}).json()
    by_text = tenant.get("/company/companies", {"conditions": 'id in ("2", "3")'}).json()
    assert [c["identifier"] for c in by_number] == [c["identifier"] for c in by_text] == ["Contoso", "Fabrikam"]
    assert tenant.get("/company/companies", {"conditions": 'deletedFlag in ("false")'}).json() == []

    # Pages of a thousand, with a next link, like every other list.
    first = tenant.get("/company/companies", {"pageSize": 1000, "orderBy": "id"})
    assert len(first.json()) == 1000 and 'rel="next"' in first.headers["Link"]


def test_bulk_companies_refuses_bad_input_and_clashes_without_creating_anything(tenant):
    emulator, company_id = tenant.emulator, tenant.company_id
    bulk(emulator, company_id, 5, prefix="Twice")
    clash = bulk(emulator, company_id, 10, prefix="Twice", expect=409)
    assert "Twice1" in clash["error"]
    assert tenant.get("/company/companies/count").json() == {"count": 10}
    for count, prefix in ((0, "X"), (100001, "X"), ("5", "X"), (True, "X"), (5, " X"), (5, 'X"'), (5, "X" * 25)):
        assert "error" in bulk(emulator, company_id, count, prefix=prefix, expect=400), (count, prefix)
    assert tenant.get("/company/companies/count").json() == {"count": 10}
    assert emulator.control.request("POST", "connectwise/nosuch/bulk-companies", {"count": 1}).status_code == 404


def test_a_company_made_inactive_or_deleted_shows_in_the_vendor_api(tenant):
    emulator, company_id = tenant.emulator, tenant.company_id
    inactive = mark(emulator, company_id, "fabrikam", status="Inactive")
    assert inactive == {"id": 3, "identifier": "Fabrikam", "name": "Fabrikam Inc", "status": "Inactive",
                        "deletedFlag": False}
    deleted = mark(emulator, company_id, 4, deletedFlag=True)
    assert deleted["identifier"] == "Northwind" and deleted["deletedFlag"] is True

    by_identifier = {c["identifier"]: c for c in lookup(tenant, SEEDED)}
    assert by_identifier["Fabrikam"]["status"] == {"id": 2, "name": "Inactive"}
    assert by_identifier["Northwind"]["deletedFlag"] is True
    assert by_identifier["Contoso"]["status"]["name"] == "Active" and not by_identifier["Contoso"]["deletedFlag"]
    # The vendor's conditions reach both fields.
    assert [c["identifier"] for c in tenant.get("/company/companies", {"conditions": "deletedFlag=true"}).json()] \
        == ["Northwind"]
    assert [c["identifier"] for c in tenant.get(
        "/company/companies", {"conditions": 'status/name="Inactive"'}).json()] == ["Fabrikam"]

    # Undone the same way.
    mark(emulator, company_id, "Fabrikam", status="Active")
    mark(emulator, company_id, "Northwind", deletedFlag=False)
    active = tenant.get("/company/companies", {"conditions": 'deletedFlag=false and status/name="Active"'}).json()
    assert {c["identifier"] for c in active} >= set(SEEDED)


def test_company_acts_name_what_is_wrong(tenant):
    emulator, company_id = tenant.emulator, tenant.company_id
    assert "status must be one of Active, Inactive, Not-Approved" in mark(
        emulator, company_id, "Contoso", expect=400, status="Closed")["error"]
    assert "deletedFlag" in mark(emulator, company_id, "Contoso", expect=400, deletedFlag="yes")["error"]
    assert "give status" in mark(emulator, company_id, "Contoso", expect=400)["error"]
    assert "does not exist" in mark(emulator, company_id, "NoSuch", expect=404, status="Inactive")["error"]
    assert lookup(tenant, ["Contoso"])[0]["status"]["name"] == "Active"


def test_companies_stay_with_their_tenant(extended_emulator):
    first, second = seed_tenant(extended_emulator), seed_tenant(extended_emulator)
    bulk(extended_emulator, first.company_id, 20, prefix="Iso")
    mark(extended_emulator, first.company_id, "Contoso", status="Inactive")
    assert second.get("/company/companies/count").json() == {"count": 5}
    assert lookup(second, ["Contoso"])[0]["status"]["name"] == "Active"
    # The tenant's own company is its first company record.
    assert first.get("/company/companies/1").json()["identifier"] == first.company_id


def test_companies_survive_a_restart_with_a_state_file(tmp_path):
    state_file = tmp_path / "state.json"
    with EmulatorProcess(profile="public", state_file=str(state_file)) as emulator:
        tenant = seed_tenant(emulator)
        company_id = tenant.company_id
        bulk(emulator, company_id, 50, prefix="Kept")
        mark(emulator, company_id, "Kept7", deletedFlag=True, status="Not-Approved")
    with EmulatorProcess(profile="public", state_file=str(state_file)) as emulator:
        # The same company and key, on the restarted process.
        tenant.emulator, tenant.base, tenant.session = emulator, emulator.cw_base, new_session(emulator.ca_file)
        assert tenant.get("/company/companies/count").json() == {"count": 55}
        kept = lookup(tenant, ["Kept7"])[0]
        assert kept["deletedFlag"] is True and kept["status"]["name"] == "Not-Approved"
        # New companies continue after the restored ones.
        assert bulk(emulator, company_id, 1, prefix="After")["total"] == 56
