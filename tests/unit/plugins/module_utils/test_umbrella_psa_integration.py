"""Unit tests of the umbrella_psa_integration engine against a small in-memory UX1 fake."""

import copy
import json

import pytest

from ansible_collections.msp.umbrella_psa.plugins.module_utils import umbrella_psa_integration as engine
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import EngineError
from ansible_collections.msp.umbrella_psa.plugins.module_utils.umbrella import UmbrellaUnsupported

SECRET = "PRIV-0123456789abcdef"
PATH = "/admin/v2/psa/integration"


class FakeUmbrella:
    """UX1 as docs/extension-api.md describes it: a write-only private key, GET without it."""

    def __init__(self, stored=None, extension=True):
        self.stored = copy.deepcopy(stored)
        self.extension = extension
        self.calls = []

    @property
    def writes(self):
        return [c for c in self.calls if c[0] != "GET"]

    def _view(self):
        if not self.stored:
            return {"psa": "none", "enabled": False}
        view = copy.deepcopy(self.stored)
        if "connectwise" in view:
            view["connectwise"]["privateKeySet"] = bool(view["connectwise"].pop("privateKey", None))
        view["modifiedAt"] = "2026-01-31T10:00:00Z"
        return view

    def _check(self, method, path, extension):
        assert path == PATH and extension is True
        if not self.extension:
            raise UmbrellaUnsupported(404, "Not Found", method, path)

    def get(self, path, params=None, extension=False):
        self.calls.append(("GET", path, None))
        self._check("GET", path, extension)
        return self._view()

    def put(self, path, body=None, extension=False):
        self.calls.append(("PUT", path, copy.deepcopy(body)))
        self._check("PUT", path, extension)
        stored_key = ((self.stored or {}).get("connectwise") or {}).get("privateKey")
        new = copy.deepcopy(body)
        if "privateKey" not in new["connectwise"]:
            assert stored_key and self.stored["connectwise"]["publicKey"] == new["connectwise"]["publicKey"]
            new["connectwise"]["privateKey"] = stored_key
        self.stored = new
        return self._view()

    def delete(self, path, extension=False):
        self.calls.append(("DELETE", path, None))
        self._check("DELETE", path, extension)
        self.stored = None


CONFIGURED = {"psa": "connectwise", "enabled": True,
              "connectwise": {"site": "api-na.myconnectwise.net", "companyId": "acme", "publicKey": "PUB1",
                              "privateKey": SECRET},
              "ticketing": {"serviceBoard": "Umbrella Alerts", "queryThreshold": 10}}


def params(**overrides):
    base = {"state": "present", "psa": "connectwise", "connectwise_site": "api-na.myconnectwise.net",
            "connectwise_company_id": "acme", "public_key": "PUB1", "private_key": SECRET, "enabled": True,
            "service_board": None, "query_threshold": None, "private_key_update": "when_public_key_changes",
            "private_key_location": "the tenant's key store", "on_unsupported": "fail"}
    base.update(overrides)
    return base


def test_creates_integration_with_private_key_and_masks_it():
    client = FakeUmbrella()
    result = engine.run(params(service_board="Umbrella Alerts", query_threshold=10), client=client)
    assert result["changed"] and result["extension"] is True
    assert client.writes == [("PUT", PATH, {
        "psa": "connectwise", "enabled": True,
        "connectwise": {"site": "api-na.myconnectwise.net", "companyId": "acme", "publicKey": "PUB1",
                        "privateKey": SECRET},
        "ticketing": {"serviceBoard": "Umbrella Alerts", "queryThreshold": 10}})]
    assert result["integration"]["connectwise"]["privateKeySet"] is True
    assert SECRET not in json.dumps(result)
    assert result["diff"]["before"] == {"psa": "none"}
    assert result["diff"]["after"]["connectwise"]["privateKey"] == "<write-only, updated>"


def test_rerun_is_one_read_and_no_write():
    client = FakeUmbrella(CONFIGURED)
    result = engine.run(params(), client=client)
    assert not result["changed"]
    assert client.calls == [("GET", PATH, None)]
    assert result["diff"]["after"]["connectwise"]["privateKey"] == "<write-only, unchanged>"


def test_changed_board_is_put_without_the_private_key():
    client = FakeUmbrella(CONFIGURED)
    result = engine.run(params(service_board="SOC"), client=client)
    assert result["changed"]
    body = client.writes[0][2]
    assert "privateKey" not in body["connectwise"]
    assert body["ticketing"] == {"serviceBoard": "SOC", "queryThreshold": 10}
    assert result["diff"]["before"]["ticketing"]["serviceBoard"] == "Umbrella Alerts"
    assert result["diff"]["after"]["ticketing"]["serviceBoard"] == "SOC"


