"""The fleet_report action: three files, written atomically where asked, nothing in check mode."""

import json
import os
import stat
import xml.etree.ElementTree as ET
from unittest import mock

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.msp.umbrella_psa.plugins.action import fleet_report

RESULTS = {
    "acme": {"tenant": "acme", "status": "created", "changes": ["security role 'Umbrella' created"],
             "manual_steps": [], "sync": "not checked"},
    "broken": {"tenant": "broken", "status": "failed", "failed_task": "Preflight", "message": "401",
               "changes": [], "manual_steps": []},
}


def _run(args, check_mode=False):
    task = mock.MagicMock(args=args, async_val=0, check_mode=check_mode)
    plugin = fleet_report.ActionModule(task, mock.MagicMock(), play_context=mock.MagicMock(), loader=None,
                                       templar=None, shared_loader_obj=None)
    return plugin.run(task_vars={})


def test_the_three_files_are_written_and_no_change_is_reported(tmp_path):
    directory = tmp_path / "reports" / "fleet"
    result = _run({"path": str(directory), "results": RESULTS})
    assert result["changed"] is False and result["written"] is True and result["outcome"] == "failed"
    assert sorted(os.listdir(directory)) == ["fleet-junit.xml", "fleet.json", "fleet.md"]  # no temporary file
    assert result["json_path"] == str(directory / "fleet.json")
    doc = json.loads((directory / "fleet.json").read_text())
    assert doc["tenants"]["acme"]["changes"] == ["security role 'Umbrella' created"]
    assert doc["tenants"]["broken"]["status"] == "failed"
    cases = ET.parse(str(directory / "fleet-junit.xml")).getroot().iter("testcase")
    assert [(case.get("name"), case.find("failure") is not None) for case in cases] == [
        ("acme", False), ("broken", True)]
    assert stat.S_IMODE(os.stat(directory / "fleet.md").st_mode) == 0o644
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o755


def test_check_mode_writes_nothing_but_returns_the_outcome(tmp_path):
    result = _run({"path": str(tmp_path / "reports"), "results": RESULTS}, check_mode=True)
    assert result["written"] is False and result["outcome"] == "failed" and result["summary"]["total"] == 2
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize("path", ["", "reports"])
def test_a_relative_or_empty_directory_is_refused_before_anything_is_written(tmp_path, monkeypatch, path):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AnsibleActionFail) as failure:
        _run({"path": path, "results": RESULTS})
    assert "path" in str(failure.value) and os.listdir(tmp_path) == []
