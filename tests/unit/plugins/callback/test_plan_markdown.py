"""The markdown the msp.umbrella_psa.plan callback writes, from results alone (no playbook run)."""

from ansible_collections.msp.umbrella_psa.plugins.callback.plan import CallbackModule, md


class FakeHost:
    def __init__(self, name):
        self.name = name

    def get_name(self):
        return self.name


class FakeTask:
    def get_name(self):
        return "Check that the bootstrap key may create the role, member and key"


class FakeResult:
    def __init__(self, host, result):
        self._host = FakeHost(host)
        self._task = FakeTask()
        self._result = result


def plan(results, failures=(), check=True):
    callback = CallbackModule()
    # Outside a playbook run the plugin loader has not read DOCUMENTATION: give the defaults by hand.
    callback._plugin_options = {"title": "PSA integration", "plan_file": None, "plan_json": None}
    callback.check_mode = check
    for host, fact in results:
        callback.v2_runner_on_ok(FakeResult(host, {"ansible_facts": {"psa_integration_result": fact}}))
    for host, answer in failures:
        callback.v2_runner_on_failed(FakeResult(host, answer))
    return callback.markdown()


def test_manual_steps_are_listed_with_the_report_and_the_public_key_is_shortened():
    key = "PUBKEY0123456789abcd"
    text = plan([("acme", {"tenant": "acme", "status": "manual", "check_mode": False,
                           "changes": ["security role 'Umbrella' created"],
                           "manual_steps": ["Umbrella console: set the public key %s" % key, "Then rerun"],
                           "public_key": key, "report": "/reports/acme.md"})], check=False)
    assert text.startswith("## PSA integration run\n")
    assert "| acme | manual steps | 1 | 2 |" in text
    assert "**Manual steps pending** (report: /reports/acme.md):" in text
    assert "1. Umbrella console: set the public key …abcd" in text and "2. Then rerun" in text
    assert key not in text


def test_unchanged_tenants_get_a_row_only_and_failures_without_result_are_listed_first():
    text = plan([("zeta", {"tenant": "zeta", "status": "unchanged", "changes": [], "manual_steps": [],
                           "public_key": "x", "report": ""})],
                failures=[("alpha", {"msg": "boom | <b>", "failed": True}),
                          ("hidden", {"censored": "the output has been hidden", "failed": True})])
    rows = [line for line in text.splitlines() if line.startswith("| ") and "Tenant" not in line and "---" not in line]
    assert rows == ["| alpha | FAILED | 0 | 0 |", "| hidden | FAILED | 0 | 0 |", "| zeta | unchanged | 0 | 0 |"]
    assert "boom \\| \\<b\\>" in text and "hidden (no\\_log)" in text
    assert "### zeta" not in text
    assert "3 tenant(s): 0 would create, 0 would change, 1 unchanged, 0 manual steps, 2 FAILED." in text


def test_escaping_keeps_markdown_and_html_literal():
    assert md("a|b <script> *x* _y_ [l](u) `c` #h \\") == "a\\|b \\<script\\> \\*x\\* \\_y\\_ \\[l\\](u) \\`c\\` \\#h \\\\"
    assert md("two\nlines") == "two lines"


def test_no_tenant():
    assert "No tenant recorded a result." in plan([])


def _write_plan(path, monkeypatch, cwd):
    monkeypatch.chdir(cwd)
    callback = CallbackModule()
    callback._plugin_options = {"title": "PSA integration", "plan_file": path, "plan_json": None}
    callback.check_mode = True
    callback.v2_playbook_on_stats(None)


def test_the_plan_file_is_written_where_asked_and_an_existing_directory_keeps_its_mode(tmp_path, monkeypatch):
    import os
    import stat
    mine = tmp_path / "ci"
    mine.mkdir()
    os.chmod(str(mine), 0o751)
    _write_plan("ci/plan.md", monkeypatch, tmp_path)  # relative: from the directory the run started in
    assert (mine / "plan.md").read_text().startswith("## PSA integration plan")
    assert stat.S_IMODE(os.stat(str(mine)).st_mode) == 0o751
    assert sorted(p.name for p in mine.iterdir()) == ["plan.md"]  # no temporary file left
    _write_plan(str(tmp_path / "new" / "deeper" / "plan.md"), monkeypatch, tmp_path)
    assert (tmp_path / "new" / "deeper" / "plan.md").is_file()


def test_the_plan_json_names_every_tenant_with_the_outcome_ci_tests(tmp_path, monkeypatch):
    import json
    monkeypatch.chdir(tmp_path)
    callback = CallbackModule()
    callback._plugin_options = {"title": "PSA integration", "plan_file": "plan.md", "plan_json": "ci/plan.json"}
    callback.check_mode = True
    key = "PUBKEY0123456789abcd"
    callback.v2_runner_on_ok(FakeResult("acme", {"ansible_facts": {"psa_integration_result": {
        "tenant": "acme", "status": "created", "check_mode": True, "public_key": key, "report": "",
        "changes": ["API key would be created (public key %s)" % key], "manual_steps": []}}}))
    callback.v2_runner_on_failed(FakeResult("down", {"msg": "unreachable | <x>", "failed": True}))
    callback.v2_playbook_on_stats(None)
    doc = json.loads((tmp_path / "ci" / "plan.json").read_text())
    assert (doc["kind"], doc["check_mode"], doc["outcome"]) == ("plan", True, "failed")
    assert sorted(doc["tenants"]) == ["acme", "down"]
    assert doc["tenants"]["acme"]["changes"] == ["API key would be created (public key \u2026abcd)"]
    assert doc["tenants"]["down"]["status"] == "failed"
    assert doc["tenants"]["down"]["message"] == "unreachable | <x>"  # JSON needs no markdown escaping
    assert doc["tenants"]["down"]["failed_task"] == FakeTask().get_name()
    assert key not in (tmp_path / "ci" / "plan.json").read_text()
    assert (tmp_path / "plan.md").is_file()  # the markdown is written beside it
    assert sorted(p.name for p in (tmp_path / "ci").iterdir()) == ["plan.json"]


def test_without_a_failure_a_plan_with_changes_is_pending_and_an_empty_one_is_not(tmp_path, monkeypatch):
    import json
    monkeypatch.chdir(tmp_path)
    for changes, expected in ((["security role 'Umbrella' would be created"], "changes pending"), ([], "no changes")):
        callback = CallbackModule()
        callback._plugin_options = {"title": "PSA integration", "plan_file": "plan.md", "plan_json": "plan.json"}
        callback.check_mode = True
        callback.v2_runner_on_ok(FakeResult("acme", {"ansible_facts": {"psa_integration_result": {
            "tenant": "acme", "status": "changed" if changes else "unchanged", "changes": changes,
            "manual_steps": []}}}))
        callback.v2_playbook_on_stats(None)
        assert json.loads((tmp_path / "plan.json").read_text())["outcome"] == expected
