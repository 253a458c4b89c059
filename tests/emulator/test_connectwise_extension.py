"""The extension contract (CX1-CX3) in the extended profile, and its absence in the public one."""

import pytest

from conftest import assert_cw_error, assert_schema

ENDPOINT_NOT_FOUND = {"code": "NotFound", "message": "The endpoint does not exist.", "errors": None}


def _setting(tenant, role_id, module, function):
    settings = tenant.get("/system/securityRoles/%d/settings" % role_id, {
        "conditions": 'moduleName="%s" and moduleFunctionName="%s"' % (module, function)}).json()
    assert len(settings) == 1
    return settings[0]


def test_cx1_role_setting_patch_is_seen_live_by_the_members_key(tenant):
    role, member, _unused = tenant.member_with_role("Umbrella")
    created = tenant.post("/system/apiMembers/%d/apiKeys" % member["id"], {"description": "Cisco Umbrella"}).json()
    own = dict(public_key=created["publicKey"], private_key=created["privateKey"])
    setting = _setting(tenant, role["id"], "Companies", "Company Maintenance")
    path = "/system/securityRoles/%d/settings/%d" % (role["id"], setting["id"])
    patched = tenant.patch(path, [{"op": "replace", "path": "inquireLevel", "value": "All"},
                                  {"op": "replace", "path": "addLevel", "value": "My"}])
    assert patched.status_code == 200
    assert_schema("SecurityRoleSetting", patched.json())
    assert (patched.json()["inquireLevel"], patched.json()["addLevel"]) == ("All", "My")
    mine = tenant.get("/system/mySecurity", {"conditions": 'moduleFunctionName="Company Maintenance"'}, **own)
    assert mine.json()[0]["inquireLevel"] == "All" and mine.json()[0]["member"]["id"] == member["id"]
    assert tenant.get("/company/companies", **own).status_code == 200


def test_cx1_rejects_bad_paths_and_values(tenant):
    role = tenant.post("/system/securityRoles", {"name": "Bad Values"}).json()
    table_setup = _setting(tenant, role["id"], "System", "Table Setup")
    path = "/system/securityRoles/%d/settings/%d" % (role["id"], table_setup["id"])
    assert_cw_error(tenant.patch(path, [{"op": "replace", "path": "inquireLevel", "value": "Some"}]), 400,
                    field="inquireLevel")
    assert_cw_error(tenant.patch(path, [{"op": "replace", "path": "moduleName", "value": "x"}]), 400,
                    field="moduleName")
    # Table Setup offers only None and All in the UI.
    assert_cw_error(tenant.patch(path, [{"op": "replace", "path": "inquireLevel", "value": "My"}]), 400)
    assert_cw_error(tenant.patch("/system/securityRoles/%d/settings/999999" % role["id"],
                                 [{"op": "replace", "path": "inquireLevel", "value": "All"}]), 404, "NotFound")


def test_cx2_customize_items(tenant):
    role, member, key = tenant.member_with_role("Customize")
    base = "/system/securityRoles/%d/customizeItems" % role["id"]
    screens = tenant.get("/system/setupScreens", {"conditions": 'category="Company" and name="Configuration"'}).json()
    created = tenant.post(base, {"customizeIdentifier": "SystemTableSetup", "itemIdentifier": str(screens[0]["id"])})
    assert created.status_code == 201
    assert_schema("MySecurityCustomizeItem", created.json())
    assert_cw_error(tenant.post(base, {"customizeIdentifier": "SystemTableSetup",
                                       "itemIdentifier": str(screens[0]["id"])}), 400, error_code="ObjectExists")
    assert_cw_error(tenant.post(base, {"customizeIdentifier": "Nope", "itemIdentifier": "1"}), 400,
                    field="customizeIdentifier")
    assert_cw_error(tenant.post(base, {"customizeIdentifier": "SystemTableSetup", "itemIdentifier": "99999"}), 400,
                    field="itemIdentifier")
    assert [i["id"] for i in tenant.get(base).json()] == [created.json()["id"]]
    own = dict(public_key=key["publicKey"], private_key=key["privateKey"])
    mine = tenant.get("/system/mySecurity/customizeItems/", **own).json()
    assert [i["itemIdentifier"] for i in mine] == [str(screens[0]["id"])]
    assert tenant.delete("%s/%d" % (base, created.json()["id"])).status_code == 204
    assert tenant.get("/system/mySecurity/customizeItems/", **own).json() == []


