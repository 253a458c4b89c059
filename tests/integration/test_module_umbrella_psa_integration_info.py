"""umbrella_psa_integration_info in real ansible-playbook runs against the emulator, in both profiles.

extended: the settings a person typed into the console (UX1) and the last sync's status (UX3) are
returned, the private key never. public: the task does not fail; it says where in the console to look.
"""

import itertools

import pytest

from support.ansible_runner import REPO_ROOT
from support.module_play import play_module, skip_unless_profile

PLAYBOOK = REPO_ROOT / "tests" / "integration" / "playbooks" / "umbrella_psa_integration_info" / "main.yml"
PRIVATE_KEY = "pRiv4teK3y-of-the-umbrella-info-member"
_numbers = itertools.count(1)

FORM = {"psa": "connectwise", "enabled": True,
        "connectwise": {"site": "api-na.myconnectwise.net", "companyId": "acme", "publicKey": "PubKey0123456789",
                        "privateKey": PRIVATE_KEY},
        "ticketing": {"serviceBoard": "Umbrella Alerts", "queryThreshold": 10}}
NEVER_SYNCED = {"lastSyncAt": None, "ok": None, "lastError": None, "lastSuccessfulSyncAt": None}


@pytest.fixture
def tenant(emulator, tmp_path):
    org_id = 7100000 + next(_numbers) + (0 if emulator.profile == "extended" else 500)
    org = emulator.control.create_tenant(name="org%d" % org_id,
                                         umbrella={"org_id": org_id, "api_key": "key-%d" % org_id})["umbrella"]
    connection = {"umbrella_url": emulator.url, "umbrella_api_key": org["apiKey"],
                  "umbrella_api_secret": org["apiSecret"], "umbrella_org_id": str(org_id),
                  "ca_file": emulator.ca_file}
    return {"emulator": emulator, "connection": connection, "org_id": org_id, "tmp": tmp_path}


def play(tenant, *args):
    return play_module(PLAYBOOK, tenant["emulator"], tenant["tmp"], tenant["connection"], *args,
                       secrets=[PRIVATE_KEY])


@pytest.mark.parametrize("check", [False, True], ids=["run", "check"])
def test_extended_returns_the_settings_and_status_never_the_private_key(tenant, check):
    skip_unless_profile(tenant["emulator"], "extended", "the PSA extension is served in the extended profile only")
    args = ("--check",) if check else ()
    empty = play(tenant, *args)
    assert empty.result.get("failed") is not True, empty.output
    assert empty.result["extension"] is True and empty.result["changed"] is False
    assert empty.result["integration"]["psa"] == "none"
    assert empty.result["status"] == NEVER_SYNCED and empty.result["notes"] == []

    tenant["emulator"].control.umbrella_psa_form(tenant["org_id"], FORM)
    # play_module asserts the private key is in neither the output (-vvv) nor the registered result.
    read = play(tenant, *args)
    assert read.result["changed"] is False and read.result["extension"] is True
    integration = read.result["integration"]
    assert integration["psa"] == "connectwise" and integration["enabled"] is True
    assert integration["connectwise"] == {"site": "api-na.myconnectwise.net", "companyId": "acme",
                                          "publicKey": "PubKey0123456789", "privateKeySet": True}
    assert integration["ticketing"] == {"serviceBoard": "Umbrella Alerts", "queryThreshold": 10}
    assert read.result["status"] == NEVER_SYNCED and read.result["notes"] == []
    assert read.count("GET /admin/v2/psa/integration") == 1 and read.count("GET /admin/v2/psa/status") == 1
    assert read.writes == 0


def test_extended_status_after_a_sync(tenant):
    skip_unless_profile(tenant["emulator"], "extended", "the PSA extension is served in the extended profile only")
    tenant["emulator"].control.umbrella_psa_form(tenant["org_id"], FORM)
    report = tenant["emulator"].control.psa_sync(tenant["org_id"])
    read = play(tenant)
    status = read.result["status"]
    assert status["lastSyncAt"] == report["at"] and status["ok"] is report["ok"]
    assert (status["lastError"] is None) is report["ok"]


@pytest.mark.parametrize("check", [False, True], ids=["run", "check"])
def test_public_says_where_to_look_and_does_not_fail(tenant, check):
    skip_unless_profile(tenant["emulator"], "public", "the settings are unreadable in the public profile only")
    # A person set the integration up in the console; the public API still cannot read it.
    tenant["emulator"].control.umbrella_psa_form(tenant["org_id"], FORM)
    read = play(tenant, *(("--check",) if check else ()))
    assert read.result.get("failed") is not True, read.output
    assert read.result["changed"] is False and read.result["extension"] is False
    assert read.result["integration"] is None and read.result["status"] is None
    assert len(read.result["notes"]) == 1
    assert "public API" in read.result["notes"][0]
    assert "MSP Settings › PSA Integration Details" in read.result["notes"][0]
    assert read.writes == 0 and read.count("GET /admin/v2/psa/status") == 0
