"""cw_api_key in real ansible-playbook runs against the emulator, in both profiles.

extended: the key extension (CX3) is served: keys are created, kept, rotated and revoked, and every key
pair the module hands out really authenticates. public: the module returns the manual steps, a person
follows them (through the emulator's control API), and the key they made works.
"""

import itertools
import json

import pytest

from support.ansible_runner import REPO_ROOT
from support.emulator import cw_headers, new_session
from support.module_play import play_module, skip_unless_profile

PLAYBOOK = REPO_ROOT / "tests" / "integration" / "playbooks" / "cw_api_key" / "main.yml"
CLIENT_ID = "7a1c0c55-7d55-4d4c-9a43-0d1f3e1a1a02"
DESCRIPTION = "Cisco Umbrella"
_numbers = itertools.count(1)


@pytest.fixture
def tenant(emulator, tmp_path):
    """A fresh ConnectWise company with the API member 'umbrella' (made through the published API)."""
    company_id = "key%s%d" % (emulator.profile[:3], next(_numbers))
    cw = emulator.control.create_tenant(connectwise={"company_id": company_id, "client_id": CLIENT_ID})["connectwise"]
    session = new_session(emulator.ca_file)
    answer = session.post(emulator.cw_base + "/system/apiMembers",
                          json={"identifier": "umbrella", "name": "Cisco Umbrella"},
                          headers=cw_headers(company_id, cw["public_key"], cw["private_key"], CLIENT_ID))
    assert answer.status_code == 201, answer.text
    connection = {"cw_site": emulator.url.split("://", 1)[1], "cw_company_id": company_id,
                  "cw_public_key": cw["public_key"], "cw_private_key": cw["private_key"],
                  "cw_client_id": CLIENT_ID, "ca_file": emulator.ca_file, "member": "umbrella",
                  "description": DESCRIPTION}
    return {"emulator": emulator, "connection": connection, "company_id": company_id, "session": session,
            "tmp": tmp_path}


def play(tenant, *args, **options):
    """Run the module; ``run.key_pair`` is what the playbook wrote to its key store (None if nothing)."""
    key_store = tenant["tmp"] / ("key-%d.json" % next(_numbers))
    run = play_module(PLAYBOOK, tenant["emulator"], tenant["tmp"], tenant["connection"], *args,
                      key_store=str(key_store), **options)
    run.key_pair = json.loads(key_store.read_text()) if key_store.exists() else None
    return run


def authenticates(tenant, public_key, private_key):
    """Whether a key pair is accepted by ConnectWise (a read every key may do)."""
    emulator = tenant["emulator"]
    answer = tenant["session"].get(emulator.cw_base + "/system/mySecurity",
                                   headers=cw_headers(tenant["company_id"], public_key, private_key, CLIENT_ID))
    return answer.status_code == 200


def extended_only(tenant):
    skip_unless_profile(tenant["emulator"], "extended", "the key extension is served in the extended profile only")


def public_only(tenant):
    skip_unless_profile(tenant["emulator"], "public", "manual steps are returned in the public profile only")


def test_check_mode_predicts_a_new_key_and_writes_nothing(tenant):
    extended_only(tenant)
    run = play(tenant, "--check", "--diff")
    assert run.result["changed"] is True and run.result["created"] is True
    assert run.result["public_key"] == "<created in check mode>" and run.result["has_private_key"] is True
    assert run.result["diff"] == {"before": {"keys": []}, "after": {"keys": [
        {"id": "<created in check mode>", "public_key": "<created in check mode>",
         "created_at": "<created in check mode>"}]}}
    assert run.writes == 0 and run.key_pair is None


def test_create_returns_a_working_key_once_then_keeps_it(tenant):
    extended_only(tenant)
    created = play(tenant, "--diff")
    assert created.result["changed"] is True and created.result["created"] is True
    assert created.by_method.get("POST") == 1 and created.writes == 1
    pair = created.key_pair
    assert pair["public_key"] == created.result["public_key"] == created.result["key"]["public_key"]
    assert authenticates(tenant, pair["public_key"], pair["private_key"])
    # no_log on the task, and the private key is in neither the diff nor any output, even at -vvv.
    assert pair["private_key"] not in created.output
    assert pair["private_key"] not in json.dumps(created.result)

    again = play(tenant, "--diff")
    assert again.result["changed"] is False and again.result["created"] is False
    assert again.result["has_private_key"] is False
    assert again.result["key"]["id"] == created.result["key"]["id"]
    assert again.writes == 0


