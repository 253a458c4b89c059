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
        "manual_steps": [], "sync": "not checked", "sync_findings": [], "synced_companies": [], "last_sync": "",
        "key_created_at": "", "rotation_due": False,
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


def sync_evidence(verdict="syncing", last_sync="2026-12-05T10:00:00Z", findings=(), companies=None):
    """What cw_umbrella_sync_info returns, in the shape the role registers."""
    if companies is None:
        companies = [{"identifier": "Contoso", "name": "Contoso Ltd", "fresh": True},
                     {"identifier": "Fabrikam", "name": "Fabrikam Inc", "fresh": verdict == "syncing"}]
    return {"changed": False, "verdict": verdict, "last_sync": last_sync, "findings": list(findings),
            "companies": companies, "missing": [], "unexpected": [], "server_time": "2026-12-05T12:00:00Z",
            "max_age_hours": 26}


def converged_steps(**overrides):
    steps = {name: ({"changed": False, "extension": True} if value else value) for name, value in fresh_steps().items()}
    steps["access"] = SKIPPED
    steps.update(overrides)
    return steps


def test_a_sync_after_the_key_was_created_verifies_the_tenant_and_names_its_companies():
    outcome = result(converged_steps(sync=sync_evidence()), public_key="PUB1", key_created_at="2026-12-04T09:00:00Z")
    assert (outcome["status"], outcome["sync"], outcome["sync_findings"]) == ("unchanged", "verified", [])
    assert outcome["synced_companies"] == ["Contoso", "Fabrikam"]
    assert outcome["last_sync"] == "2026-12-05T10:00:00Z" and outcome["report"] == ""


def test_no_sync_yet_or_one_older_than_the_key_is_awaiting_the_first_sync():
    never = sync_evidence("never", last_sync=None, companies=[], findings=["no configuration updated by umbrella"])
    outcome = result(converged_steps(sync=never), public_key="PUB1", key_created_at="2026-12-05T09:00:00Z")
    # The first sync is the normal state of a new integration (its key younger than the maximum age), not a finding.
    assert (outcome["sync"], outcome["sync_findings"], outcome["report"]) == ("awaiting first sync", [], "")
    # The member's last sync predates the key in use (a rotation): that was the previous key.
    older = result(converged_steps(sync=sync_evidence()), public_key="PUB1", key_created_at="2026-12-05T11:00:00Z")
    assert older["sync"] == "awaiting first sync"
    # A key created longer ago than the maximum age that never synced: the findings explain why.
    old_key = result(converged_steps(sync=never), public_key="PUB1", key_created_at="2026-11-01T09:00:00Z")
    assert (old_key["sync"], old_key["sync_findings"]) == ("awaiting first sync", ["no configuration updated by umbrella"])
    assert old_key["report"] == "reports/acme.md"
    # A key made by hand whose creation time nobody gave is not known to be overdue: no report kept open.
    unknown = result(converged_steps(sync=never), public_key="PUB1")
    assert (unknown["sync"], unknown["sync_findings"], unknown["report"]) == ("awaiting first sync", [], "")
    # A key created this run is younger than any evidence the stage read.
    steps = converged_steps(sync=sync_evidence())
    steps["key"] = {"changed": True, "created": True, "extension": True, "public_key": "PUB2",
                    "key": {"created_at": "2026-12-05T12:00:00Z"}}
    assert result(steps, public_key="PUB2", key_created_at="2026-12-01T00:00:00Z")["sync"] == "awaiting first sync"


def test_stale_and_partial_syncs_are_findings_in_the_result_and_the_report():
    stale = sync_evidence("stale", last_sync="2026-12-03T10:00:00Z",
                          findings=["no configuration updated by umbrella in the last 26 hours"])
    outcome = result(converged_steps(sync=stale), public_key="PUB1", key_created_at="2026-12-01T00:00:00Z")
    assert (outcome["status"], outcome["sync"]) == ("unchanged", "stale")
    assert outcome["sync_findings"] == ["no configuration updated by umbrella in the last 26 hours"]
    assert outcome["report"] == "reports/acme.md"
    partial = sync_evidence("partial", findings=["missing: Nowhere"])
    outcome = result(converged_steps(sync=partial), public_key="PUB1", key_created_at="2026-12-01T00:00:00Z")
    assert (outcome["sync"], outcome["sync_findings"], outcome["synced_companies"]) == (
        "partial", ["missing: Nowhere"], ["Contoso"])


