"""Whose integration is it, and validation before the first write, through the provision_tenants playbook.

Real emulator, real ansible-playbook runs. Every refusal is checked for its message (one line, naming the
tenant variable) and for what it did not do: the emulator's write counters stay at zero, and the state a
refused tenant could have damaged is compared before and after.
"""

import pytest

from rel_support import vendor_writes
from role.harness import CLIENT_ID, Tenants, results
from support.emulator import EmulatorProcess, cw_headers, new_session

PARENT_ORG = 7700000


@pytest.fixture(scope="module")
def emulator():
    with EmulatorProcess(profile="extended") as emu:
        # An MSP's parent console: one key acting for its child customers (X-Umbrella-OrgId).
        emu.control.create_tenant(name="parent", umbrella={"org_id": PARENT_ORG, "api_key": "parent-key",
                                                           "api_secret": "parent-secret"})
        yield emu


def _child_tenant(tenants, host, company_id, org_id, **host_vars):
    """A tenant whose Umbrella org is a child of the parent console, reached with the parent's key."""
    emulator = tenants.emulator
    emulator.control.create_tenant(name="child-%s" % org_id, umbrella={"org_id": org_id, "parent_org_id": PARENT_ORG})
    seeded = emulator.control.create_tenant(name=company_id, connectwise={"company_id": company_id,
                                                                          "client_id": CLIENT_ID})
    return _host(tenants, host, company_id, org_id, seeded["connectwise"], psa_umbrella_api_key="parent-key",
                 psa_umbrella_api_secret="parent-secret", **host_vars)


def _host(tenants, host, company_id, org_id, cw, **host_vars):
    variables = {"psa_cw_company_id": company_id, "psa_cw_public_key": cw["public_key"],
                 "psa_cw_private_key": cw["private_key"], "psa_cw_client_id": CLIENT_ID,
                 "psa_umbrella_org_id": str(org_id)}
    variables.update(host_vars)
    tenants.hosts[host] = {"company_id": company_id, "org_id": org_id, "cw": cw, "vars": variables}
    tenants.write_inventory()
    return tenants.hosts[host]


def _cw_writes(stats):
    return {route: n for route, n in vendor_writes(stats).items() if "/admin/v2/" not in route}


def _refused(run, host, *words):
    assert run.returncode != 0, run.explain()
    outcome = results(run)[host]
    assert outcome["status"] == "failed", outcome
    message = outcome["message"]
    assert "\n" not in message.strip(), message
    for word in words:
        assert word in message, (word, message)
    return message


def _orgs(emulator):
    return emulator.control.state()["umbrella"]["orgs"]


def test_sibling_org_with_a_parent_key_is_refused_and_taken_over_only_on_purpose(emulator, tmp_path):
    tenants = Tenants(emulator, tmp_path)
    _child_tenant(tenants, "bravo", "sibb", 7700002)
    assert tenants.run().returncode == 0
    sibling = _orgs(emulator)["7700002"]["psa"]
    assert sibling["connectwise"]["companyId"] == "sibb"

    # A new tenant whose org id is mistyped: the sibling customer's. Refused before any write.
    _child_tenant(tenants, "alpha", "siba", 7700001)
    tenants.set_vars("alpha", psa_umbrella_org_id="7700002")
    emulator.control.reset_stats()
    run = tenants.run("--limit", "alpha")
    message = _refused(run, "alpha", "psa_umbrella_org_id", "psa_takeover", "sibb")
    assert vendor_writes(emulator.control.stats()) == {}, message
    assert _orgs(emulator)["7700002"]["psa"] == sibling

    # The same mistake on a tenant already provisioned (its run writes nothing in ConnectWise): the
    # console write itself is refused.
    tenants.set_vars("alpha", psa_umbrella_org_id="7700001")
    assert tenants.run("--limit", "alpha").returncode == 0
    tenants.set_vars("alpha", psa_umbrella_org_id="7700002")
    emulator.control.reset_stats()
    run = tenants.run("--limit", "alpha")
    _refused(run, "alpha", "psa_umbrella_org_id", "psa_takeover")
    assert vendor_writes(emulator.control.stats()) == {}
    assert _orgs(emulator)["7700002"]["psa"] == sibling

    # On purpose: taken over.
    taken = tenants.run("--limit", "alpha", extra={"psa_takeover": True})
    assert taken.returncode == 0, taken.explain()
    assert _orgs(emulator)["7700002"]["psa"]["connectwise"]["companyId"] == "siba"


def test_two_tenants_naming_one_connectwise_company_are_refused_up_front(emulator, tmp_path):
    tenants = Tenants(emulator, tmp_path)
    first = tenants.add("cw-one", "samecw", 7710001)
    tenants.add("cw-two", "othercw", 7710002)
    shared = {key: first["vars"][key] for key in ("psa_cw_company_id", "psa_cw_public_key", "psa_cw_private_key")}
    tenants.set_vars("cw-two", **shared)
    tenants.add("cw-alone", "alonecw", 7710003)
    emulator.control.reset_stats()
    run = tenants.run()
    for host in ("cw-one", "cw-two"):
        _refused(run, host, "psa_cw_company_id", "cw-one", "cw-two")
    writes = vendor_writes(emulator.control.stats())
    # Only the tenant that overlaps with nobody was provisioned.
    assert results(run)["cw-alone"]["status"] == "created"
    assert [r for r in tenants.cw_state("cw-one")["roles"] if r["name"] == "Umbrella"] == []
    assert writes, "the lone tenant wrote nothing"