def test_cx1_one_patch_writes_several_settings_all_or_nothing(tenant):
    role, member, _unused = tenant.member_with_role("Bulk Levels")
    maintenance = _setting(tenant, role["id"], "Companies", "Company Maintenance")
    tickets = _setting(tenant, role["id"], "Service Desk", "Service Tickets")
    path = "/system/securityRoles/%d/settings" % role["id"]
    patched = tenant.patch(path, [
        {"op": "replace", "path": "%d/inquireLevel" % maintenance["id"], "value": "All"},
        {"op": "replace", "path": "/%d/addLevel" % tickets["id"], "value": "All"},
        {"op": "replace", "path": "%d/editLevel" % tickets["id"], "value": "All"}])
    assert patched.status_code == 200
    assert [s["id"] for s in patched.json()] == sorted([maintenance["id"], tickets["id"]])
    for item in patched.json():
        assert_schema("SecurityRoleSetting", item)
    assert _setting(tenant, role["id"], "Companies", "Company Maintenance")["inquireLevel"] == "All"
    after = _setting(tenant, role["id"], "Service Desk", "Service Tickets")
    assert (after["addLevel"], after["editLevel"]) == ("All", "All")
    # One bad operation and nothing is written.
    assert_cw_error(tenant.patch(path, [
        {"op": "replace", "path": "%d/deleteLevel" % maintenance["id"], "value": "All"},
        {"op": "replace", "path": "%d/inquireLevel" % tickets["id"], "value": "Some"}]), 400, field="inquireLevel")
    assert_cw_error(tenant.patch(path, [{"op": "replace", "path": "inquireLevel", "value": "All"}]), 400)
    assert_cw_error(tenant.patch(path, [{"op": "replace", "path": "999999/inquireLevel", "value": "All"}]),
                    404, "NotFound")
    assert _setting(tenant, role["id"], "Companies", "Company Maintenance")["deleteLevel"] == "None"


def test_cx2_one_patch_writes_the_customize_list(tenant):
    role, _member, key = tenant.member_with_role("Bulk Customize")
    base = "/system/securityRoles/%d/customizeItems" % role["id"]
    screens = {"%s / %s" % (s["category"], s["name"]): str(s["id"])
               for s in tenant.get("/system/setupScreens", {"pageSize": 1000}).json()}
    old = tenant.post(base, {"customizeIdentifier": "SystemTableSetup",
                             "itemIdentifier": screens["Company / Configuration"]}).json()
    operations = [{"op": "add", "path": "-",
                   "value": {"customizeIdentifier": "SystemTableSetup", "itemIdentifier": screens[label]}}
                  for label in ("Service / Priority", "Service / Service Board")]
    operations.append({"op": "remove", "path": str(old["id"])})
    patched = tenant.patch(base, operations)
    assert patched.status_code == 200
    expected = sorted([screens["Service / Priority"], screens["Service / Service Board"]])
    assert sorted(i["itemIdentifier"] for i in patched.json()) == expected
    own = dict(public_key=key["publicKey"], private_key=key["privateKey"])
    assert sorted(i["itemIdentifier"] for i in tenant.get("/system/mySecurity/customizeItems/", **own).json()) == expected
    # The list is a set: the same request again changes nothing (safe to repeat after a dropped connection).
    again = tenant.patch(base, operations)
    assert again.status_code == 200 and again.json() == patched.json()
    # One bad operation and nothing is written.
    assert_cw_error(tenant.patch(base, [
        {"op": "remove", "path": str(patched.json()[0]["id"])},
        {"op": "add", "path": "-", "value": {"customizeIdentifier": "SystemTableSetup", "itemIdentifier": "99999"}}]),
        400, field="itemIdentifier")
    assert_cw_error(tenant.patch(base, [{"op": "replace", "path": "1", "value": {}}]), 400, field="path")
    assert sorted(i["itemIdentifier"] for i in tenant.get(base).json()) == expected


