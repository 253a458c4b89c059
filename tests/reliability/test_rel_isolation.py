"""Tenant isolation, malformed inventory and TLS defaults, through the provision_tenants playbook."""

import pytest

from rel_support import vendor_writes
from role.harness import Tenants, results
from support.emulator import EmulatorProcess


@pytest.fixture(scope="module")
def emulator():
    with EmulatorProcess(profile="extended") as emu:
        yield emu


def test_swapped_credentials_fail_both_tenants_and_change_nothing(emulator, tmp_path):
    tenants = Tenants(emulator, tmp_path)
    a = tenants.add("alpha", "isoa", 550001)
    b = tenants.add("bravo", "isob", 550002)
    cred = ("psa_cw_public_key", "psa_cw_private_key", "psa_umbrella_api_key", "psa_umbrella_api_secret")
    of_a, of_b = ({k: t["vars"][k] for k in cred} for t in (a, b))
    tenants.set_vars("alpha", **of_b)
    tenants.set_vars("bravo", **of_a)
    before = emulator.control.state()
    emulator.control.reset_stats()
    run = tenants.run()
    stats = emulator.control.stats()
    assert run.returncode != 0
    outcome = results(run)
    for host in ("alpha", "bravo"):
        assert outcome[host]["status"] == "failed"
        message = outcome[host]["message"]
        assert "401" in message or "credentials" in message.lower(), message
        assert "\n" not in message.strip()
    assert vendor_writes(stats) == {}, stats["by_route"]
    assert emulator.control.state() == before


MALFORMED = [
    # Ansible's argument spec validation turns a list given for a str option into its text
    # ("['a', 'b']") instead of refusing it; the run then stops at the first read, naming company_id.
    ("company-id-list", {"psa_cw_company_id": ["a", "b"]}, "company_id"),
    ("max-age-word", {"psa_key_max_age_days": "ninety"}, "psa_key_max_age_days"),
    ("threshold-word", {"psa_umbrella_query_threshold": "many"}, "psa_umbrella_query_threshold"),
    ("private-key-missing", {"psa_cw_private_key": None}, "psa_cw_private_key"),
    ("permissions-not-list", {"psa_role_permissions": "all of them"}, "psa_role_permissions"),
    ("enabled-word", {"psa_umbrella_enabled": "perhaps"}, "psa_umbrella_enabled"),
]


@pytest.fixture(scope="module")
def malformed(emulator, tmp_path_factory):
    tenants = Tenants(emulator, tmp_path_factory.mktemp("malformed"))
    for number, (host, bad, _var) in enumerate(MALFORMED):
        tenants.add(host, "bad%d" % number, 551000 + number)
        variables = tenants.hosts[host]["vars"]
        for key, value in bad.items():
            if value is None:
                variables.pop(key)
            else:
                variables[key] = value
    tenants.write_inventory()
    emulator.control.reset_stats()
    run = tenants.run()
    return run, results(run), emulator.control.stats()


@pytest.mark.parametrize("host,bad,variable", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_inventory_fails_naming_the_variable(malformed, host, bad, variable):
    run, outcome, _stats = malformed
    assert run.returncode != 0
    assert outcome[host]["status"] == "failed", outcome[host]
    assert variable in outcome[host]["message"], outcome[host]["message"]


def test_malformed_inventory_writes_nothing(malformed):
    _run, _outcome, stats = malformed
    assert vendor_writes(stats) == {}, stats["by_route"]
    # The only request at all is the company-id-list tenant's codebase lookup.
    assert stats["by_route"] == {"GET /login/companyinfo/{companyId}": 1}, stats["by_route"]


def test_tls_is_verified_by_default_and_ca_path_works(emulator, tmp_path):
    tenants = Tenants(emulator, tmp_path)
    tenants.add("tls", "tls1", 552001)
    emulator.control.reset_stats()
    refused = tenants.run(extra={"psa_cw_ca_path": "", "psa_umbrella_ca_path": ""})
    assert refused.returncode != 0
    message = results(refused)["tls"]["message"]
    assert "ca_path" in message and "certificate" in message.lower(), message
    assert vendor_writes(emulator.control.stats()) == {}
    trusted = tenants.run()
    assert trusted.returncode == 0, trusted.explain()
    assert results(trusted)["tls"]["status"] == "created"