def test_changed_public_key_sends_the_private_key():
    client = FakeUmbrella(CONFIGURED)
    result = engine.run(params(public_key="PUB2", private_key="NEW-SECRET"), client=client)
    assert result["changed"]
    assert client.writes[0][2]["connectwise"]["privateKey"] == "NEW-SECRET"
    assert "NEW-SECRET" not in json.dumps(result)


@pytest.mark.parametrize("mode, stored, sent", [
    ("always", CONFIGURED, True),
    ("on_create", CONFIGURED, False),
    ("when_public_key_changes", CONFIGURED, False),
    ("on_create", None, True),
    ("on_create", dict(CONFIGURED, connectwise=dict(CONFIGURED["connectwise"], privateKey=None)), True),
])
def test_private_key_update_modes(mode, stored, sent):
    client = FakeUmbrella(stored)
    result = engine.run(params(private_key_update=mode, service_board="Umbrella Alerts", query_threshold=10),
                        client=client)
    assert result["changed"] is sent
    assert bool(client.writes) is sent
    if sent:
        assert client.writes[0][2]["connectwise"]["privateKey"] == SECRET


def test_check_mode_predicts_and_writes_nothing():
    client = FakeUmbrella(CONFIGURED)
    result = engine.run(params(enabled=False), check_mode=True, client=client)
    assert result["changed"] and result["integration"]["enabled"] is False
    assert client.writes == []


def test_first_setup_needs_ticketing_before_any_write():
    client = FakeUmbrella()
    with pytest.raises(EngineError, match=r"^service_board: required when the integration is first set up"):
        engine.run(params(), client=client)
    assert client.writes == []


@pytest.mark.parametrize("overrides, message", [
    ({"query_threshold": 0}, r"^query_threshold: 0 is out of range"),
    ({"service_board": "x" * 101}, r"^service_board: .* is 101 characters long; Umbrella allows at most 100"),
    ({"private_key": " " + SECRET}, r"^private_key: has leading"),
])
def test_bad_input_fails_before_any_request(overrides, message):
    client = FakeUmbrella(CONFIGURED)
    with pytest.raises(EngineError, match=message) as info:
        engine.run(params(**overrides), client=client)
    assert client.calls == []
    assert SECRET not in info.value.msg


def test_another_psa_is_an_error_before_any_write():
    client = FakeUmbrella({"psa": "autotask", "enabled": True})
    with pytest.raises(EngineError, match=r"^psa: the organization has the autotask integration"):
        engine.run(params(), client=client)
    assert client.writes == []


def test_absent_deletes_then_is_ok():
    client = FakeUmbrella(CONFIGURED)
    result = engine.run(params(state="absent"), client=client)
    assert result["changed"] and client.writes == [("DELETE", PATH, None)]
    assert result["diff"]["after"] == {"psa": "none"}
    again = engine.run(params(state="absent"), client=client)
    assert not again["changed"] and len(client.writes) == 1


def test_absent_leaves_another_psa_alone():
    client = FakeUmbrella({"psa": "autotask", "enabled": True})
    result = engine.run(params(state="absent"), client=client)
    assert not result["changed"] and client.writes == []


def test_unsupported_fails_with_steps_that_never_hold_the_private_key():
    client = FakeUmbrella(extension=False)
    with pytest.raises(EngineError) as info:
        engine.run(params(service_board="Umbrella Alerts", query_threshold=10,
                          private_key_location="vault file host_vars/acme/vault.yml"), client=client)
    assert SECRET not in info.value.msg
    step = info.value.result["manual_steps"][0]
    assert step == ("Umbrella console: MSP Settings › PSA Integration Details: Enabled on; Public API Key PUB1; "
                    "Private API Key: the private key stored in vault file host_vars/acme/vault.yml; "
                    "ConnectWise site api-na.myconnectwise.net, company acme; "
                    "ticketing: service board Umbrella Alerts, query threshold 10; Save.")


def test_unsupported_report_returns_steps():
    result = engine.run(params(on_unsupported="report"), client=FakeUmbrella(extension=False))
    assert result["changed"] is False and result["extension"] is False and result["integration"] is None
    assert len(result["manual_steps"]) == 1 and SECRET not in result["manual_steps"][0]
