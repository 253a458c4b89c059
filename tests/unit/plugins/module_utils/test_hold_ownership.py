"""Validation before the first write and ownership decisions: the table of vendor limits, whose console,
whose member, and which tenants of a play overlap."""

import pytest

from ansible_collections.msp.umbrella_psa.plugins.filter.tenant_inputs import FilterModule as InputsFilters
from ansible_collections.msp.umbrella_psa.plugins.filter.tenant_inputs import tenant_inputs
from ansible_collections.msp.umbrella_psa.plugins.filter.tenant_overlaps import FilterModule as OverlapsFilters
from ansible_collections.msp.umbrella_psa.plugins.filter.tenant_overlaps import tenant_overlaps
from ansible_collections.msp.umbrella_psa.plugins.module_utils import cw_api_member, cw_security_role
from ansible_collections.msp.umbrella_psa.plugins.module_utils import tenant_inputs as table
from ansible_collections.msp.umbrella_psa.plugins.module_utils import umbrella_psa_integration as integration
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import EngineError

from test_cw_api_member import EXISTING, FakeConnectWise
from test_cw_api_member import params as member_params
from test_umbrella_psa_integration import CONFIGURED, FakeUmbrella
from test_umbrella_psa_integration import params as integration_params

GOOD = {"psa_role_name": "Umbrella", "psa_member_identifier": "umbrella", "psa_member_name": "Cisco Umbrella",
        "psa_member_email": "soc@example.com", "psa_member_notes": "kept by the MSP",
        "psa_key_description": "Cisco Umbrella", "psa_umbrella_service_board": "Umbrella Alerts",
        "psa_umbrella_query_threshold": 10}


# --- the table -------------------------------------------------------------------------------------------
def test_the_filters_are_registered_under_their_documented_names():
    assert InputsFilters().filters() == {"tenant_inputs": tenant_inputs}
    assert OverlapsFilters().filters() == {"tenant_overlaps": tenant_overlaps}


def test_values_within_every_limit_pass_and_unset_ones_are_not_checked():
    assert tenant_inputs(GOOD) == []
    assert tenant_inputs(dict(GOOD, psa_member_email=None, psa_member_notes=None)) == []
    # At the limits exactly.
    assert tenant_inputs(dict(GOOD, psa_member_identifier="m" * 15, psa_member_name="N" * 30,
                              psa_role_name="R" * 30, psa_key_description="K" * 100,
                              psa_umbrella_query_threshold=10000)) == []


@pytest.mark.parametrize("variable,value,words", [
    ("psa_member_identifier", "umbrella-integra", ["16 characters", "at most 15", "shorten"]),
    ("psa_member_identifier", "umbrella ", ["whitespace", "remove"]),
    ("psa_member_identifier", "umb rella", ["spaces"]),
    ("psa_member_name", "N" * 31, ["at most 30"]),
    ("psa_role_name", "R" * 31, ["at most 30"]),
    ("psa_member_email", "not-an-address", ["e-mail"]),
    ("psa_member_email", "a@b.c" + "x" * 250, ["at most 250"]),
    ("psa_member_notes", "n" * 2001, ["at most 2000"]),
    ("psa_key_description", "K" * 101, ["at most 100"]),
    ("psa_key_description", "", ["must not be empty"]),
    ("psa_umbrella_service_board", "B" * 101, ["Umbrella allows at most 100"]),
    ("psa_umbrella_query_threshold", 0, ["out of range", "1 to 10000"]),
    ("psa_umbrella_query_threshold", "many", ["whole number"]),
])
def test_a_value_the_vendor_would_refuse_is_one_line_naming_the_variable(variable, value, words):
    problems = tenant_inputs(dict(GOOD, **{variable: value}))
    assert len(problems) == 1, problems
    assert problems[0].startswith(variable + ": ") and "\n" not in problems[0]
    for word in words:
        assert word in problems[0], (word, problems[0])


def test_a_long_value_is_shown_shortened():
    problem = tenant_inputs(dict(GOOD, psa_member_notes="n" * 2001))[0]
    assert len(problem) < 200 and "2001 characters long" in problem


def test_a_threshold_given_as_text_is_taken_as_ansible_takes_it():
    assert tenant_inputs(dict(GOOD, psa_umbrella_query_threshold="10")) == []


