"""Unit tests of the cw_api_key engine against a small in-memory ConnectWise fake (CX3 on or off)."""

import copy
import json

import pytest

from ansible_collections.msp.umbrella_psa.plugins.module_utils import cw_api_key
from ansible_collections.msp.umbrella_psa.plugins.module_utils.connectwise import (
    ConnectWiseClient, ConnectWiseError, ConnectWiseNotFound, ConnectWiseUnsupported, conditions)
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import CHECK_MODE_PLACEHOLDER, EngineError

MEMBER = {"id": 42, "identifier": "umbrella", "name": "Cisco Umbrella"}
KEYS_PATH = "/system/apiMembers/42/apiKeys"


def key(key_id, when, description="Cisco Umbrella"):
    return {"id": key_id, "description": description, "publicKey": "PUB%d" % key_id,
            "_info": {"dateEntered": when, "enteredBy": "admin"}}


class FakeConnectWise:
    # The client's own probe, over this fake's list().
    offers = ConnectWiseClient.offers

    def __init__(self, keys=(), extension=True, members=(MEMBER,), fail_delete=False):
        self.members = [copy.deepcopy(m) for m in members]
        self.keys = [copy.deepcopy(k) for k in keys]
        self.extension = extension
        self.fail_delete = fail_delete
        self.calls = []
        self.next_id = 100

    @property
    def writes(self):
        return [c for c in self.calls if c[0] != "GET"]

    def find(self, path, field, value):
        self.calls.append(("GET", path, value))
        return [copy.deepcopy(m) for m in self.members if m[field].casefold() == value.casefold()]

    def list(self, path, conditions=None, fields=None, order_by=None):
        self.calls.append(("GET", path, conditions))
        if not self.extension:
            raise ConnectWiseUnsupported(404, "NotFound", "The endpoint does not exist.", method="GET", path=path)
        if path != KEYS_PATH:
            # Member id 0, which no member has: the route exists, the record does not.
            assert path == "/system/apiMembers/0/apiKeys"
            raise ConnectWiseNotFound(404, "NotFound", "ApiMember recordId 0 not found", method="GET", path=path)
        # The server compares case-insensitively: the engine must filter exactly itself.
        wanted = conditions.split("=", 1)[1].strip('"').casefold()
        return [copy.deepcopy(k) for k in self.keys if k["description"].casefold() == wanted]

    def post(self, path, body, recover=None):
        self.recover = recover  # what the engine would read back after a lost answer
        self.calls.append(("POST", path, copy.deepcopy(body)))
        self.next_id += 1
        created = dict(key(self.next_id, "2026-03-01T00:00:00Z", body["description"]))
        self.keys.append(copy.deepcopy(created))
        return dict(created, privateKey="PRIVATE-SECRET-%d" % self.next_id)

    def delete(self, path):
        self.calls.append(("DELETE", path, None))
        if self.fail_delete:
            raise ConnectWiseError(500, "Boom", "server error", method="DELETE", path=path)
        key_id = int(path.rsplit("/", 1)[1])
        self.keys = [k for k in self.keys if k["id"] != key_id]


def params(**overrides):
    base = {"member": "umbrella", "description": "Cisco Umbrella", "state": "present", "rotate": "never",
            "revoke_previous": False, "on_unsupported": "fail"}
    base.update(overrides)
    return base


def test_creates_key_and_returns_private_key_only_then():
    client = FakeConnectWise()
    result = cw_api_key.run(params(), client=client)
    assert result["changed"] and result["created"] and not result["rotated"]
    assert client.writes == [("POST", KEYS_PATH, {"description": "Cisco Umbrella"})]
    assert result["private_key"] == "PRIVATE-SECRET-101"
    assert result["public_key"] == "PUB101"
    assert result["key"] == {"id": 101, "description": "Cisco Umbrella", "public_key": "PUB101",
                             "created_at": "2026-03-01T00:00:00Z"}
    assert "PRIVATE" not in json.dumps(result["diff"])
    assert "PRIVATE" not in json.dumps(result["key"])

    again = cw_api_key.run(params(), client=client)
    assert not again["changed"] and not again["created"]
    assert "private_key" not in again
    assert again["key"]["id"] == 101
    assert len(client.writes) == 1


def test_list_uses_the_conditions_builder_and_filters_exactly():
    client = FakeConnectWise(keys=[key(1, "2026-01-01T00:00:00Z", "cisco umbrella")])
    result = cw_api_key.run(params(), client=client)
    assert ("GET", KEYS_PATH, conditions.eq("description", "Cisco Umbrella")) in client.calls
    # The lower-case key is another description: a new key is created.
    assert result["created"]


def test_newest_key_is_current_by_date_then_id():
    keys = [key(5, "2026-01-01T00:00:00Z"), key(9, "2026-02-01T00:00:00Z"), key(7, "2026-02-01T00:00:00Z")]
    result = cw_api_key.run(params(), client=FakeConnectWise(keys))
    assert result["key"]["id"] == 9
    assert [k["id"] for k in result["previous_keys"]] == [7, 5]
    assert not result["changed"]


