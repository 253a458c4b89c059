"""The tenant result the psa_integration role records, from registered task results alone."""

from ansible_collections.msp.umbrella_psa.plugins.filter.tenant_result import FilterModule, tenant_result

SKIPPED = {"changed": False, "skipped": True}
PATHS = {"store_path": "keys/acme.yml", "report_path": "reports/acme.md",
         "mapping_steps_path": "reports/acme-company-mapping.csv"}


def result(steps, **kwargs):
    arguments = dict(tenant="acme", role_name="Umbrella", member_identifier="umbrella", **PATHS)
    arguments.update(kwargs)
    return tenant_result(steps, **arguments)


def fresh_steps():
    return {
        "role": {"changed": True, "created": True, "extension": True, "manual_steps": []},
        "member": {"changed": True, "created": True},
        "key": {"changed": True, "created": True, "extension": True, "public_key": "PUB1", "rotated": False},
        "key_rotation": SKIPPED,
        "key_store": {"changed": True},
        "access": {"satisfied": True},
        "umbrella": {"changed": True, "extension": True, "manual_steps": []},
        "revoke": SKIPPED,
        "mapping": None,
    }


def test_the_filter_is_registered_under_its_documented_name():
    assert FilterModule().filters() == {"tenant_result": tenant_result}


def test_fresh_tenant_lists_every_write_in_order_and_is_created():
    outcome = result(fresh_steps(), public_key="PUB1")
    assert outcome == {
        "tenant": "acme", "status": "created", "check_mode": False, "public_key": "PUB1", "report": "",
        "manual_steps": [],
        "changes": ["security role 'Umbrella' created", "API member 'umbrella' created",
                    "API key created (public key PUB1)", "key pair stored in keys/acme.yml",
                    "Umbrella PSA integration set to public key PUB1"],
    }


def test_check_mode_words_the_changes_as_a_plan():
    outcome = result(fresh_steps(), public_key="PUB1", check_mode=True)
    assert outcome["check_mode"] is True
    assert outcome["changes"][0] == "security role 'Umbrella' would be created"
    assert outcome["changes"][2] == "API key would be created (public key PUB1)"
    assert all("would be" in change for change in outcome["changes"])


def test_converged_tenant_is_unchanged():
    steps = {name: ({"changed": False, "extension": True} if value else value) for name, value in fresh_steps().items()}
    steps["access"] = SKIPPED
    outcome = result(steps, public_key="PUB1")
    assert (outcome["status"], outcome["changes"], outcome["manual_steps"]) == ("unchanged", [], [])


def test_an_update_without_creation_is_changed():
    steps = fresh_steps()
    steps["role"] = {"changed": True, "created": False, "extension": True}
    steps["member"] = {"changed": False}
    steps["key"] = {"changed": False, "created": False, "extension": True}
    steps["key_store"] = SKIPPED
    steps["umbrella"] = {"changed": False, "extension": True}
    outcome = result(steps, public_key="PUB1")
    assert outcome["status"] == "changed"
    assert outcome["changes"] == ["security role 'Umbrella' updated"]


def test_the_rotation_task_key_wins_over_the_first_key_task():
    steps = fresh_steps()
    steps["key"] = {"changed": False, "created": False, "extension": True, "public_key": "OLD"}
    steps["key_rotation"] = {"changed": True, "created": True, "rotated": True, "public_key": "PUB2"}
    steps["revoke"] = {"changed": True, "revoked": ["OLD", "OLDER"]}
    outcome = result(steps, public_key="PUB2")
    assert "API key rotated (public key PUB2)" in outcome["changes"]
    assert outcome["changes"][-1] == "previous API keys revoked: OLD, OLDER"


def test_public_servers_leave_manual_steps_and_a_report():
    steps = fresh_steps()
    steps["role"] = {"changed": True, "created": True, "extension": False, "manual_steps": ["grant levels"]}
    steps["access"] = {"satisfied": False}
    steps["umbrella"] = {"changed": False, "extension": False, "manual_steps": ["enter the key"]}
    outcome = result(steps, public_key="PUB1")
    assert outcome["status"] == "manual"
    assert outcome["report"] == "reports/acme.md"
    assert outcome["manual_steps"][:2] == ["grant levels", "enter the key"]
    assert outcome["manual_steps"][2].startswith("Then set psa_umbrella_confirmed_public_key: PUB1 ")


def test_a_verified_key_and_a_confirmed_umbrella_key_close_the_manual_steps():
    steps = fresh_steps()
    steps["role"] = {"changed": False, "extension": False, "manual_steps": ["grant levels"]}
    steps["umbrella"] = {"changed": False, "extension": False, "manual_steps": ["enter the key"]}
    assert result(steps, public_key="PUB1", confirmed_public_key="PUB1")["manual_steps"] == []
    # A confirmation of an older key does not count for the key in use.
    assert result(steps, public_key="PUB1", confirmed_public_key="OLD")["manual_steps"][0] == "enter the key"


def test_without_the_key_api_the_operator_key_replaces_the_key_steps():
    steps = fresh_steps()
    steps["key"] = {"changed": False, "extension": False, "manual_steps": ["create a key"]}
    without = result(steps, public_key="")
    assert without["manual_steps"][0] == "create a key"
    assert without["manual_steps"][-1].startswith("Umbrella console: MSP Settings")
    assert result(steps, public_key="OPERATOR", operator_public_key="OPERATOR")["manual_steps"] == []


def test_company_mapping_lines_and_steps():
    steps = fresh_steps()
    steps["mapping"] = {"changed": True, "extension": True, "summary": {"set": 30, "removed": 2}}
    assert result(steps, public_key="PUB1")["changes"][-1] == "company mapping applied: 30 customers set, 2 cleared"
    steps["mapping"] = {"changed": True, "extension": False, "manual_steps": ["map Acme"]}
    outcome = result(steps, public_key="PUB1", check_mode=True)
    assert outcome["changes"][-1] == "company mapping steps would be written to reports/acme-company-mapping.csv"
    assert outcome["manual_steps"] == ["map Acme"]


def test_steps_not_run_count_as_nothing_done():
    # A run limited by tags registers only some of the steps; the others are absent or null.
    outcome = result({"umbrella": {"changed": True, "extension": True}}, public_key="PUB1")
    assert (outcome["status"], outcome["changes"]) == ("changed", ["Umbrella PSA integration set to public key PUB1"])
    assert result(None, public_key="PUB1")["status"] == "unchanged"


def test_a_key_store_found_open_is_reported_tightened():
    results = {"key_store_mode": {"changed": True}}
    done = tenant_result(results, tenant="acme", role_name="Umbrella", member_identifier="umbrella",
                         store_path="/srv/keys/acme.yml", store_mode="0644")
    assert "key store /srv/keys/acme.yml: mode 0644 tightened to 0600" in done["changes"]
    planned = tenant_result(results, tenant="acme", role_name="Umbrella", member_identifier="umbrella",
                            check_mode=True, store_path="/srv/keys/acme.yml", store_mode="0644")
    assert "key store /srv/keys/acme.yml: mode 0644 would be tightened to 0600" in planned["changes"]