def test_every_engine_checks_its_options_with_the_same_table():
    limits = {(e.engine, e.option): e.maximum for e in table.INPUTS}
    assert limits[("cw_api_member", "identifier")] == 15
    with pytest.raises(EngineError, match=r"^identifier: 'm{16}' is 16 characters long; ConnectWise allows at most 15"):
        cw_api_member.validate(member_params(identifier="m" * 16))
    with pytest.raises(EngineError, match=r"^name: .* at most 30"):
        cw_security_role.validate_name("R" * 31)
    # The same rule under the role's variable name and the module's option name.
    assert tenant_inputs(dict(GOOD, psa_member_identifier="m" * 16))[0].split(": ", 1)[1] == \
        table.option_problems("cw_api_member", member_params(identifier="m" * 16))[0].split(": ", 1)[1]


# --- whose console ---------------------------------------------------------------------------------------
def test_a_console_set_up_for_another_connectwise_company_is_refused_before_any_write():
    client = FakeUmbrella(CONFIGURED)
    with pytest.raises(EngineError) as refused:
        integration.run(integration_params(connectwise_company_id="sibling", public_key="PUB2"), client=client)
    message = refused.value.msg
    assert "company acme" in message and "company sibling" in message
    assert "psa_umbrella_org_id" in message and "psa_takeover" in message and "\n" not in message
    assert client.writes == []


def test_a_console_set_up_for_another_site_is_refused():
    client = FakeUmbrella(CONFIGURED)
    with pytest.raises(EngineError, match="api-eu.myconnectwise.net"):
        integration.run(integration_params(connectwise_site="api-eu.myconnectwise.net"), client=client)
    assert client.writes == []


def test_takeover_replaces_another_tenants_console_on_purpose():
    client = FakeUmbrella(CONFIGURED)
    result = integration.run(integration_params(connectwise_company_id="sibling", public_key="PUB2",
                                                private_key="PRIV2", takeover=True), client=client)
    assert result["changed"] and client.stored["connectwise"]["companyId"] == "sibling"


def test_the_same_company_in_another_case_or_a_site_with_a_slash_is_the_same_console():
    client = FakeUmbrella(CONFIGURED)
    result = integration.run(integration_params(connectwise_company_id="ACME",
                                                connectwise_site="API-NA.myconnectwise.net/"), client=client)
    assert result["changed"]  # the site and company as written are brought to what is asked, not refused


def test_another_psa_is_refused_even_with_takeover():
    client = FakeUmbrella({"psa": "autotask", "enabled": True})
    with pytest.raises(EngineError, match="autotask"):
        integration.run(integration_params(takeover=True, service_board="B", query_threshold=1), client=client)
    assert client.writes == []


def test_checked_reads_only_and_refuses_what_present_would():
    fresh = FakeUmbrella()
    assert integration.run(integration_params(state="checked", public_key=None, private_key=None),
                           client=fresh) == {"changed": False, "extension": True,
                                             "integration": {"psa": "none", "enabled": False}}
    taken = FakeUmbrella(CONFIGURED)
    with pytest.raises(EngineError, match="psa_takeover"):
        integration.run(integration_params(state="checked", connectwise_company_id="other"), client=taken)
    assert fresh.writes == [] and taken.writes == []


def test_checked_on_a_server_without_the_extension_is_not_an_error():
    client = FakeUmbrella(extension=False)
    result = integration.run(integration_params(state="checked"), client=client)
    assert result == {"changed": False, "extension": False, "integration": None}


def test_absent_does_not_remove_another_tenants_integration():
    client = FakeUmbrella(CONFIGURED)
    with pytest.raises(EngineError, match="psa_takeover"):
        integration.run(integration_params(state="absent", connectwise_company_id="other"), client=client)
    assert client.writes == []


# --- whose member ----------------------------------------------------------------------------------------
def test_a_member_holding_another_role_is_refused_before_any_write():
    client = FakeConnectWise([EXISTING])
    with pytest.raises(EngineError) as refused:
        cw_api_member.run(member_params(name="Cisco Umbrella", security_role="Admin"), client=client)
    message = refused.value.msg
    assert message.startswith("identifier (psa_member_identifier): ")
    assert "'Umbrella Integration'" in message and "psa_takeover" in message
    assert client.writes == []


def test_a_member_holding_the_role_by_another_case_is_ours():
    client = FakeConnectWise([EXISTING])
    result = cw_api_member.run(member_params(security_role="umbrella integration"), client=client)
    assert not result["changed"] and client.writes == []