def test_rotate_always_creates_and_revokes_only_with_revoke_previous():
    client = FakeConnectWise([key(5, "2026-01-01T00:00:00Z")])
    kept = cw_api_key.run(params(rotate="always"), client=client)
    assert kept["created"] and kept["rotated"] and kept["revoked"] == []
    assert [k["id"] for k in kept["previous_keys"]] == [5]

    revoked = cw_api_key.run(params(rotate="always", revoke_previous=True), client=client)
    assert revoked["revoked"] == [101, 5]
    assert revoked["previous_keys"] == []
    assert [k["id"] for k in client.keys] == [102]
    # The new key is created before the old ones go: never a moment without a key.
    methods = [c[0] for c in client.writes[1:]]
    assert methods[0] == "POST" and set(methods[1:]) == {"DELETE"}


def test_rotate_in_check_mode_uses_placeholders_and_writes_nothing():
    client = FakeConnectWise([key(5, "2026-01-01T00:00:00Z")])
    result = cw_api_key.run(params(rotate="always", revoke_previous=True), check_mode=True, client=client)
    assert result["changed"] and result["created"] and result["rotated"]
    assert result["public_key"] == result["private_key"] == CHECK_MODE_PLACEHOLDER
    assert result["revoked"] == [5]
    assert result["diff"]["before"] == {"keys": [{"id": 5, "public_key": "PUB5", "created_at": "2026-01-01T00:00:00Z"}]}
    assert result["diff"]["after"]["keys"][0]["id"] == CHECK_MODE_PLACEHOLDER
    assert client.writes == []


def test_revoke_previous_with_rotate_never_removes_older_duplicates():
    client = FakeConnectWise([key(5, "2026-01-01T00:00:00Z"), key(6, "2026-01-02T00:00:00Z")])
    result = cw_api_key.run(params(revoke_previous=True), client=client)
    assert result["changed"] and not result["created"]
    assert result["key"]["id"] == 6 and result["revoked"] == [5]
    assert client.writes == [("DELETE", KEYS_PATH + "/5", None)]


def test_absent_deletes_every_key_with_the_description():
    client = FakeConnectWise([key(5, "2026-01-01T00:00:00Z"), key(6, "2026-01-02T00:00:00Z"),
                              key(8, "2026-01-02T00:00:00Z", "Other")])
    result = cw_api_key.run(params(state="absent"), client=client)
    assert result["changed"] and sorted(result["revoked"]) == [5, 6] and result["key"] is None
    assert [k["id"] for k in client.keys] == [8]
    again = cw_api_key.run(params(state="absent"), client=client)
    assert not again["changed"]


def test_unknown_member_is_a_clear_error():
    client = FakeConnectWise(members=())
    with pytest.raises(EngineError, match=r"^member: there is no API member with identifier 'umbrella'"):
        cw_api_key.run(params(), client=client)


def test_unknown_member_in_check_mode_predicts_a_new_key():
    result = cw_api_key.run(params(), check_mode=True, client=FakeConnectWise(members=()))
    assert result["changed"] and result["private_key"] == CHECK_MODE_PLACEHOLDER
    assert result["warnings"] and result["extension"] is None


def test_unknown_member_in_check_mode_without_the_key_api_predicts_the_manual_steps():
    # The real run would find the key API missing once the member exists: the plan says so now.
    client = FakeConnectWise(members=(), extension=False)
    result = cw_api_key.run(params(on_unsupported="report"), check_mode=True, client=client)
    assert result["extension"] is False and result["created"] is False and not result.get("private_key")
    assert "API Members › umbrella › API Keys: click +" in result["manual_steps"][0]
    assert client.writes == [] and client.calls[-1][1] == "/system/apiMembers/0/apiKeys"


def test_unsupported_fails_with_manual_steps():
    client = FakeConnectWise(extension=False)
    with pytest.raises(EngineError) as info:
        cw_api_key.run(params(), client=client)
    assert "API Members › umbrella › API Keys: click +, Description 'Cisco Umbrella'" in info.value.msg
    assert info.value.result["manual_steps"]
    assert client.writes == []


def test_unsupported_report_returns_steps_and_no_key():
    result = cw_api_key.run(params(on_unsupported="report"), client=FakeConnectWise(extension=False))
    assert result["changed"] is False and result["key"] is None and result["extension"] is False
    assert len(result["manual_steps"]) == 1
    assert "psa_integration_private_key" in result["manual_steps"][0]


def test_failed_revoke_keeps_the_new_private_key_in_the_failed_result_not_the_message():
    client = FakeConnectWise([key(5, "2026-01-01T00:00:00Z")], fail_delete=True)
    with pytest.raises(EngineError) as info:
        cw_api_key.run(params(rotate="always", revoke_previous=True), client=client)
    assert info.value.result["private_key"] == "PRIVATE-SECRET-101"
    assert "PRIVATE" not in info.value.msg


@pytest.mark.parametrize("overrides, message", [
    ({"description": ""}, r"^description: must not be empty"),
    ({"description": "x" * 101}, r"^description: .* is 101 characters long; ConnectWise allows at most 100"),
])
def test_bad_description_fails_before_any_request(overrides, message):
    client = FakeConnectWise()
    with pytest.raises(EngineError, match=message):
        cw_api_key.run(params(**overrides), client=client)
    assert client.calls == []


