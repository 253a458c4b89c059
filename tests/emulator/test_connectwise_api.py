"""The emulated ConnectWise API over real HTTPS: schemas, validation, auth, permissions, isolation."""

import pytest

from conftest import assert_cw_error, assert_schema, seed_tenant

ENDPOINT_NOT_FOUND = {"code": "NotFound", "message": "The endpoint does not exist.", "errors": None}


def test_companyinfo_names_the_codebase(tenant):
    known = tenant.session.get(tenant.emulator.url + "/login/companyinfo/" + tenant.company_id.upper())
    assert known.status_code == 200
    assert known.json()["Codebase"] == "v4_6_release/"
    assert known.json()["CompanyID"] == tenant.company_id
    unknown = tenant.session.get(tenant.emulator.url + "/login/companyinfo/nosuchcompany")
    assert unknown.status_code == 200 and unknown.json()["Codebase"] is None


def test_role_list_get_count_match_the_schema(tenant):
    roles = tenant.get("/system/securityroles")
    assert roles.status_code == 200
    assert roles.headers["api-current-version"] == "2025.1"
    assert_schema("SecurityRole", roles.json())
    assert [r["name"] for r in roles.json()] == ["Admin"]
    role = tenant.get("/system/securityRoles/%d" % roles.json()[0]["id"])
    assert_schema("SecurityRole", role.json())
    assert role.json()["_info"]["settings_href"].endswith("/system/securityRoles/%d/settings" % role.json()["id"])
    count = tenant.get("/system/securityroles/count")
    assert_schema("Count", count.json())
    assert count.json() == {"count": 1}


def test_new_role_has_every_setting_none(tenant):
    created = tenant.post("/system/securityRoles", {"name": "Umbrella Integration"})
    assert created.status_code == 201
    assert_schema("SecurityRole", created.json())
    role_id = created.json()["id"]
    count = tenant.get("/system/securityRoles/%d/settings/count" % role_id).json()["count"]
    settings = tenant.get("/system/securityRoles/%d/settings" % role_id, {"pageSize": 1000}).json()
    assert len(settings) == count > 60
    assert_schema("SecurityRoleSetting", settings)
    assert {(s["addLevel"], s["editLevel"], s["deleteLevel"], s["inquireLevel"]) for s in settings} == {
        ("None", "None", "None", "None")}
    labels = {(s["moduleName"], s["moduleFunctionName"]) for s in settings}
    for label in [("Companies", "Company Maintenance"), ("Companies", "Configurations"),
                  ("Service Desk", "Service Tickets"), ("System", "Table Setup"), ("System", "Security Roles")]:
        assert label in labels
    one = tenant.get("/system/securityRoles/%d/settings/%d" % (role_id, settings[3]["id"]))
    assert one.status_code == 200 and one.json()["id"] == settings[3]["id"]
    assert_schema("SecurityRoleSetting", one.json())


def test_role_name_is_unique_case_insensitively(tenant):
    assert tenant.post("/system/securityRoles", {"name": "Umbrella"}).status_code == 201
    duplicate = tenant.post("/system/securityRoles", {"name": "UMBRELLA"})
    body = assert_cw_error(duplicate, 400, "InvalidObject")
    assert body == {"code": "InvalidObject", "message": "SecurityRole object is invalid", "errors": [
        {"code": "ObjectExists", "message": "The name is already in use.", "resource": "SecurityRole",
         "field": "name"}]}


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "x" * 31}, {"name": 12}])
def test_role_name_is_validated(tenant, body):
    assert_cw_error(tenant.post("/system/securityRoles", body), 400, "InvalidObject", field="name")


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_role_cannot_be_replaced_or_patched(tenant, method):
    response = tenant.request(method, "/system/securityRoles/1", json_body={"name": "x"})
    assert response.status_code == 405
    assert response.json() == {"message": "The requested resource does not support http method '%s'." % method}


def test_role_in_use_cannot_be_deleted_but_a_free_one_can(tenant):
    role, member, _unused = tenant.member_with_role("Busy")
    assert_cw_error(tenant.delete("/system/securityRoles/%d" % role["id"]), 400, "InvalidObject", field="id")
    free = tenant.post("/system/securityRoles", {"name": "Free"}).json()
    deleted = tenant.delete("/system/securityRoles/%d" % free["id"])
    assert deleted.status_code == 204 and deleted.content == b""
    assert_cw_error(tenant.get("/system/securityRoles/%d" % free["id"]), 404, "NotFound")