def test_a_skipped_or_absent_sync_stage_is_not_checked():
    assert result(converged_steps(sync=SKIPPED), public_key="PUB1")["sync"] == "not checked"
    assert result(converged_steps(), public_key="PUB1")["sync"] == "not checked"


def public_steps(sync=None):
    steps = converged_steps(sync=sync)
    steps["key"] = {"changed": False, "extension": False, "manual_steps": ["create a key"]}
    steps["umbrella"] = {"changed": False, "extension": False, "manual_steps": ["enter the key"]}
    return steps


def test_on_a_public_console_a_sync_after_the_key_was_created_closes_the_umbrella_step():
    key = dict(public_key="OPERATOR", operator_public_key="OPERATOR", key_created_at="2026-12-05T09:00:00Z")
    waiting = result(public_steps(sync_evidence("never", last_sync=None, companies=[])), **key)
    assert waiting["status"] == "manual" and waiting["sync"] == "awaiting first sync"
    assert waiting["manual_steps"][0] == "enter the key"
    assert waiting["manual_steps"][1].startswith("Then set psa_umbrella_confirmed_public_key: OPERATOR ")
    done = result(public_steps(sync_evidence()), **key)
    assert (done["status"], done["manual_steps"], done["sync"]) == ("unchanged", [], "verified")
    # A sync older than the key is the previous key's: the step stays.
    older = dict(key)
    older["key_created_at"] = "2026-12-05T11:00:00Z"
    assert result(public_steps(sync_evidence()), **older)["manual_steps"][0] == "enter the key"


def test_on_a_public_console_the_evidence_needs_the_keys_creation_time():
    outcome = result(public_steps(sync_evidence()), public_key="OPERATOR", operator_public_key="OPERATOR")
    assert outcome["status"] == "manual"
    needs_time = "set psa_integration_key_created_at to the time the key was created (UTC, YYYY-MM-DDTHH:MM:SSZ)."
    assert outcome["manual_steps"][-1].endswith(needs_time)
    # The operator's confirmation stays a manual override.
    confirmed = result(public_steps(sync_evidence("never", last_sync=None, companies=[])), public_key="OPERATOR",
                       operator_public_key="OPERATOR", confirmed_public_key="OPERATOR")
    assert (confirmed["manual_steps"], confirmed["sync"]) == ([], "awaiting first sync")


def test_timestamps_of_either_form_compare():
    # YAML reads an unquoted time as a datetime, which the role hands over as "YYYY-MM-DD HH:MM:SS+00:00".
    outcome = result(public_steps(sync_evidence(last_sync="2026-12-05T10:00:00Z")), public_key="OPERATOR",
                     operator_public_key="OPERATOR", key_created_at="2026-12-05 09:59:59+00:00")
    assert outcome["manual_steps"] == []


def test_a_tenant_that_must_be_syncing_fails_naming_the_state_and_the_findings():
    stale = sync_evidence("stale", last_sync="2026-12-03T10:00:00Z",
                          findings=["Contoso: configuration last updated 2 days ago by umbrella"])
    outcome = result(converged_steps(sync=stale), public_key="PUB1", key_created_at="2026-12-01T00:00:00Z",
                     sync_required=True)
    assert (outcome["status"], outcome["failed_task"]) == ("failed", "Read the evidence of Umbrella's sync")
    assert outcome["message"] == ("psa_sync_required: Umbrella's sync is stale; "
                                  "Contoso: configuration last updated 2 days ago by umbrella")
    # The report with the findings is still written.
    assert outcome["report"] == "reports/acme.md"
    never = sync_evidence("never", last_sync=None, companies=[], findings=["No configuration was written by member"])
    waiting = result(converged_steps(sync=never), public_key="PUB1", sync_required=True)
    assert waiting["status"] == "failed"
    assert waiting["message"] == ("psa_sync_required: no sync by the integration member since the key in use was "
                                  "created (last sync: never); No configuration was written by member")
    # Verified, or a stage that did not run, does not fail.
    assert result(converged_steps(sync=sync_evidence()), public_key="PUB1", sync_required=True)["status"] == "unchanged"
    assert result(converged_steps(sync=SKIPPED), public_key="PUB1", sync_required=True)["status"] == "unchanged"


