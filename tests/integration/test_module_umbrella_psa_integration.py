"""umbrella_psa_integration in real ansible-playbook runs against the emulator, in both profiles.

extended: the PSA extension (UX1) is served: set up, kept, changed, removed. public: the module returns
the manual steps, never the private key, and a person follows them in the console (the emulator's
control API).
"""

import itertools

import pytest

from support.ansible_runner import REPO_ROOT
from support.module_play import play_module, skip_unless_profile

PLAYBOOK = REPO_ROOT / "tests" / "integration" / "playbooks" / "umbrella_psa_integration" / "main.yml"
PRIVATE_KEY = "pRiv4teK3y-of-the-umbrella-member"
_numbers = itertools.count(1)

SETTINGS = {"connectwise_site": "api-na.myconnectwise.net", "connectwise_company_id": "acme",
            "psa_public_key": "PubKey0123456789", "psa_private_key": PRIVATE_KEY,
            "service_board": "Umbrella Alerts", "query_threshold": 10}


@pytest.fixture
def tenant(emulator, tmp_path):
    org_id = 7000000 + next(_numbers) + (0 if emulator.profile == "extended" else 500)
    org = emulator.control.create_tenant(name="org%d" % org_id,
                                         umbrella={"org_id": org_id, "api_key": "key-%d" % org_id})["umbrella"]
    connection = {"umbrella_url": emulator.url, "umbrella_api_key": org["apiKey"],
                  "umbrella_api_secret": org["apiSecret"], "umbrella_org_id": str(org_id),
                  "ca_file": emulator.ca_file}
    return {"emulator": emulator, "connection": connection, "org_id": org_id, "tmp": tmp_path}


def play(tenant, *args, **options):
    return play_module(PLAYBOOK, tenant["emulator"], tenant["tmp"], tenant["connection"], *args,
                       secrets=[PRIVATE_KEY], **options)


def stored(tenant):
    return tenant["emulator"].control.state()["umbrella"]["orgs"][str(tenant["org_id"])]["psa"]


def extended_only(tenant):
    skip_unless_profile(tenant["emulator"], "extended", "the PSA extension is served in the extended profile only")


def public_only(tenant):
    skip_unless_profile(tenant["emulator"], "public", "manual steps are returned in the public profile only")


def test_check_mode_then_create_then_rerun(tenant):
    extended_only(tenant)
    predicted = play(tenant, "--check", "--diff", **SETTINGS)
    assert predicted.result["changed"] is True and predicted.writes == 0
    assert predicted.result["diff"]["before"] == {"psa": "none"}
    assert predicted.result["diff"]["after"]["connectwise"]["privateKey"] == "<write-only, updated>"
    assert stored(tenant)["psa"] == "none"

    created = play(tenant, "--diff", **SETTINGS)
    assert created.result["changed"] is True and created.result["extension"] is True
    assert created.count("PUT /admin/") == 1 and created.writes == 1
    assert created.result["diff"] == predicted.result["diff"]
    integration = created.result["integration"]
    assert integration["connectwise"] == {"site": "api-na.myconnectwise.net", "companyId": "acme",
                                          "publicKey": "PubKey0123456789", "privateKeySet": True}
    assert integration["ticketing"] == {"serviceBoard": "Umbrella Alerts", "queryThreshold": 10}

    again = play(tenant, "--diff", **SETTINGS)
    assert again.result["changed"] is False and again.writes == 0
    assert again.count("GET /admin/") == 1
    assert again.result["diff"]["after"]["connectwise"]["privateKey"] == "<write-only, unchanged>"


def test_change_is_predicted_then_put_without_resending_the_key(tenant):
    extended_only(tenant)
    play(tenant, **SETTINGS)
    changed = {**SETTINGS, "enabled": False, "query_threshold": 25}
    predicted = play(tenant, "--check", "--diff", **changed)
    assert predicted.result["changed"] is True and predicted.writes == 0
    assert predicted.result["integration"]["enabled"] is False
    real = play(tenant, "--diff", **changed)
    assert real.result["diff"] == predicted.result["diff"]
    assert real.result["diff"]["before"]["ticketing"]["queryThreshold"] == 10
    assert real.result["diff"]["after"]["ticketing"]["queryThreshold"] == 25
    assert real.result["diff"]["after"]["connectwise"]["privateKey"] == "<write-only, unchanged>"
    assert real.count("PUT /admin/") == 1
    assert stored(tenant)["enabled"] is False


def test_private_key_update_always_is_always_changed(tenant):
    extended_only(tenant)
    play(tenant, **SETTINGS)
    for _unused in range(2):
        run = play(tenant, private_key_update="always", **SETTINGS)
        assert run.result["changed"] is True and run.count("PUT /admin/") == 1


def test_absent_deletes_then_is_ok(tenant):
    extended_only(tenant)
    play(tenant, **SETTINGS)
    gone = play(tenant, "--diff", psa_state="absent")
    assert gone.result["changed"] is True and gone.count("DELETE /admin/") == 1
    assert gone.result["diff"]["after"] == {"psa": "none"}
    assert stored(tenant)["psa"] == "none"
    again = play(tenant, psa_state="absent")
    assert again.result["changed"] is False and again.writes == 0


def test_bad_input_fails_in_one_line_before_any_request(tenant):
    bad = play(tenant, **{**SETTINGS, "query_threshold": 0})
    assert bad.result["failed"] is True
    assert bad.result["msg"].startswith("query_threshold: 0 is out of range") and "\n" not in bad.result["msg"]
    assert sum(bad.by_route.values()) == 0
    missing = play(tenant, connectwise_site="api-na.myconnectwise.net")
    assert missing.result["failed"] is True and "connectwise_company_id" in missing.result["msg"]
    assert sum(missing.by_route.values()) == 0


def test_public_console_fails_with_manual_steps(tenant):
    public_only(tenant)
    run = play(tenant, **SETTINGS)
    assert run.result["failed"] is True and "PSA Integration Details" in run.result["msg"]
    assert run.writes == 0


def test_public_console_reports_steps_then_a_person_follows_them(tenant):
    public_only(tenant)
    reported = play(tenant, on_unsupported="report", private_key_location="vault variable psa_integration_private_key",
                    **SETTINGS)
    assert reported.result["changed"] is False and reported.result["extension"] is False
    assert reported.result["integration"] is None
    assert reported.result["manual_steps"] == [
        "Umbrella console: MSP Settings › PSA Integration Details: Enabled on; Public API Key PubKey0123456789; "
        "Private API Key: the private key stored in vault variable psa_integration_private_key; "
        "ConnectWise site api-na.myconnectwise.net, company acme; "
        "ticketing: service board Umbrella Alerts, query threshold 10; Save."]
    assert reported.writes == 0

    # The person types the settings into the console.
    tenant["emulator"].control.umbrella_psa_form(tenant["org_id"], {
        "psa": "connectwise", "enabled": True,
        "connectwise": {"site": "api-na.myconnectwise.net", "companyId": "acme", "publicKey": "PubKey0123456789",
                        "privateKey": PRIVATE_KEY},
        "ticketing": {"serviceBoard": "Umbrella Alerts", "queryThreshold": 10}})
    assert stored(tenant)["connectwise"]["publicKey"] == "PubKey0123456789"

    # The settings stay unreadable through the public API: the next run repeats the steps, writes nothing.
    again = play(tenant, on_unsupported="report", private_key_location="vault variable psa_integration_private_key",
                 **SETTINGS)
    assert again.result["manual_steps"] == reported.result["manual_steps"] and again.writes == 0
