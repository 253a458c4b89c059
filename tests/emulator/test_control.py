"""The /_emulator/ control API: tenants, state, statistics, resets."""

from conftest import CLIENT_ID, seed_tenant, unique
from support.emulator import EmulatorProcess


def test_seeding_a_company_twice_is_409(extended_emulator):
    tenant = seed_tenant(extended_emulator)
    again = extended_emulator.control.request("POST", "tenants", {"name": unique("t"), "connectwise": {
        "company_id": tenant.company_id.upper(), "public_key": "A" * 16, "private_key": "B" * 16}})
    assert again.status_code == 409


def test_tenant_with_both_halves_and_a_parent_console(extended_emulator):
    control = extended_emulator.control
    parent_org = int(unique("", 8), 16) % 10_000_000 + 1_000_000
    parent = control.create_tenant(name=unique("msp"), umbrella={
        "org_id": parent_org, "api_key": unique("key", 20), "api_secret": unique("sec", 20)})
    assert parent["umbrella"]["orgId"] == parent_org
    company_id = unique("child", 12)
    child = control.create_tenant(name=company_id, connectwise={
        "company_id": company_id, "public_key": unique("P", 16), "private_key": unique("S", 16),
        "client_id": CLIENT_ID}, umbrella={"org_id": parent_org + 1, "parent_org_id": parent_org})
    assert child["connectwise"]["admin_member"]["identifier"] == "admin"
    assert child["umbrella"]["parentOrgId"] == parent_org
    state = control.state()
    assert state["tenants"][company_id] == {"connectwise": company_id, "umbrella": parent_org + 1}
    assert state["connectwise"][company_id]["roles"][0]["name"] == "Admin"
    assert state["umbrella"] is not None


def test_a_half_failing_leaves_nothing_behind(extended_emulator):
    company_id = unique("half", 12)
    response = extended_emulator.control.request("POST", "tenants", {"connectwise": {
        "company_id": company_id, "public_key": unique("P", 16), "private_key": unique("S", 16)},
        "umbrella": {"org_id": 5, "parent_org_id": 999_999_999}})
    assert response.status_code == 400
    assert company_id not in extended_emulator.control.state()["connectwise"]


def test_control_errors(extended_emulator):
    control = extended_emulator.control
    assert control.request("GET", "nothing").status_code == 404
    assert control.request("DELETE", "tenants").status_code == 405
    bad_json = control.session.post(extended_emulator.url + "/_emulator/tenants", data=b"{not json",
                                    headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400
    assert control.request("POST", "faults", {"rate": {"5xx": 2}}).status_code == 400
    assert control.request("POST", "rate-limits", {"enabled": "yes"}).status_code == 400
    assert control.request("POST", "connectwise/nosuch/members/admin/keys", {"description": "x"}).status_code == 404


def test_state_is_the_oracle_with_private_keys(tenant):
    _unused, member, key = tenant.member_with_role("Oracle")
    state = tenant.emulator.control.state()["connectwise"][tenant.company_id]
    keys = {k["publicKey"]: k for k in state["api_keys"]}
    assert keys[key["publicKey"]]["privateKey"] == key["privateKey"]
    assert keys[key["publicKey"]]["memberIdentifier"] == member["identifier"]
    assert keys[tenant.public_key]["privateKey"] == tenant.private_key
    role = next(r for r in state["roles"] if r["name"] == "Oracle")
    assert {s["inquireLevel"] for s in role["settings"]} == {"None"}


def test_statistics_count_routes_methods_and_tenants():
    # Statistics are process-wide: count on a private emulator so parallel tests cannot interfere.
    with EmulatorProcess(profile="public") as emulator:
        tenant = seed_tenant(emulator)
        emulator.control.reset_stats()
        tenant.get("/system/apiMembers")
        tenant.get("/system/apiMembers/1")
        tenant.get("/system/apimembers/1")
        tenant.post("/system/securityRoles", {"name": "Counted"})
        stats = emulator.control.stats()
        assert stats["total"] == 4
        assert stats["by_method"] == {"GET": 3, "POST": 1}
        assert stats["by_route"]["GET /system/apiMembers"] == 1
        assert stats["by_route"]["GET /system/apiMembers/{id}"] + stats["by_route"]["GET /system/apimembers/{id}"] == 2
        assert stats["by_tenant"] == {"connectwise:%s" % tenant.company_id.lower(): 4}
        assert emulator.control.reset_stats()["total"] == 0
        emulator.control.reset()
        assert emulator.control.state()["connectwise"] == {}