def test_api_member_lifecycle(tenant):
    role = tenant.post("/system/securityRoles", {"name": "Umbrella"}).json()
    template = tenant.get("/system/apiMembers/default")
    assert template.status_code == 200
    assert_schema("ApiMember", template.json())
    created = tenant.post("/system/apiMembers", {
        "identifier": "umbrella", "name": "Cisco Umbrella", "emailAddress": "u@example.com",
        "securityRole": {"id": role["id"]}, "defaultDepartment": {"id": 2}})
    assert created.status_code == 201, created.text
    member = created.json()
    assert_schema("ApiMember", member)
    assert member["securityRole"]["name"] == "Umbrella"
    assert member["defaultDepartment"]["identifier"] == "Services"
    assert member["timeZone"]["id"] == template.json()["timeZone"]["id"]

    patched = tenant.patch("/system/apiMembers/%d" % member["id"], [
        {"op": "replace", "path": "name", "value": "Umbrella PSA"},
        {"op": "replace", "path": "inactiveFlag", "value": True}])
    assert patched.status_code == 200
    assert_schema("ApiMember", patched.json())
    assert patched.json()["name"] == "Umbrella PSA" and patched.json()["inactiveFlag"] is True
    assert patched.json()["inactiveDate"]

    replaced = tenant.put("/system/apiMembers/%d" % member["id"], {"identifier": "umbrella", "name": "Again"})
    assert replaced.status_code == 200
    assert replaced.json()["securityRole"] is None and replaced.json()["inactiveFlag"] is False
    fetched = tenant.get("/system/apiMembers/%d" % member["id"]).json()
    assert fetched["name"] == "Again"
    assert tenant.delete("/system/apiMembers/%d" % member["id"]).status_code == 405


def test_api_member_validation(tenant):
    tenant.post("/system/apiMembers", {"identifier": "taken", "name": "A"})
    assert_cw_error(tenant.post("/system/apiMembers", {"identifier": "TAKEN"}), 400, "InvalidObject",
                    field="identifier", error_code="ObjectExists")
    assert_cw_error(tenant.post("/system/apiMembers", {"identifier": "x" * 16}), 400, field="identifier")
    assert_cw_error(tenant.post("/system/apiMembers", {"name": "no identifier"}), 400, field="identifier")
    assert_cw_error(tenant.post("/system/apiMembers", {"identifier": "n1", "name": "y" * 31}), 400, field="name")
    assert_cw_error(tenant.post("/system/apiMembers", {"identifier": "n2", "securityRole": {"id": 999}}), 400,
                    field="securityRole")
    assert_cw_error(tenant.post("/system/apiMembers", {"identifier": "n3", "defaultLocation": {"id": 999}}), 400,
                    field="defaultLocation")
    member = tenant.get("/system/apiMembers", {"conditions": 'identifier="taken"'}).json()[0]
    assert_cw_error(tenant.patch("/system/apiMembers/%d" % member["id"], [{"op": "move", "path": "name"}]), 400)
    assert_cw_error(tenant.patch("/system/apiMembers/%d" % member["id"],
                                 [{"op": "replace", "path": "nosuchfield", "value": 1}]), 400, field="nosuchfield")
    assert_cw_error(tenant.put("/system/apiMembers/%d" % member["id"], {"identifier": "taken"}), 400, field="name")
    nested = tenant.patch("/system/apiMembers/%d" % member["id"], [
        {"op": "replace", "path": "securityRole/id", "value": 1}])
    assert nested.status_code == 200 and nested.json()["securityRole"]["name"] == "Admin"


@pytest.mark.parametrize("credentials, why", [
    ({"private_key": "wrong-private-key"}, "wrong private key"),
    ({"public_key": "NoSuchPublicKey0"}, "unknown public key"),
    ({"company_id": "nosuchcompany"}, "unknown company"),
])
def test_bad_credentials_are_401(tenant, credentials, why):
    assert_cw_error(tenant.get("/system/apiMembers", **credentials), 401, "Unauthorized")


def test_missing_client_id_or_authorization_is_401(tenant):
    headers = tenant.headers()
    del headers["clientId"]
    assert_cw_error(tenant.get("/system/apiMembers", headers=headers), 401, "Unauthorized")
    headers = tenant.headers()
    del headers["Authorization"]
    assert_cw_error(tenant.get("/system/apiMembers", headers=headers), 401, "Unauthorized")


def test_unknown_routes_answer_like_connectwise(tenant):
    for path in ("/system/nothing", "/system/securityRoles/abc", "/system/apiMembers/1/nothing"):
        response = tenant.get(path)
        assert response.status_code == 404 and response.json() == ENDPOINT_NOT_FOUND
    # Routing comes before authentication.
    assert tenant.get("/system/nothing", headers={}).json() == ENDPOINT_NOT_FOUND


