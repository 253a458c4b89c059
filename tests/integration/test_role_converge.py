"""The psa_integration role and provision_tenants playbook, converging tenants on the extended profile."""

import itertools

import pytest
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

from role.harness import VAULT_PASSWORD, Tenants, changed_tasks, file_mode, results, task_name
from support.emulator import EmulatorProcess

_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def emulator():
    with EmulatorProcess(profile="extended") as emu:
        yield emu


@pytest.fixture
def tenants(emulator, tmp_path):
    return Tenants(emulator, tmp_path)


def new_tenant(tenants, host=None, **host_vars):
    number = next(_numbers)
    host = host or "tenant%d" % number
    return host, tenants.add(host, "conv%d" % number, 920000 + number, **host_vars)


def assert_integrated(tenants, host, member="umbrella", description="Cisco Umbrella"):
    """Umbrella holds the member's one live key, and that key authenticates as the member."""
    keys = tenants.integration_keys(host, member, description)
    assert len(keys) == 1, keys
    psa = tenants.umbrella_psa(host)
    assert psa["psa"] == "connectwise" and psa["enabled"] is True
    assert psa["connectwise"]["publicKey"] == keys[0]["publicKey"]
    assert psa["connectwise"]["privateKey"] == keys[0]["privateKey"]
    assert psa["connectwise"]["companyId"] == tenants.hosts[host]["company_id"]
    status, identifier = tenants.authenticate(host, psa["connectwise"]["publicKey"], psa["connectwise"]["privateKey"])
    assert status == 200 and identifier.lower() == member.lower()
    return keys[0]


def read_store(tenants, host):
    document = yaml.safe_load((tenants.key_store / ("%s.yml" % host)).read_text())
    vault = VaultLib([("default", VaultSecret(VAULT_PASSWORD.encode()))])
    return document, vault.decrypt(document["private_key_vault"]).decode()


def test_three_tenants_converge_and_rerun_clean(tenants):
    hosts = [new_tenant(tenants)[0] for _unused in range(3)]

    first = tenants.run()
    assert first.returncode == 0, first.explain()
    outcome = results(first)
    assert {outcome[h]["status"] for h in hosts} == {"created"}
    for host in hosts:
        key = assert_integrated(tenants, host)
        assert any("security role 'Umbrella' created" == c for c in outcome[host]["changes"])
        assert outcome[host]["public_key"] == key["publicKey"]
        assert outcome[host]["manual_steps"] == []

    second = tenants.run()
    assert second.returncode == 0, second.explain()
    assert changed_tasks(second) == []
    assert {r["status"] for r in results(second).values()} == {"unchanged"}
    for host in hosts:
        assert_integrated(tenants, host)


def test_key_store_is_vault_encrypted_and_private(tenants):
    host, _unused = new_tenant(tenants)
    run = tenants.run()
    assert run.returncode == 0, run.explain()
    key = assert_integrated(tenants, host)
    path = tenants.key_store / ("%s.yml" % host)
    assert file_mode(path) == 0o600
    text = path.read_text()
    assert key["privateKey"] not in text
    document, private_key = read_store(tenants, host)
    assert document["public_key"] == key["publicKey"]
    assert private_key == key["privateKey"]
    # Nothing the run printed carries the private key.
    assert key["privateKey"] not in run.stdout + run.stderr


def test_rotation_on_demand_replaces_the_key_without_a_gap(tenants):
    host, _unused = new_tenant(tenants)
    setup = tenants.run()
    assert setup.returncode == 0, setup.explain()
    old = assert_integrated(tenants, host)

    rotated = tenants.run(extra={"psa_rotate_key": True})
    assert rotated.returncode == 0, rotated.explain()
    new = assert_integrated(tenants, host)
    assert new["publicKey"] != old["publicKey"]
    status, _unused = tenants.authenticate(host, old["publicKey"], old["privateKey"])
    assert status == 401
    changes = results(rotated)[host]["changes"]
    assert any(c.startswith("API key rotated") for c in changes)
    assert any(c.startswith("previous API keys revoked") for c in changes)
    # The zero-downtime order: store, push, then revoke (task order of the run).
    order = [name for name, h in changed_tasks(rotated) if h == host]
    assert order.index("Store the new key pair, vault-encrypted") < order.index(
        "Umbrella PSA integration set to the key") < order.index("Revoke the member's previous keys")
    assert read_store(tenants, host)[0]["public_key"] == new["publicKey"]

    again = tenants.run()
    assert changed_tasks(again) == []


