"""cw_api_member in real ansible-playbook runs against the emulator, in both profiles.

The member lives in ConnectWise's published API, so both profiles behave the same; running both proves
the module never touches an extension route.
"""

import itertools

import pytest

from support.ansible_runner import REPO_ROOT
from support.emulator import cw_headers, new_session
from support.module_play import play_module

PLAYBOOK = REPO_ROOT / "tests" / "integration" / "playbooks" / "cw_api_member" / "main.yml"
CLIENT_ID = "7a1c0c55-7d55-4d4c-9a43-0d1f3e1a1a01"
_numbers = itertools.count(1)


@pytest.fixture
def tenant(emulator, tmp_path):
    """A fresh ConnectWise company, plus a second security role to move the member to."""
    company_id = "mem%s%d" % (emulator.profile[:3], next(_numbers))
    seeded = emulator.control.create_tenant(connectwise={"company_id": company_id, "client_id": CLIENT_ID})
    cw = seeded["connectwise"]
    session = new_session(emulator.ca_file)
    answer = session.post(emulator.cw_base + "/system/securityRoles", json={"name": "Umbrella Integration"},
                          headers=cw_headers(company_id, cw["public_key"], cw["private_key"], CLIENT_ID))
    assert answer.status_code == 201, answer.text
    connection = {"cw_site": emulator.url.split("://", 1)[1], "cw_company_id": company_id,
                  "cw_public_key": cw["public_key"], "cw_private_key": cw["private_key"],
                  "cw_client_id": CLIENT_ID, "ca_file": emulator.ca_file}
    return {"emulator": emulator, "connection": connection, "company_id": company_id,
            "role_id": answer.json()["id"], "session": session, "cw": cw, "tmp": tmp_path}


def play(tenant, *args, **options):
    """Run the playbook; return (task result, the run: vendor requests of that run only)."""
    run = play_module(PLAYBOOK, tenant["emulator"], tenant["tmp"], tenant["connection"], *args, verbose=False,
                      **options)
    return run.result, run


def stored_member(tenant, identifier):
    answer = tenant["session"].get(tenant["emulator"].cw_base + "/system/apiMembers",
                                   params={"conditions": 'identifier="%s"' % identifier},
                                   headers=cw_headers(tenant["company_id"], tenant["cw"]["public_key"],
                                                      tenant["cw"]["private_key"], CLIENT_ID))
    assert answer.status_code == 200
    found = answer.json()
    return found[0] if found else None


MEMBER = {"identifier": "umbrella", "member_name": "Cisco Umbrella", "email": "noc@example.com",
          "security_role": "Admin", "time_zone": "GMT-5/Eastern Time: US & Canada", "location": "Remote",
          "department": "Services"}


def test_check_mode_predicts_create_and_writes_nothing(tenant):
    result, run = play(tenant, "--check", "--diff", **MEMBER)
    assert result["changed"] is True and result["created"] is True
    assert result["member"]["id"] == "<created in check mode>"
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["securityRole"]["name"] == "Admin"
    assert run.writes == 0
    assert stored_member(tenant, "umbrella") is None


def test_create_then_rerun_is_ok_with_zero_writes(tenant):
    created, run = play(tenant, "--diff", **MEMBER)
    assert created["changed"] is True and created["created"] is True
    assert run.by_method.get("POST") == 1 and run.writes == 1
    member = stored_member(tenant, "umbrella")
    assert member["name"] == "Cisco Umbrella"
    assert member["securityRole"]["name"] == "Admin"
    assert member["timeZone"]["id"] == 1 and member["defaultLocation"]["name"] == "Remote"
    assert created["member"]["id"] == member["id"]

    again, run = play(tenant, "--diff", **MEMBER)
    assert again["changed"] is False and again["created"] is False
    assert run.writes == 0
    # The member lookup, plus at most the codebase discovery of a fresh process: references are not re-read.
    assert run.by_method.get("GET", 0) <= 2
    assert again["manual_steps"] == []


def test_update_check_mode_diff_then_patch_only_changed_fields(tenant):
    play(tenant, **MEMBER)
    # The member holds another role (Admin): giving it this one takes it over, on purpose only.
    refused, run = play(tenant, **{**MEMBER, "security_role": str(tenant["role_id"])})
    assert refused["failed"] is True and run.writes == 0
    assert "holds the security role 'Admin'" in refused["msg"] and "psa_takeover" in refused["msg"]
    changed = {**MEMBER, "security_role": str(tenant["role_id"]), "email": "soc@example.com", "takeover": True}

    predicted, run = play(tenant, "--check", "--diff", **changed)
    assert predicted["changed"] is True
    assert run.writes == 0
    assert predicted["diff"] == {
        "before": {"emailAddress": "noc@example.com", "securityRole": {"id": 1, "name": "Admin"}},
        "after": {"emailAddress": "soc@example.com",
                  "securityRole": {"id": tenant["role_id"], "name": "Umbrella Integration"}}}

    real, run = play(tenant, "--diff", **changed)
    assert real["changed"] is True and real["diff"] == predicted["diff"]
    assert run.by_method.get("PATCH") == 1 and run.writes == 1
    member = stored_member(tenant, "umbrella")
    assert member["securityRole"]["id"] == tenant["role_id"] and member["emailAddress"] == "soc@example.com"


def test_absent_deactivates_and_present_reactivates(tenant):
    play(tenant, **MEMBER)
    gone, run = play(tenant, "--diff", identifier="umbrella", member_state="absent")
    assert gone["changed"] is True
    assert gone["diff"] == {"before": {"inactiveFlag": False}, "after": {"inactiveFlag": True}}
    assert run.by_method.get("PATCH") == 1
    assert stored_member(tenant, "umbrella")["inactiveFlag"] is True

    again, run = play(tenant, identifier="umbrella", member_state="absent")
    assert again["changed"] is False and run.writes == 0

    back, run = play(tenant, "--diff", identifier="umbrella")
    assert back["changed"] is True and back["diff"]["after"] == {"inactiveFlag": False}
    assert stored_member(tenant, "umbrella")["inactiveFlag"] is False


@pytest.mark.parametrize("options, start", [
    ({"identifier": "much-too-long-identifier", "member_name": "X"}, "identifier: "),
    ({"identifier": "umbrella", "member_name": "Y", "email": "not-an-address"}, "email: "),
    ({"identifier": "umbrella", "member_name": "Y", "security_role": "Umbrela Integration"}, "security_role: "),
])
def test_bad_input_fails_in_one_line_before_any_write(tenant, options, start):
    result, run = play(tenant, **options)
    assert result.get("failed") is True
    assert result["msg"].startswith(start) and "\n" not in result["msg"]
    assert run.writes == 0
    if options.get("security_role"):
        assert "'Umbrella Integration'" in result["msg"]  # the close match


def test_missing_name_on_create_is_an_error(tenant):
    result, run = play(tenant, identifier="nobody")
    assert result.get("failed") is True and result["msg"].startswith("name: required")
    assert run.writes == 0


def test_wrong_bootstrap_key_fails_with_status(tenant):
    tenant = dict(tenant, connection=dict(tenant["connection"], cw_private_key="wrong-private-key"))
    result, run = play(tenant, **MEMBER)
    assert result.get("failed") is True and "401" in result["msg"]
    assert "wrong-private-key" not in result["msg"]
    assert run.writes == 0
