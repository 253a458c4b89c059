"""Unit tests of the cw_api_member engine against a small in-memory ConnectWise fake."""

import copy

import pytest

from ansible_collections.msp.umbrella_psa.plugins.module_utils import cw_api_member
from ansible_collections.msp.umbrella_psa.plugins.module_utils.connectwise import ConnectWiseError, ConnectWiseNotFound
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import CHECK_MODE_PLACEHOLDER, EngineError

ROLES = [{"id": 3, "name": "Admin"}, {"id": 14, "name": "Umbrella Integration"}]
LOCATIONS = [{"id": 1, "name": "Tampa Office"}, {"id": 2, "name": "Remote"}]
DEPARTMENTS = [{"id": 10, "identifier": "Svc", "name": "Services"}]
TIME_ZONES = [{"id": 1, "name": "GMT-5/Eastern Time: US & Canada"}]
LEVELS = [{"id": 7, "name": "Corporate"}]


class FakeConnectWise:
    """Just enough of ConnectWiseClient: lists per path, records by id, every call recorded."""

    def __init__(self, members=None):
        self.tables = {
            "/system/apiMembers": copy.deepcopy(members or []),
            "/system/securityRoles": copy.deepcopy(ROLES),
            "/system/locations": copy.deepcopy(LOCATIONS),
            "/system/departments": copy.deepcopy(DEPARTMENTS),
            "/system/timeZoneSetups": copy.deepcopy(TIME_ZONES),
            "/system/structureLevels": copy.deepcopy(LEVELS),
        }
        self.calls = []

    @property
    def writes(self):
        return [c for c in self.calls if c[0] != "GET"]

    def _split(self, path):
        base, _unused, record_id = path.rpartition("/")
        return base, int(record_id)

    def find(self, path, field, value):
        self.calls.append(("GET", path, "%s=%s" % (field, value)))
        return [copy.deepcopy(r) for r in self.tables[path] if str(r.get(field)).casefold() == value.casefold()]

    def list(self, path, conditions=None, fields=None, order_by=None):
        self.calls.append(("GET", path, conditions))
        return copy.deepcopy(self.tables[path])

    def get(self, path, params=None):
        self.calls.append(("GET", path, None))
        base, record_id = self._split(path)
        for record in self.tables[base]:
            if record["id"] == record_id:
                return copy.deepcopy(record)
        raise ConnectWiseNotFound(404, "NotFound", "record not found", method="GET", path=path)

    def post(self, path, body, recover=None):
        self.recover = recover  # what the engine would read back after a lost answer
        self.calls.append(("POST", path, copy.deepcopy(body)))
        if getattr(self, "refuse_post", None):
            raise self.refuse_post
        record = dict(body, id=100 + len(self.tables[path]), inactiveFlag=False)
        for field, value in body.items():
            if isinstance(value, dict):
                record[field] = self._expand(field, value["id"])
        self.tables[path].append(record)
        return copy.deepcopy(record)

    def patch(self, path, operations):
        self.calls.append(("PATCH", path, copy.deepcopy(operations)))
        base, record_id = self._split(path)
        record = next(r for r in self.tables[base] if r["id"] == record_id)
        for op in operations:
            assert op["op"] == "replace"
            value = op["value"]
            record[op["path"]] = self._expand(op["path"], value["id"]) if isinstance(value, dict) else value
        return copy.deepcopy(record)

    def _expand(self, field, ref_id):
        path = {r.field: r.path for r in cw_api_member.REFERENCES}[field]
        found = next(r for r in self.tables[path] if r["id"] == ref_id)
        return {"id": ref_id, "name": found["name"]}


def params(**overrides):
    base = {"identifier": "umbrella", "name": None, "email": None, "security_role": None, "location": None,
            "department": None, "time_zone": None, "structure_level": None, "notes": None, "state": "present"}
    base.update(overrides)
    return base


EXISTING = {"id": 42, "identifier": "umbrella", "name": "Cisco Umbrella", "emailAddress": "noc@example.com",
            "securityRole": {"id": 14, "name": "Umbrella Integration"}, "inactiveFlag": False, "notes": None}