def test_two_tenants_naming_one_umbrella_org_are_refused_before_any_write(emulator, tmp_path):
    tenants = Tenants(emulator, tmp_path)
    first = tenants.add("org-one", "orgone", 7720001)
    tenants.add("org-two", "orgtwo", 7720002)
    tenants.set_vars("org-two", **{key: first["vars"][key] for key in
                                   ("psa_umbrella_api_key", "psa_umbrella_api_secret", "psa_umbrella_org_id")})
    emulator.control.reset_stats()
    run = tenants.run()
    for host in ("org-one", "org-two"):
        _refused(run, host, "psa_umbrella_org_id", "org-one", "org-two", "7720001")
    assert vendor_writes(emulator.control.stats()) == {}


def _admin_session(tenants, host):
    tenant = tenants.hosts[host]
    session = new_session(tenants.emulator.ca_file)
    session.headers.update(cw_headers(tenant["company_id"], tenant["cw"]["public_key"], tenant["cw"]["private_key"],
                                      CLIENT_ID))
    return session


def test_a_member_holding_another_role_is_refused_before_any_write(emulator, tmp_path):
    tenants = Tenants(emulator, tmp_path)
    tenants.add("held", "heldcw", 7730001)
    session = _admin_session(tenants, "held")
    admin = session.get(emulator.cw_base + "/system/securityRoles", params={"conditions": 'name="Admin"'}).json()[0]
    created = session.post(emulator.cw_base + "/system/apiMembers",
                           json={"identifier": "umbrella", "name": "Someone else", "securityRole": {"id": admin["id"]}})
    assert created.status_code == 201, created.text
    before = tenants.cw_state("held")
    emulator.control.reset_stats()
    run = tenants.run()
    _refused(run, "held", "psa_member_identifier", "Admin", "psa_takeover")
    assert vendor_writes(emulator.control.stats()) == {}
    assert tenants.cw_state("held") == before

    taken = tenants.run(extra={"psa_takeover": True})
    assert taken.returncode == 0, taken.explain()
    state = tenants.cw_state("held")
    member = [m for m in state["members"] if m["identifier"] == "umbrella"][0]
    assert member["securityRole"] == [r["id"] for r in state["roles"] if r["name"] == "Umbrella"][0], member


def test_a_console_on_another_psa_is_refused_before_any_write(emulator, tmp_path):
    tenants = Tenants(emulator, tmp_path)
    tenants.add("autotask", "atcw", 7740001)
    emulator.control.umbrella_psa_form(7740001, {"psa": "autotask", "enabled": True})
    before = _orgs(emulator)["7740001"]["psa"]
    emulator.control.reset_stats()
    run = tenants.run()
    _refused(run, "autotask", "autotask", "psa_umbrella_org_id")
    assert vendor_writes(emulator.control.stats()) == {}
    assert _orgs(emulator)["7740001"]["psa"] == before


BAD_INPUTS = [
    ("ident-16", {"psa_member_identifier": "umbrella-integra"}, ["psa_member_identifier", "15"]),
    ("ident-space", {"psa_member_identifier": "umbrella "}, ["psa_member_identifier", "whitespace"]),
    ("key-101", {"psa_key_description": "K" * 101}, ["psa_key_description", "100"]),
    ("key-space", {"psa_key_description": "Cisco  Umbrella  "}, ["psa_key_description", "whitespace"]),
    ("name-31", {"psa_member_name": "N" * 31}, ["psa_member_name", "30"]),
    ("notes-2001", {"psa_member_notes": "n" * 2001}, ["psa_member_notes", "2000"]),
]


@pytest.fixture(scope="module")
def bad_inputs(emulator, tmp_path_factory):
    tenants = Tenants(emulator, tmp_path_factory.mktemp("bad-inputs"))
    for number, (host, bad, _words) in enumerate(BAD_INPUTS):
        tenants.add(host, "badin%d" % number, 7750001 + number, **bad)
    emulator.control.reset_stats()
    run = tenants.run()
    return run, emulator.control.stats()


@pytest.mark.parametrize("host,bad,words", BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS])
def test_a_value_the_vendor_would_refuse_names_the_variable(bad_inputs, host, bad, words):
    run, _stats = bad_inputs
    _refused(run, host, *words)


def test_values_the_vendor_would_refuse_write_nothing(bad_inputs):
    _run, stats = bad_inputs
    assert vendor_writes(stats) == {}, stats["by_route"]


def test_a_wrong_umbrella_secret_fails_a_new_tenant_before_its_first_connectwise_write(emulator, tmp_path):
    tenants = Tenants(emulator, tmp_path)
    tenants.add("wrongsecret", "wrongsec", 7760001, psa_umbrella_api_secret="not-the-secret")
    emulator.control.reset_stats()
    run = tenants.run()
    _refused(run, "wrongsecret", "401")
    assert _cw_writes(emulator.control.stats()) == {}
    assert [r for r in tenants.cw_state("wrongsecret")["roles"] if r["name"] == "Umbrella"] == []


def test_on_the_public_profile_a_wrong_umbrella_secret_still_fails_before_any_connectwise_write(tmp_path):
    # Without the console's PSA settings API only the credentials can be checked: they are.
    with EmulatorProcess(profile="public") as public:
        tenants = Tenants(public, tmp_path)
        tenants.add("publicwrong", "pubwrong", 7770001, psa_umbrella_api_secret="not-the-secret")
        tenants.add("publicright", "pubright", 7770002)
        public.control.reset_stats()
        run = tenants.run()
        _refused(run, "publicwrong", "401")
        assert results(run)["publicright"]["status"] in ("created", "manual"), results(run)["publicright"]
        assert [r for r in tenants.cw_state("publicwrong")["roles"] if r["name"] == "Umbrella"] == []
