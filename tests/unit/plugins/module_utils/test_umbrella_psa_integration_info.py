# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the umbrella_psa_integration_info engine against a small in-memory UX1/UX3 fake."""

import copy
import json

import pytest

from ansible_collections.msp.umbrella_psa.plugins.module_utils import umbrella_psa_integration_info as engine
from ansible_collections.msp.umbrella_psa.plugins.module_utils.common_args import UMBRELLA_ARGSPEC
from ansible_collections.msp.umbrella_psa.plugins.module_utils.umbrella import UmbrellaError, UmbrellaUnsupported

SECRET = "PRIV-0123456789abcdef"
INTEGRATION = "/admin/v2/psa/integration"
STATUS = "/admin/v2/psa/status"

SETTINGS = {"psa": "connectwise", "enabled": True,
            "connectwise": {"site": "api-na.myconnectwise.net", "companyId": "acme", "publicKey": "PUB1",
                            "privateKeySet": True},
            "ticketing": {"serviceBoard": "Umbrella Alerts", "queryThreshold": 10},
            "modifiedAt": "2026-01-31T10:00:00Z"}
SYNC = {"lastSyncAt": "2026-01-31T10:00:00Z", "ok": False, "lastError": "POST /company/configurations: 403",
        "lastSuccessfulSyncAt": "2026-01-30T10:00:00Z"}


class FakeUmbrella:
    """The two extension reads: each answers, or is not offered (UmbrellaUnsupported), or fails."""

    def __init__(self, integration=None, status=None, offered=(INTEGRATION, STATUS), error=None):
        self.answers = {INTEGRATION: copy.deepcopy(integration or {"psa": "none", "enabled": False}),
                        STATUS: copy.deepcopy(status or {"lastSyncAt": None, "ok": None, "lastError": None,
                                                         "lastSuccessfulSyncAt": None})}
        self.offered = offered
        self.error = error
        self.calls = []

    def get(self, path, params=None, extension=False):
        self.calls.append(("GET", path, extension))
        assert extension is True
        if path not in self.offered:
            raise UmbrellaUnsupported(404, "Not Found", "GET", path)
        if self.error and path in self.error:
            raise self.error[path]
        return copy.deepcopy(self.answers[path])

    def __getattr__(self, name):
        # put, patch, delete, post: an info module never writes.
        raise AssertionError("unexpected call %s" % name)


def params():
    return {name: spec.get("default") for name, spec in UMBRELLA_ARGSPEC.items()}


def test_argument_spec_is_the_connection_only():
    assert engine.ARGUMENT_SPEC == UMBRELLA_ARGSPEC
    assert engine.CLIENTS == {"client": ("umbrella", None)}
    assert not getattr(engine, "ARGUMENT_OPTIONS", {})


@pytest.mark.parametrize("check_mode", [False, True])
def test_extension_returns_settings_and_status_without_a_private_key(check_mode):
    client = FakeUmbrella(integration=SETTINGS, status=SYNC)
    result = engine.run(params(), check_mode=check_mode, client=client)
    assert result == {"changed": False, "extension": True, "integration": SETTINGS, "status": SYNC, "notes": []}
    assert client.calls == [("GET", INTEGRATION, True), ("GET", STATUS, True)]
    assert result["integration"]["connectwise"]["privateKeySet"] is True
    assert "privateKey" not in result["integration"]["connectwise"]
    assert SECRET not in json.dumps(result)


def test_a_private_key_a_server_returns_is_dropped():
    leaky = copy.deepcopy(SETTINGS)
    del leaky["connectwise"]["privateKeySet"]
    leaky["connectwise"]["privateKey"] = SECRET
    result = engine.run(params(), client=FakeUmbrella(integration=leaky, status=SYNC))
    assert SECRET not in json.dumps(result)
    assert result["integration"] == SETTINGS


def test_no_psa_set_up_is_returned_as_is():
    result = engine.run(params(), client=FakeUmbrella())
    assert result["integration"] == {"psa": "none", "enabled": False}
    assert result["status"]["lastSyncAt"] is None and result["extension"] is True and result["notes"] == []


@pytest.mark.parametrize("check_mode", [False, True])
def test_public_server_is_no_failure_and_says_where_to_look(check_mode):
    client = FakeUmbrella(offered=())
    result = engine.run(params(), check_mode=check_mode, client=client)
    assert result["changed"] is False and result["extension"] is False
    assert result["integration"] is None and result["status"] is None
    assert len(result["notes"]) == 1
    assert "public API" in result["notes"][0] and "MSP Settings › PSA Integration Details" in result["notes"][0]
    # UX3 is not asked once UX1 is known to be missing.
    assert client.calls == [("GET", INTEGRATION, True)]


def test_settings_without_status_give_null_status_and_a_note():
    result = engine.run(params(), client=FakeUmbrella(integration=SETTINGS, offered=(INTEGRATION,)))
    assert result["extension"] is True and result["integration"] == SETTINGS and result["status"] is None
    assert len(result["notes"]) == 1 and "UX3" in result["notes"][0]


def test_other_errors_fail_the_task():
    denied = UmbrellaError(403, "Forbidden", "GET", INTEGRATION)
    with pytest.raises(UmbrellaError) as caught:
        engine.run(params(), client=FakeUmbrella(error={INTEGRATION: denied}))
    assert not isinstance(caught.value, UmbrellaUnsupported)