def test_a_key_created_this_run_is_awaiting_its_first_sync_without_a_read():
    # The stage skips a key created this run: nothing can have synced with it yet.
    outcome = result(dict(fresh_steps(), sync=SKIPPED), public_key="PUB1")
    assert (outcome["sync"], outcome["sync_findings"], outcome["status"]) == ("awaiting first sync", [], "created")
    # Skipped for want of a key, it was not checked.
    steps = converged_steps(sync=SKIPPED)
    assert result(steps, public_key="")["sync"] == "not checked"


def test_a_key_time_with_an_offset_is_compared_in_utc():
    # 02:00-05:00 is 07:00Z: a sync at 03:00Z came before this key, so it proves nothing about it.
    before = result(converged_steps(sync=sync_evidence(last_sync="2026-12-05T03:00:00Z")), public_key="PUB1",
                    key_created_at="2026-12-05T02:00:00-05:00")
    assert before["sync"] == "awaiting first sync"
    after = result(converged_steps(sync=sync_evidence(last_sync="2026-12-05T08:00:00.123456789Z")), public_key="PUB1",
                   key_created_at="2026-12-05T02:00:00-05:00")
    assert after["sync"] == "verified"


def test_evidence_that_could_not_be_read_is_not_checked_and_says_why():
    unreadable = {"changed": False, "failed": False, "failed_when_result": False,
                  "msg": "ConnectWise GET /company/configurations: 403 Forbidden"}
    outcome = result(converged_steps(sync=unreadable), public_key="PUB1", key_created_at="2026-12-04T09:00:00Z",
                     sync_required=True)
    assert (outcome["status"], outcome["sync"]) == ("unchanged", "not checked")
    assert outcome["sync_findings"] == ["The evidence of Umbrella's sync could not be read: "
                                        "ConnectWise GET /company/configurations: 403 Forbidden"]


def test_a_key_created_this_run_fails_nothing_when_the_sync_is_required():
    steps = converged_steps(sync={"skipped": True, "changed": False})
    steps["key"] = {"changed": True, "created": True, "extension": True, "public_key": "PUB2",
                    "key": {"created_at": "2026-12-05T12:00:00Z"}}
    outcome = result(steps, public_key="PUB2", sync_required=True)
    assert (outcome["sync"], outcome["status"]) == ("awaiting first sync", "changed")


def test_a_company_synced_only_before_the_key_was_created_is_partial():
    companies = [{"identifier": "Contoso", "fresh": True, "last_updated": "2026-12-05T10:00:00Z"},
                 {"identifier": "Fabrikam", "fresh": True, "last_updated": "2026-12-05T07:00:00Z"}]
    evidence = sync_evidence(last_sync="2026-12-05T10:00:00Z", companies=companies)
    outcome = result(converged_steps(sync=evidence), public_key="PUB1", key_created_at="2026-12-05T08:00:00Z")
    assert outcome["sync"] == "partial"
    assert [finding.split(":")[0] for finding in outcome["sync_findings"]] == ["Fabrikam"]
    both = result(converged_steps(sync=evidence), public_key="PUB1", key_created_at="2026-12-05T06:00:00Z")
    assert both["sync"] == "verified"


def test_rotation_due_is_reported_until_a_run_rotates_the_key():
    due = result({"role": {"changed": False}, "member": {"changed": False}}, public_key="PUB1",
                 key_created_at="2026-01-01T00:00:00Z", rotation_due=True)
    assert due["rotation_due"] is True and due["key_created_at"] == "2026-01-01T00:00:00Z"
    rotated = result({"key_rotation": {"changed": True, "created": True, "rotated": True, "public_key": "PUB2",
                                       "key": {"created_at": "2026-12-05T10:00:00Z"}}},
                     public_key="PUB2", key_created_at="2026-01-01T00:00:00Z", rotation_due=True)
    assert rotated["rotation_due"] is False and rotated["key_created_at"] == "2026-12-05T10:00:00Z"


def test_updates_name_the_fields_their_modules_changed():
    steps = converged_steps(
        member={"changed": True, "created": False, "changed_fields": ["~ inactiveFlag: true \u2192 false"]},
        umbrella={"changed": True, "changed_fields": ["~ ticketing.queryThreshold: 99 \u2192 10"]})
    outcome = result(steps, public_key="PUB1")
    assert "API member 'umbrella' updated: ~ inactiveFlag: true \u2192 false" in outcome["changes"]
    assert "Umbrella PSA integration set to public key PUB1: ~ ticketing.queryThreshold: 99 \u2192 10" in outcome["changes"]
