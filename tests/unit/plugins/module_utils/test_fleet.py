"""The fleet documents (module_utils.fleet): the JSON shape shared by the plan and the fleet report, its
outcome for CI, grouped manual steps, and the JUnit XML of CI dashboards."""

import datetime
import json
import xml.etree.ElementTree as ET

from ansible_collections.msp.umbrella_psa.plugins.module_utils.fleet import (
    document, junit, key_age_days, markdown)

NOW = datetime.datetime(2026, 12, 5, 12, 0, 0)
KEY = "PUBKEY0123456789abcd"
PORTAL_STEP = "ConnectWise: Setup Tables > Security Roles > Umbrella: allow Company Maintenance (Inquire)"


def fleet():
    return {
        "acme": {"tenant": "acme", "status": "manual", "check_mode": False, "public_key": KEY,
                 "changes": ["API key created (public key %s)" % KEY],
                 "manual_steps": [PORTAL_STEP, "Umbrella console: enter the public key %s" % KEY],
                 "report": "/reports/acme.md", "sync": "awaiting first sync", "sync_findings": [],
                 "synced_companies": [], "last_sync": "", "key_created_at": "2026-12-05T10:00:00Z",
                 "rotation_due": False},
        "globex": {"tenant": "globex", "status": "manual", "check_mode": False, "public_key": "",
                   "changes": [], "manual_steps": [PORTAL_STEP], "report": "/reports/globex.md",
                   "sync": "stale", "sync_findings": ["last sync 2026-11-01"], "synced_companies": ["101"],
                   "last_sync": "2026-11-01T00:00:00Z", "key_created_at": "2026-09-01T00:00:00Z",
                   "rotation_due": True},
        "initech": {"tenant": "initech", "status": "unchanged", "changes": [], "manual_steps": [],
                    "key_created_at": "2026-12-01 08:00:00", "sync": "not checked",
                    "sync_findings": ["The evidence of Umbrella's sync could not be read: 403 Forbidden"]},
        "broken": {"tenant": "broken", "status": "failed", "failed_task": "Preflight",
                   "message": "ConnectWise refused the key <401> & \x07bell", "changes": [], "manual_steps": []},
        "lost": None,
    }


def test_the_json_has_every_tenant_with_status_changes_and_manual_steps():
    doc = document(fleet(), now=NOW)
    assert set(doc["tenants"]) == {"acme", "globex", "initech", "broken", "lost"}
    for entry in doc["tenants"].values():
        assert {"status", "changes", "manual_steps", "key_age_days", "rotation_due", "sync"} <= set(entry)
    assert doc["tenants"]["lost"]["status"] == "failed" and doc["tenants"]["lost"]["message"] == "no result recorded"
    assert doc["tenants"]["acme"]["changes"] == ["API key created (public key \u2026abcd)"]
    assert doc["tenants"]["acme"]["public_key_suffix"] == "abcd" and KEY not in json.dumps(doc)
    assert [doc["tenants"][h]["key_age_days"] for h in ("acme", "globex", "initech", "broken")] == [0, 95, 4, None]
    assert doc["tenants"]["globex"]["rotation_due"] is True and doc["summary"]["rotation_due"] == 1
    assert doc["summary"] == {"created": 0, "changed": 0, "unchanged": 1, "manual": 2, "failed": 2, "total": 5,
                              "rotation_due": 1}
    assert (doc["generated_at"], doc["check_mode"], doc["outcome"]) == ("2026-12-05T12:00:00Z", False, "failed")
    json.dumps(doc)  # serialisable as is


def test_identical_manual_steps_are_listed_once_with_their_tenants():
    groups = document(fleet(), now=NOW)["manual_steps"]
    assert groups[0] == {"step": PORTAL_STEP, "tenants": ["acme", "globex"]}
    assert [group["step"] for group in groups].count(PORTAL_STEP) == 1
    assert groups[1] == {"step": "Umbrella console: enter the public key \u2026abcd", "tenants": ["acme"]}
    text = markdown(document(fleet(), now=NOW))
    assert text.count(PORTAL_STEP.replace(">", "\\>")) == 1 and "Tenants (2): acme, globex" in text


def test_the_outcome_tells_no_changes_from_changes_pending_from_failed():
    unchanged = {"a": {"status": "unchanged", "changes": [], "manual_steps": []}}
    planned = dict(unchanged, b={"status": "created", "changes": ["role would be created"], "manual_steps": [],
                                 "check_mode": True})
    manual = {"c": {"status": "manual", "changes": [], "manual_steps": ["by hand"]}}
    assert document(unchanged, check_mode=True)["outcome"] == "no changes"
    assert document(planned)["outcome"] == "changes pending"  # a result of a check run makes it a plan
    assert document(dict(planned, b=dict(planned["b"], check_mode=False)))["outcome"] == "changed"
    assert document(dict(planned, d=None), check_mode=True)["outcome"] == "failed"
    # Manual steps are not changes the playbook makes: counted, not an outcome of their own.
    manual_doc = document(manual, check_mode=True)
    assert manual_doc["outcome"] == "no changes" and manual_doc["summary"]["manual"] == 1


def test_junit_has_one_test_case_per_tenant_and_a_failure_for_each_failed_one():
    root = ET.fromstring(junit(document(fleet(), now=NOW)))
    cases = {case.get("name"): case for case in root.iter("testcase")}
    assert sorted(cases) == ["acme", "broken", "globex", "initech", "lost"]
    failed = sorted(name for name, case in cases.items() if case.find("failure") is not None)
    assert failed == ["broken", "lost"]
    failure = cases["broken"].find("failure")
    # Markup in a message is escaped by the XML writer; a control character XML cannot hold is replaced.
    assert failure.get("message") == "ConnectWise refused the key <401> & \ufffdbell"
    assert failure.get("type") == "Preflight"
    assert "manual step 1: %s" % PORTAL_STEP in cases["acme"].find("system-out").text
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("5", "2")


def test_markdown_lists_failed_tenants_first_with_key_age_and_sync():
    text = markdown(document(fleet(), now=NOW), title="Fleet | A")
    assert text.startswith("## Fleet \\| A fleet report\n")
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert [row.split(" | ")[0][2:] for row in rows] == ["broken", "lost", "acme", "globex", "initech"]
    assert "| globex | manual steps | 95 d | yes | stale | 0 | 1 |" in text
    assert "| broken | FAILED | ? | no | not checked | 0 | 0 |" in text
    assert "- **globex**: stale, last sync 2026-11-01T00:00:00Z, 1 customer(s) synced; last sync 2026-11-01" in text
    # Not checked, but with the reason: listed; not checked without one: not.
    assert "- **initech**: not checked, last sync never, 0 customer(s) synced; The evidence" in text
    sync_section = text.split("### Umbrella's sync", 1)[1]
    assert "- **acme**: awaiting first sync" in sync_section and "- **broken**" not in sync_section


def test_key_age_tolerates_missing_and_unreadable_times():
    assert key_age_days("", NOW) is None and key_age_days("yesterday", NOW) is None
    assert key_age_days("2026-12-06T00:00:00Z", NOW) == 0  # a clock ahead of the controller's
    assert key_age_days("2026-11-05T12:00:00+00:00", NOW) == 30
    # An offset is applied, not dropped: 20:00 at UTC-05:00 is 01:00 the next day in UTC.
    assert key_age_days("2026-11-04T20:00:00-05:00", NOW) == key_age_days("2026-11-05T01:00:00Z", NOW)
    assert key_age_days("2026-11-05T12:00:00.123456789Z", NOW) == 30