def test_cx3_api_keys(tenant):
    member = tenant.post("/system/apiMembers", {"identifier": "keyholder", "name": "Key Holder",
                                                "securityRole": {"id": 1}}).json()
    base = "/system/apiMembers/%d/apiKeys" % member["id"]
    created = tenant.post(base, {"description": "Cisco Umbrella"})
    assert created.status_code == 201
    key = created.json()
    assert len(key["publicKey"]) == 16 and len(key["privateKey"]) == 16 and key["_info"]["dateEntered"]
    listed = tenant.get(base).json()
    assert [k["id"] for k in listed] == [key["id"]] and "privateKey" not in listed[0]
    assert "privateKey" not in tenant.get("%s/%d" % (base, key["id"])).json()
    own = dict(public_key=key["publicKey"], private_key=key["privateKey"])
    assert tenant.get("/system/mySecurity", {"pageSize": 1}, **own).json()[0]["member"]["identifier"] == "keyholder"
    assert_cw_error(tenant.post(base, {"description": ""}), 400, field="description")
    assert tenant.delete("%s/%d" % (base, key["id"])).status_code == 204
    assert_cw_error(tenant.get("/system/mySecurity", **own), 401)
    assert_cw_error(tenant.get("%s/%d" % (base, key["id"])), 404, "NotFound")


def test_public_profile_hides_the_extension(public_tenant):
    role = public_tenant.post("/system/securityRoles", {"name": "Umbrella"}).json()
    settings = public_tenant.get("/system/securityRoles/%d/settings" % role["id"]).json()
    patched = public_tenant.patch("/system/securityRoles/%d/settings/%d" % (role["id"], settings[0]["id"]),
                                  [{"op": "replace", "path": "inquireLevel", "value": "All"}])
    assert patched.status_code == 405
    assert patched.json() == {"message": "The requested resource does not support http method 'PATCH'."}
    bulk = public_tenant.patch("/system/securityRoles/%d/settings" % role["id"],
                               [{"op": "replace", "path": "%d/inquireLevel" % settings[0]["id"], "value": "All"}])
    assert bulk.status_code == 405
    for method, path in [("GET", "/system/securityRoles/%d/customizeItems" % role["id"]),
                         ("PATCH", "/system/securityRoles/%d/customizeItems" % role["id"]),
                         ("POST", "/system/securityRoles/%d/customizeItems" % role["id"]),
                         ("GET", "/system/apiMembers/1/apiKeys"), ("POST", "/system/apiMembers/1/apiKeys")]:
        response = public_tenant.request(method, path, json_body={"description": "x"})
        assert response.status_code == 404 and response.json() == ENDPOINT_NOT_FOUND


def test_public_profile_manual_acts(public_tenant):
    control = public_tenant.emulator.control
    role, member, key = public_tenant.member_with_role("Umbrella")
    control.cw_role_settings(public_tenant.company_id, role["id"], [
        {"module": "Companies", "function": "Company Maintenance", "add": "None", "edit": "None",
         "delete": "None", "inquire": "All"}], customize=["Company / Configuration", "Service / Priority"])
    own = dict(public_key=key["publicKey"], private_key=key["privateKey"])
    mine = public_tenant.get("/system/mySecurity", {"conditions": 'moduleFunctionName="Company Maintenance"'}, **own)
    assert mine.json()[0]["inquireLevel"] == "All"
    items = public_tenant.get("/system/mySecurity/customizeItems/", **own).json()
    screens = {s["id"]: "%s / %s" % (s["category"], s["name"])
               for s in public_tenant.get("/system/setupScreens", {"pageSize": 1000}).json()}
    expected = ["Company / Configuration", "Service / Priority"]
    assert sorted(screens[int(i["itemIdentifier"])] for i in items) == expected
    state = control.state()["connectwise"][public_tenant.company_id]
    assert key["privateKey"] in {k["privateKey"] for k in state["api_keys"]}


@pytest.mark.parametrize("settings, customize", [
    ([{"module": "Companies", "function": "Company Maintenence", "inquire": "All"}], None),
    ([{"module": "System", "function": "Table Setup", "inquire": "My"}], None),
    ([], ["Company / Nothing"]),
])
def test_manual_role_settings_are_validated(public_tenant, settings, customize):
    body = {"settings": settings}
    if customize is not None:
        body["customize"] = customize
    response = public_tenant.emulator.control.request(
        "POST", "connectwise/%s/roles/1/settings" % public_tenant.company_id, body)
    assert response.status_code == 400 and response.json()["error"]