def test_inactive_member_keys_stop_working(tenant):
    _unused, member, key = tenant.member_with_role("Inactive Soon")
    own = dict(public_key=key["publicKey"], private_key=key["privateKey"])
    assert tenant.get("/system/mySecurity", **own).status_code == 200
    tenant.patch("/system/apiMembers/%d" % member["id"], [{"op": "replace", "path": "inactiveFlag", "value": True}])
    assert_cw_error(tenant.get("/system/mySecurity", **own), 401, "Unauthorized")


def test_permissions_follow_the_role(tenant):
    role, member, key = tenant.member_with_role("Restricted")
    own = dict(public_key=key["publicKey"], private_key=key["privateKey"])
    for path in ("/system/securityRoles", "/system/apiMembers", "/system/setupScreens", "/company/companies",
                 "/service/boards"):
        assert_cw_error(tenant.get(path, **own), 403)
    my = tenant.get("/system/mySecurity", {"pageSize": 1000}, **own)
    assert my.status_code == 200
    assert_schema("MySecurity", my.json())
    assert {s["member"]["identifier"] for s in my.json()} == {member["identifier"]}
    assert {s["inquireLevel"] for s in my.json()} == {"None"}

    tenant.emulator.control.cw_role_settings(tenant.company_id, role["id"], [
        {"module": "System", "function": "Security Roles", "inquire": "All"},
        {"module": "System", "function": "Table Setup", "inquire": "All"}])
    assert tenant.get("/system/securityRoles", **own).status_code == 200
    assert tenant.get("/system/setupScreens", **own).status_code == 200
    assert_cw_error(tenant.post("/system/securityRoles", {"name": "Nope"}, **own), 403)
    assert_cw_error(tenant.get("/system/apiMembers", **own), 403)


def test_member_tokens_authenticate_as_the_member(tenant):
    token = tenant.post("/system/members/admin/tokens", {"memberIdentifier": "admin"},
                        headers=tenant.headers(**{"x-cw-usertype": "member"}))
    assert token.status_code == 201
    assert_schema("Token", token.json())
    as_token = tenant.get("/system/mySecurity", {"pageSize": 1}, public_key=token.json()["publicKey"],
                          private_key=token.json()["privateKey"])
    assert as_token.status_code == 200 and as_token.json()[0]["member"]["identifier"] == "admin"
    assert_cw_error(tenant.post("/system/members/nobody/tokens", {}), 404, "NotFound")


def test_my_security_customize_items_and_setup_screens(tenant):
    screens = tenant.get("/system/setupScreens", {"pageSize": 1000})
    assert_schema("SetupScreen", screens.json())
    labels = {"%s / %s" % (s["category"], s["name"]) for s in screens.json()}
    assert {"Company / Configuration", "Service / Priority", "Service / Service Board"} <= labels
    assert len(labels) >= 30
    one = tenant.get("/system/setupScreens/%d" % screens.json()[0]["id"])
    assert_schema("SetupScreen", one.json())
    items = tenant.get("/system/mySecurity/customizeItems/", {"pageSize": 1000})
    assert items.status_code == 200
    assert_schema("MySecurityCustomizeItem", items.json())
    assert {i["itemIdentifier"] for i in items.json()} == {str(s["id"]) for s in screens.json()}
    assert tenant.get("/system/mySecurity/customizeItems").status_code == 200


@pytest.mark.parametrize("path", ["/system/locations", "/system/departments", "/system/timeZoneSetups",
                                  "/system/structureLevels", "/company/companies", "/service/boards"])
def test_reference_lists_are_seeded(tenant, path):
    listed = tenant.get(path)
    assert listed.status_code == 200 and len(listed.json()) >= 3
    first = listed.json()[0]
    assert tenant.get("%s/%d" % (path, first["id"])).json() == first
    assert tenant.get(path + "/count").json() == {"count": len(listed.json())}


def test_companies_are_isolated(extended_emulator):
    first, second = seed_tenant(extended_emulator), seed_tenant(extended_emulator)
    role = first.post("/system/securityRoles", {"name": "Only In First"}).json()
    assert [r["name"] for r in second.get("/system/securityRoles").json()] == ["Admin"]
    # The same role id in the other company is the other company's own role (or nothing).
    other = second.get("/system/securityRoles/%d" % role["id"])
    assert other.status_code == 404
    # One company's key does not open the other company's data.
    assert_cw_error(second.get("/system/securityRoles", public_key=first.public_key,
                               private_key=first.private_key), 401)
    assert_cw_error(first.get("/system/securityRoles", company_id=second.company_id), 401)
    # Identifiers are unique per company only.
    assert first.post("/system/apiMembers", {"identifier": "same"}).status_code == 201
    assert second.post("/system/apiMembers", {"identifier": "same"}).status_code == 201