def test_twin_members_are_named_with_their_ids():
    twin = dict(EXISTING, id=43)
    with pytest.raises(EngineError, match=r"psa_member_identifier.*2 API members.*42, 43"):
        cw_api_member.check_holder(FakeConnectWise([EXISTING, twin]), "umbrella", "Umbrella Integration")


def test_the_holder_of_a_new_role_is_checked_before_the_role_is_created():
    client = FakeConnectWise([EXISTING])
    with pytest.raises(EngineError, match="psa_takeover"):
        cw_api_member.check_holder(client, "umbrella", "Umbrella")
    assert cw_api_member.check_holder(client, "umbrella", "Umbrella", takeover=True)["id"] == 42
    assert cw_api_member.check_holder(client, "nobody", "Umbrella") is None
    assert client.writes == []


# --- tenants of one play ---------------------------------------------------------------------------------
def _hostvars(**hosts):
    base = {"psa_cw_site": "api-na.myconnectwise.net", "psa_umbrella_api_key": "parent"}
    return {host: dict(base, **variables) for host, variables in hosts.items()}


def test_two_tenants_naming_one_connectwise_company_are_both_named():
    hostvars = _hostvars(alpha={"psa_cw_company_id": "acme", "psa_umbrella_org_id": "1"},
                         bravo={"psa_cw_company_id": "ACME", "psa_umbrella_org_id": "2"},
                         charlie={"psa_cw_company_id": "other", "psa_umbrella_org_id": "3"})
    found = tenant_overlaps(sorted(hostvars), hostvars)
    assert set(found) == {"alpha", "bravo"}
    assert found["alpha"].startswith("psa_cw_company_id: tenants alpha and bravo name the same ConnectWise company")


def test_the_same_company_on_another_site_is_another_company():
    hostvars = _hostvars(alpha={"psa_cw_company_id": "acme", "psa_umbrella_org_id": "1"},
                         bravo={"psa_cw_company_id": "acme", "psa_umbrella_org_id": "2",
                                "psa_cw_site": "api-eu.myconnectwise.net"})
    assert tenant_overlaps(sorted(hostvars), hostvars) == {}


@pytest.mark.parametrize("written", ["https://api-na.myconnectwise.net", "https://API-NA.myconnectwise.net:443/",
                                     "api-na.myconnectwise.net:443", " api-na.myconnectwise.net/ "])
def test_one_site_written_two_ways_is_one_company(written):
    hostvars = _hostvars(alpha={"psa_cw_company_id": "acme", "psa_umbrella_org_id": "1"},
                         bravo={"psa_cw_company_id": "acme", "psa_umbrella_org_id": "2", "psa_cw_site": written})
    assert set(tenant_overlaps(sorted(hostvars), hostvars)) == {"alpha", "bravo"}


def test_one_umbrella_base_url_written_two_ways_is_one_organization():
    hostvars = _hostvars(alpha={"psa_cw_company_id": "a", "psa_umbrella_org_id": "7"},
                         bravo={"psa_cw_company_id": "b", "psa_umbrella_org_id": "7",
                                "psa_umbrella_base_url": "https://API.umbrella.com:443/"})
    assert set(tenant_overlaps(sorted(hostvars), hostvars)) == {"alpha", "bravo"}
    hostvars["bravo"]["psa_cw_site"] = "https://svc:pa/ss@api-na.myconnectwise.net"
    hostvars["bravo"]["psa_cw_company_id"] = "a"
    assert "pa/ss" not in " ".join(tenant_overlaps(sorted(hostvars), hostvars).values())


def test_two_tenants_naming_one_umbrella_org_are_both_named_and_the_key_is_not_shown():
    hostvars = _hostvars(alpha={"psa_cw_company_id": "a", "psa_umbrella_org_id": "7"},
                         bravo={"psa_cw_company_id": "b", "psa_umbrella_org_id": " 7"},
                         charlie={"psa_cw_company_id": "c", "psa_umbrella_org_id": None},
                         delta={"psa_cw_company_id": "d", "psa_umbrella_org_id": ""})
    found = tenant_overlaps(sorted(hostvars), hostvars)
    assert "alpha and bravo" in found["alpha"] and "organization 7" in found["bravo"]
    # Neither gives an org id and both use one key: the key's own organization, twice.
    assert "charlie and delta" in found["charlie"] and "parent" not in found["charlie"]
