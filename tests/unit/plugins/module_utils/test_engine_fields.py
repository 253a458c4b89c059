# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fields a module changed, from its diff, whether or not --diff is on."""

import types

from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import field_changes, run_engine


def test_fields_changed_added_and_removed_are_listed_and_keys_are_not():
    before = {"psa": "connectwise", "enabled": False, "ticketing": {"queryThreshold": 20, "serviceBoard": "Alerts"},
              "connectwise": {"publicKey": "OLDPUB", "privateKey": "<write-only, unchanged>"}, "gone": ["a", "b"]}
    after = {"psa": "connectwise", "enabled": True, "ticketing": {"queryThreshold": 10, "serviceBoard": "Alerts"},
             "connectwise": {"publicKey": "NEWPUB", "privateKey": "<write-only, updated>"}, "new": None}
    assert field_changes(before, after) == [
        u"~ enabled: false \u2192 true", u"- gone: [a, b]", u"+ new: null", u"~ ticketing.queryThreshold: 20 \u2192 10"]
    assert field_changes({"a": 1}, {"a": 1}) == []


def test_a_long_list_is_bounded():
    lines = field_changes({}, dict(("f%02d" % n, n) for n in range(20)), limit=5)
    assert len(lines) == 6 and lines[-1] == u"\u2026 15 more"


def test_the_runner_adds_the_fields_without_diff_and_not_for_a_creation():
    def engine(outcome):
        return types.SimpleNamespace(run=lambda params, check_mode=False: dict(outcome), CLIENTS={})

    updated = {"changed": True, "diff": {"before": {"inactiveFlag": True}, "after": {"inactiveFlag": False}}}
    failed, result = run_engine(engine(updated), {}, check_mode=False, diff=False)
    assert not failed and result["changed_fields"] == [u"~ inactiveFlag: true \u2192 false"] and "diff" not in result
    created = {"changed": True, "created": True, "diff": {"before": {}, "after": {"name": "x"}}}
    assert "changed_fields" not in run_engine(engine(created), {}, check_mode=True, diff=True)[1]