def test_rotation_by_age(tenants):
    host, _unused = new_tenant(tenants)
    setup = tenants.run()
    assert setup.returncode == 0, setup.explain()
    old = assert_integrated(tenants, host)
    path = tenants.key_store / ("%s.yml" % host)
    document = yaml.safe_load(path.read_text())
    document["created_at"] = "2020-01-01T00:00:00Z"
    path.write_text(yaml.safe_dump(document))

    run = tenants.run(extra={"psa_key_max_age_days": 90})
    assert run.returncode == 0, run.explain()
    assert assert_integrated(tenants, host)["publicKey"] != old["publicKey"]
    # A fresh key is not rotated again.
    assert changed_tasks(tenants.run(extra={"psa_key_max_age_days": 90})) == []


def test_lost_key_store_is_replaced_by_rotation(tenants):
    host, _unused = new_tenant(tenants)
    setup = tenants.run()
    assert setup.returncode == 0, setup.explain()
    old = assert_integrated(tenants, host)
    (tenants.key_store / ("%s.yml" % host)).unlink()

    run = tenants.run()
    assert run.returncode == 0, run.explain()
    new = assert_integrated(tenants, host)
    assert new["publicKey"] != old["publicKey"]
    assert read_store(tenants, host)[0]["public_key"] == new["publicKey"]


def test_failed_tenant_is_summarised_and_fails_the_run(tenants):
    good, _unused = new_tenant(tenants)
    bad, _unused = new_tenant(tenants)
    tenants.set_vars(bad, psa_cw_private_key="not-the-right-private-key")

    run = tenants.run()
    assert run.returncode != 0
    outcome = results(run)
    assert outcome[good]["status"] == "created"
    assert outcome[bad]["status"] == "failed"
    assert "bootstrap key" in outcome[bad]["failed_task"]
    assert run.stats[bad]["failures"] == 1 and run.stats[good]["failures"] == 0
    assert_integrated(tenants, good)
    assert tenants.integration_keys(bad) == []
    summary = [t for p in run.data["plays"] for t in p["tasks"] if task_name(t) == "Summary of every tenant"]
    text = "\n".join(next(iter(summary[0]["hosts"].values()))["msg"])
    assert bad in text and "FAILED" in text


def test_bad_inventory_fails_before_any_request(tenants):
    host, _unused = new_tenant(tenants, psa_key_max_age_days="ninety", psa_member_identifier=["not", "a", "string"])
    tenants.emulator.control.reset_stats()
    run = tenants.run()
    assert run.returncode != 0
    outcome = results(run)[host]
    assert outcome["status"] == "failed"
    assert "psa_key_max_age_days" in outcome["message"]
    assert tenants.emulator.control.stats()["total"] == 0


def test_a_run_without_a_vault_password_fails_before_any_write(tenants):
    host, _unused = new_tenant(tenants)
    tenants.emulator.control.reset_stats()
    run = tenants.run(extra={"psa_key_store_vault_password": ""})
    assert run.returncode != 0
    outcome = results(run)[host]
    assert outcome["status"] == "failed"
    assert outcome["message"].startswith("psa_key_store_vault_password is not set")
    # Checked with the tenant's other inputs, before any request: nothing read, nothing written.
    assert tenants.emulator.control.stats()["total"] == 0


def test_limit_runs_one_tenant_only(tenants):
    first, _unused = new_tenant(tenants)
    second, _unused = new_tenant(tenants)
    run = tenants.run("--limit", first)
    assert run.returncode == 0, run.explain()
    assert set(results(run)) == {first}
    assert_integrated(tenants, first)
    assert tenants.integration_keys(second) == []