def test_member_id_saves_the_member_lookup():
    client = FakeConnectWise(keys=[key(5, "2026-01-01T00:00:00Z")])
    result = cw_api_key.run(params(member_id=42), client=client)
    assert result["key"]["id"] == 5 and not result["changed"]
    assert result["member"] == {"id": 42, "identifier": "umbrella"}
    assert client.calls == [("GET", KEYS_PATH, conditions.eq("description", "Cisco Umbrella"))]


def test_a_key_whose_answer_was_lost_is_deleted_and_created_again():
    """The private half was in the lost answer: the key the POST made is useless and must not stay."""
    import requests
    from fake_http import FakeClock, FakeServer, Reply

    api = "/v2025_1/apis/3.0"
    clock = FakeClock()
    server = FakeServer(clock=clock)
    session = requests.Session()
    server.mount_on(session)
    client = ConnectWiseClient("cw.example.test", "acme", "Pub", "Priv", "guid", codebase="v2025_1/",
                               session=session, sleep=clock.sleep, clock=clock, rand=lambda: 0.5)
    old = key(5, "2026-01-01T00:00:00Z")
    lost = key(6, "2026-03-01T00:00:00Z")
    fresh = dict(key(7, "2026-03-01T00:00:01Z"), privateKey="PRIVATE-SECRET-7")
    # The first POST is applied (key 6) but its answer never arrives; then the key list shows key 6.
    server.script("GET", api + KEYS_PATH, Reply(200, json=[old]), Reply(200, json=[old, lost]))
    server.script("POST", api + KEYS_PATH, requests.exceptions.ConnectionError("Connection aborted"),
                  Reply(201, json=fresh))
    server.script("DELETE", api + KEYS_PATH + "/6", Reply(204))

    result = cw_api_key.run(params(member_id=42, rotate="always"), client=client)

    assert [(r.method, r.path_url.split("?")[0]) for r in server.requests] == [
        ("GET", api + KEYS_PATH), ("POST", api + KEYS_PATH), ("GET", api + KEYS_PATH),
        ("DELETE", api + KEYS_PATH + "/6"), ("POST", api + KEYS_PATH)]
    assert result["created"] and result["private_key"] == "PRIVATE-SECRET-7" and result["public_key"] == "PUB7"
    # The older key (not made by this POST) is untouched: revoking it is the role's later step.
    assert result["previous_keys"] == [cw_api_key.previous_view(old)]


def test_the_key_post_tells_the_client_how_to_recover():
    client = FakeConnectWise(keys=[key(5, "2026-01-01T00:00:00Z")])
    cw_api_key.run(params(rotate="always"), client=client)
    # As if the answer had been lost: the recovery deletes the key the POST made (101), not key 5.
    assert client.recover() is None
    assert [k["id"] for k in client.keys] == [5]
    assert client.writes[-1] == ("DELETE", KEYS_PATH + "/101", None)


def test_revoke_previous_keeps_the_key_in_use_even_when_a_newer_one_exists():
    # Another run created key 7 after the key in use (6) was stored and pushed: "all but the newest"
    # would revoke the key the console holds.
    client = FakeConnectWise([key(5, "2026-01-01T00:00:00Z"), key(6, "2026-01-02T00:00:00Z"),
                              key(7, "2026-01-03T00:00:00Z")])
    result = cw_api_key.run(params(revoke_previous=True, keep_public_key="PUB6"), client=client)
    assert result["key"]["id"] == 6 and sorted(result["revoked"]) == [5, 7]
    assert result["previous_keys"] == []


def test_revoke_previous_revokes_nothing_when_the_key_to_keep_is_not_on_the_server():
    client = FakeConnectWise([key(5, "2026-01-01T00:00:00Z"), key(6, "2026-01-02T00:00:00Z")])
    result = cw_api_key.run(params(revoke_previous=True, keep_public_key="PUB-GONE"), client=client)
    assert result["revoked"] == [] and client.writes == []
    assert "not revoked" in result["warnings"][0]
    assert [k["id"] for k in result["previous_keys"]] == [5]


def test_check_mode_revocation_for_a_key_still_to_be_created_names_every_listed_key():
    # A rotation's plan: the new key is a placeholder, so the real run would find it beside these two
    # and revoke both; the plan must say so (and write nothing).
    client = FakeConnectWise(keys=[key(1, "2026-01-01T00:00:00Z"), key(2, "2026-02-01T00:00:00Z")])
    result = cw_api_key.run(params(revoke_previous=True, keep_public_key=CHECK_MODE_PLACEHOLDER),
                            check_mode=True, client=client)
    assert sorted(result["revoked"]) == [1, 2] and result["changed"] is True
    assert client.writes == []
    # The real run after it, with the new key on the server, revokes the same two.
    client.keys.append(key(3, "2026-03-01T00:00:00Z"))
    done = cw_api_key.run(params(revoke_previous=True, keep_public_key="PUB3"), client=client)
    assert sorted(done["revoked"]) == [1, 2]