def test_create_posts_identifier_name_and_resolved_references():
    client = FakeConnectWise()
    result = cw_api_member.run(params(name="Cisco Umbrella", email="noc@example.com",
                                      security_role="Umbrella Integration", location="Tampa Office",
                                      time_zone="GMT-5/Eastern Time: US & Canada"), client=client)
    assert result["changed"] and result["created"]
    posts = [c for c in client.writes if c[0] == "POST"]
    assert posts == [("POST", "/system/apiMembers", {
        "identifier": "umbrella", "name": "Cisco Umbrella", "emailAddress": "noc@example.com",
        "securityRole": {"id": 14}, "defaultLocation": {"id": 1}, "timeZone": {"id": 1}})]
    assert result["member"]["securityRole"] == {"id": 14, "name": "Umbrella Integration"}
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["securityRole"] == {"id": 14, "name": "Umbrella Integration"}


def test_create_in_check_mode_writes_nothing_and_uses_placeholder():
    client = FakeConnectWise()
    result = cw_api_member.run(params(name="Cisco Umbrella", security_role="14"), check_mode=True, client=client)
    assert result["changed"] and result["created"]
    assert result["member"]["id"] == CHECK_MODE_PLACEHOLDER
    assert result["member"]["securityRole"] == {"id": 14, "name": "Umbrella Integration"}
    assert client.writes == []


def test_create_without_name_fails_before_any_write():
    client = FakeConnectWise()
    with pytest.raises(EngineError, match=r"^name: required"):
        cw_api_member.run(params(), client=client)
    assert client.writes == []


def test_unchanged_member_costs_one_read_and_no_reference_lookup():
    client = FakeConnectWise([EXISTING])
    result = cw_api_member.run(params(name="Cisco Umbrella", email="noc@example.com",
                                      security_role="umbrella integration"), client=client)
    assert result == {"changed": False, "created": False, "member": EXISTING, "diff": {"before": {}, "after": {}}}
    assert len(client.calls) == 1


def test_update_patches_only_changed_fields_with_references_as_ids():
    client = FakeConnectWise([EXISTING])
    result = cw_api_member.run(params(name="Cisco Umbrella", email="soc@example.com", security_role="Admin",
                                      takeover=True),
                               client=client)
    assert result["changed"] and not result["created"]
    assert client.writes == [("PATCH", "/system/apiMembers/42", [
        {"op": "replace", "path": "emailAddress", "value": "soc@example.com"},
        {"op": "replace", "path": "securityRole", "value": {"id": 3}}])]
    assert result["diff"] == {
        "before": {"emailAddress": "noc@example.com", "securityRole": {"id": 14, "name": "Umbrella Integration"}},
        "after": {"emailAddress": "soc@example.com", "securityRole": {"id": 3, "name": "Admin"}}}
    assert result["member"]["securityRole"]["name"] == "Admin"


def test_update_in_check_mode_predicts_member_without_writing():
    client = FakeConnectWise([EXISTING])
    result = cw_api_member.run(params(department="Services"), check_mode=True, client=client)
    assert result["changed"]
    assert result["member"]["defaultDepartment"] == {"id": 10, "name": "Services"}
    assert client.writes == []


def test_absent_sets_inactive_flag_and_rerun_is_ok():
    client = FakeConnectWise([EXISTING])
    result = cw_api_member.run(params(state="absent"), client=client)
    assert result["changed"]
    assert client.writes == [("PATCH", "/system/apiMembers/42", [{"op": "replace", "path": "inactiveFlag", "value": True}])]
    assert result["diff"] == {"before": {"inactiveFlag": False}, "after": {"inactiveFlag": True}}
    again = cw_api_member.run(params(state="absent"), client=client)
    assert not again["changed"]
    assert len(client.writes) == 1


def test_absent_of_unknown_member_is_ok():
    client = FakeConnectWise()
    result = cw_api_member.run(params(state="absent"), client=client)
    assert not result["changed"] and result["member"] is None


def test_present_reactivates_an_inactive_member():
    client = FakeConnectWise([dict(EXISTING, inactiveFlag=True)])
    result = cw_api_member.run(params(), client=client)
    assert result["changed"]
    assert client.writes[0][2] == [{"op": "replace", "path": "inactiveFlag", "value": False}]
    assert result["member"]["inactiveFlag"] is False