def test_batches_provision_every_tenant_and_summarise_them_once(tenants):
    hosts = [new_tenant(tenants)[0] for _unused in range(3)]
    failed = hosts[0]  # in the first batch: its failure must reach the summary printed after the last one
    private_key = tenants.hosts[failed]["vars"]["psa_cw_private_key"]
    tenants.set_vars(failed, psa_cw_private_key="not-the-right-private-key")

    run = tenants.run(extra={"psa_batch_size": 2})
    assert run.returncode != 0
    assert len(run.data["plays"]) == 2  # Ansible ran the play once per batch: 2 tenants, then 1
    outcome = results(run)
    assert outcome[failed]["status"] == "failed" and run.stats[failed]["failures"] == 1
    for host in hosts[1:]:
        assert outcome[host]["status"] == "created"
        assert_integrated(tenants, host)
    summaries = [host_result for p in run.data["plays"] for t in p["tasks"] if task_name(t) == "Summary of every tenant"
                 for host_result in t["hosts"].values() if not host_result.get("skipped")]
    assert len(summaries) == 1, summaries  # skipped in the first batch, printed after the last
    text = "\n".join(summaries[0]["msg"])
    assert "3 tenant(s)" in text and all(host in text for host in hosts) and "FAILED" in text
    # After each batch but the last, one line of progress (the summary follows the last).
    progress = [host_result["msg"] for p in run.data["plays"] for t in p["tasks"] if task_name(t) == "Progress of the run"
                for host_result in t["hosts"].values() if not host_result.get("skipped")]
    assert progress == ["2 of 3 tenants done, 1 failed so far"], progress

    # The key mended, the next run in batches finishes the job and leaves the others as they are.
    tenants.set_vars(failed, psa_cw_private_key=private_key)
    again = tenants.run(extra={"psa_batch_size": 2})
    assert again.returncode == 0, again.explain()
    assert {host: result["status"] for host, result in results(again).items()} == {
        hosts[0]: "created", hosts[1]: "unchanged", hosts[2]: "unchanged"}
    assert {host for _task, host in changed_tasks(again)} == {failed}
    assert_integrated(tenants, failed)


def test_a_bad_batch_size_is_named_before_any_request(tenants):
    new_tenant(tenants)
    tenants.emulator.control.reset_stats()
    run = tenants.run(extra={"psa_batch_size": "two hundred"}, json_output=False)
    assert run.returncode != 0
    assert "psa_batch_size must be a number of tenants per batch, such as 200" in run.stdout + run.stderr
    assert tenants.emulator.control.stats()["total"] == 0


@pytest.mark.parametrize("option, stage", [("--skip-tags", "key"), ("--skip-tags", "connectwise"),
                                           ("--skip-tags", "umbrella"), ("--skip-tags", "sync"),
                                           ("--tags", "verify"), ("--tags", "sync")])
def test_a_stage_left_out_or_run_alone_changes_nothing_on_a_converged_tenant(tenants, option, stage):
    host, _unused = new_tenant(tenants)
    assert tenants.run().returncode == 0
    key = assert_integrated(tenants, host)

    run = tenants.run(option, stage)
    assert run.returncode == 0, run.explain()
    assert changed_tasks(run) == []
    outcome = results(run)[host]
    # The later stages still know the key in use (the stored one), whichever stages ran.
    assert outcome["status"] == "unchanged" and outcome["public_key"] == key["publicKey"]
    assert assert_integrated(tenants, host)["publicKey"] == key["publicKey"]


def test_a_misspelled_variable_is_warned_about_with_its_close_match(tenants):
    host, _unused = new_tenant(tenants, psa_umbrella_query_treshold=20)
    run = tenants.run(json_output=False)
    assert run.returncode == 0, run.explain()
    output = " ".join((run.stdout + run.stderr).split())  # Ansible wraps a long warning
    assert "psa_umbrella_query_treshold is set but the psa_integration role does not read it: did you mean " \
           "psa_umbrella_query_threshold?" in output
    # The default was used, as the warning says.
    assert tenants.umbrella_psa(host)["ticketing"]["queryThreshold"] == 10