def module_task_output(run):
    """What the run printed for the cw_api_key task alone (the playbook's other tasks have no_log)."""
    return run.output.split("TASK [Manage the key]", 1)[1].split("TASK [", 1)[0]


def test_without_no_log_on_the_task_the_module_hides_its_private_key_alone(tenant):
    extended_only(tenant)
    created = play(tenant, task_no_log=False)  # at -vvv, as every run of play()
    pair = created.key_pair
    assert created.result["created"] is True and authenticates(tenant, pair["public_key"], pair["private_key"])
    assert pair["private_key"] not in created.output
    assert "the output has been hidden" in module_task_output(created)
    # A result without a private key stays visible: the kept key, and a failure's message.
    kept = play(tenant, task_no_log=False)
    assert kept.result["created"] is False
    assert "the output has been hidden" not in module_task_output(kept)
    assert '"public_key": "%s"' % pair["public_key"] in module_task_output(kept)
    missing = play(tenant, member="nobody", task_no_log=False)
    assert "member: there is no API member with identifier 'nobody'" in module_task_output(missing)
    assert tenant["connection"]["cw_private_key"] not in missing.output


def test_rotate_always_with_revoke_previous_replaces_the_key(tenant):
    extended_only(tenant)
    first = play(tenant)
    predicted = play(tenant, "--check", rotate="always", revoke_previous=True)
    assert predicted.result["changed"] is True and predicted.result["rotated"] is True
    assert predicted.result["revoked"] == [first.result["key"]["id"]]
    assert predicted.writes == 0

    rotated = play(tenant, rotate="always", revoke_previous=True)
    assert rotated.result["rotated"] is True
    assert rotated.result["revoked"] == [first.result["key"]["id"]]
    assert rotated.by_method == {"GET": rotated.by_method["GET"], "POST": 1, "DELETE": 1}
    assert authenticates(tenant, rotated.key_pair["public_key"], rotated.key_pair["private_key"])
    assert not authenticates(tenant, first.key_pair["public_key"], first.key_pair["private_key"])


def test_absent_revokes_every_key_with_the_description(tenant):
    extended_only(tenant)
    first = play(tenant)
    play(tenant, rotate="always")
    gone = play(tenant, "--diff", key_state="absent")
    assert gone.result["changed"] is True and len(gone.result["revoked"]) == 2
    assert gone.result["diff"]["after"] == {"keys": []}
    assert not authenticates(tenant, first.key_pair["public_key"], first.key_pair["private_key"])
    again = play(tenant, key_state="absent")
    assert again.result["changed"] is False and again.writes == 0


def test_unknown_member_and_bad_description_fail_before_any_write(tenant):
    missing = play(tenant, member="nobody")
    assert missing.result["failed"] is True
    assert missing.result["msg"].startswith("member: there is no API member with identifier 'nobody'")
    assert missing.writes == 0
    too_long = play(tenant, description="x" * 101)
    assert too_long.result["failed"] is True and too_long.result["msg"].startswith("description: ")
    assert sum(too_long.by_method.values()) == 0


def test_public_server_fails_with_the_manual_steps(tenant):
    public_only(tenant)
    run = play(tenant)
    assert run.result["failed"] is True
    assert "API Members › umbrella › API Keys: click +, Description 'Cisco Umbrella'" in run.result["msg"]
    assert run.result["manual_steps"] and run.writes == 0


def test_public_server_reports_steps_then_a_person_makes_the_key(tenant):
    public_only(tenant)
    reported = play(tenant, "--diff", on_unsupported="report")
    assert reported.result["changed"] is False and reported.result["extension"] is False
    assert reported.result["key"] is None and reported.result["has_private_key"] is False
    assert reported.result["manual_steps"] == [
        "ConnectWise: System › Members › API Members › umbrella › API Keys: click +, Description 'Cisco Umbrella', "
        "Save; copy the public and private key (the private key is shown only once) into the tenant's vault "
        "variables psa_integration_public_key / psa_integration_private_key (ansible-vault encrypt_string)"]
    assert reported.writes == 0

    # The person follows the step; the key they copy works.
    made = tenant["emulator"].control.cw_member_key(tenant["company_id"], "umbrella", DESCRIPTION)
    assert authenticates(tenant, made["publicKey"], made["privateKey"])

    # The public API cannot list keys, so the next run still cannot see it: same steps, still no write.
    again = play(tenant, on_unsupported="report")
    assert again.result["manual_steps"] == reported.result["manual_steps"] and again.writes == 0