@pytest.mark.parametrize("overrides, message", [
    ({"identifier": "a-very-long-identifier"}, r"^identifier: .* at most 15"),
    ({"identifier": "two words"}, r"^identifier: .*spaces"),
    ({"name": "x" * 31}, r"^name: .* at most 30"),
    ({"email": "not-an-address"}, r"^email: .*not an e-mail"),
    ({"email": "a@" + "b" * 250 + ".com"}, r"^email: .* at most 250"),
    ({"security_role": " Admin"}, r"^security_role: .*whitespace"),
])
def test_bad_input_fails_before_any_request(overrides, message):
    client = FakeConnectWise([EXISTING])
    with pytest.raises(EngineError, match=message):
        cw_api_member.run(params(**overrides), client=client)
    assert client.calls == []


def test_unknown_reference_name_lists_close_matches_without_writing():
    client = FakeConnectWise([EXISTING])
    with pytest.raises(EngineError) as info:
        cw_api_member.run(params(security_role="Umbrela Integration"), client=client)
    assert info.value.msg.startswith("security_role: there is no security role named 'Umbrela Integration'")
    assert "'Umbrella Integration'" in info.value.msg
    assert "\n" not in info.value.msg
    assert client.writes == []


def test_unknown_reference_id_names_the_option():
    client = FakeConnectWise([EXISTING])
    with pytest.raises(EngineError, match=r"^location: there is no location with id 99"):
        cw_api_member.run(params(location="99"), client=client)
    assert client.writes == []


def test_reference_by_id_already_set_needs_no_lookup():
    client = FakeConnectWise([EXISTING])
    result = cw_api_member.run(params(security_role="14"), client=client)
    assert not result["changed"]
    assert len(client.calls) == 1


def test_the_member_post_recovers_the_member_by_its_identifier():
    client = FakeConnectWise()
    result = cw_api_member.run(params(name="Cisco Umbrella"), client=client)
    # What the engine reads back when the POST's answer is lost: the member it made.
    assert client.recover() == result["member"]


def object_exists():
    return ConnectWiseError(400, "InvalidObject", "ApiMember object is invalid", method="POST", path="/system/apiMembers",
                            errors=[{"code": "ObjectExists", "message": "The identifier is already in use.",
                                     "field": "identifier"}])


def test_a_member_another_run_created_meanwhile_is_brought_to_what_this_run_wants():
    client = FakeConnectWise()
    # Another run's member appears between this run's lookup and its POST, which ConnectWise refuses.
    client.refuse_post = object_exists()
    original_find = client.find

    def find(path, field, value):
        found = original_find(path, field, value)
        if not client.writes:
            client.tables[path].append(dict(EXISTING, name="Other run", securityRole={"id": 3, "name": "Admin"}))
        return found
    client.find = find

    result = cw_api_member.run(params(name="Cisco Umbrella", security_role="Umbrella Integration"), client=client)
    assert result["changed"] is True and result["created"] is False
    assert [c[0] for c in client.writes] == ["POST", "PATCH"]
    assert client.tables["/system/apiMembers"][0]["name"] == "Cisco Umbrella"
    assert result["member"]["securityRole"] == {"id": 14, "name": "Umbrella Integration"}
    assert result["diff"]["before"]["name"] == "Other run"


def test_an_identifier_in_use_by_no_api_member_is_named_with_the_fix():
    client = FakeConnectWise()
    client.refuse_post = object_exists()
    with pytest.raises(EngineError) as info:
        cw_api_member.run(params(name="Cisco Umbrella"), client=client)
    message = str(info.value)
    assert message.startswith("identifier: ConnectWise answers that 'umbrella' is already in use")
    assert "choose another identifier" in message and "ObjectExists" in message
    assert [c[0] for c in client.writes] == ["POST"]


def test_any_other_refusal_of_the_post_is_the_vendor_error_itself():
    client = FakeConnectWise()
    client.refuse_post = ConnectWiseError(400, "InvalidObject", "ApiMember object is invalid", method="POST",
                                          path="/system/apiMembers",
                                          errors=[{"code": "InvalidField", "field": "name"}])
    with pytest.raises(ConnectWiseError) as info:
        cw_api_member.run(params(name="Cisco Umbrella"), client=client)
    assert info.value is client.refuse_post
    assert len([c for c in client.calls if c[0] == "GET"]) == 1
