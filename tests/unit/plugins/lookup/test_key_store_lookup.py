"""The key store as the psa_integration role reads it: the writer's file read back, its key's age, rotation due."""

import datetime

import pytest
from ansible.errors import AnsibleLookupError
from ansible.parsing.vault import VaultLib, VaultSecret

from ansible_collections.msp.umbrella_psa.plugins.action import key_store as writer
from ansible_collections.msp.umbrella_psa.plugins.lookup.key_store import key_store
from ansible_collections.msp.umbrella_psa.plugins.module_utils.tenant_paths import write_atomically

NOW = datetime.datetime(2026, 12, 1, 12, 0, 0)
PARAMS = dict(tenant="acme", member="umbrella", description="Umbrella integration", key_id=41,
              created_at="2026-09-02T12:00:00Z", public_key="PUB41", private_key="PRIVATE-SECRET",
              vault_password="s3cret")


def written(tmp_path, **changes):
    params = dict(PARAMS, **changes)
    path = tmp_path / "acme.yml"
    write_atomically(str(path), writer.render(params).encode(), 0o600)
    return str(path)


def test_the_writers_file_reads_back_with_its_private_half_still_encrypted(tmp_path):
    path = written(tmp_path)
    store = key_store(path, now=NOW)
    assert {k: store[k] for k in ("path", "tenant", "member", "description", "key_id", "created_at", "public_key")} == {
        "path": path, "tenant": "acme", "member": "umbrella", "description": "Umbrella integration", "key_id": 41,
        "created_at": "2026-09-02T12:00:00Z", "public_key": "PUB41"}
    assert "PRIVATE-SECRET" not in str(store)
    assert VaultLib([("default", VaultSecret(b"s3cret"))]).decrypt(store["private_key_vault"]) == b"PRIVATE-SECRET"
    assert (store["age_days"], store["rotation_due"]) == (90, False)


@pytest.mark.parametrize("max_age_days, rotate, due", [
    (0, False, False),   # no rotation by age
    (91, False, False),  # a day short
    (90, False, True),   # exactly due
    (30, False, True),
    (0, True, True),     # on demand
])
def test_rotation_is_due_on_demand_or_when_the_stored_key_reaches_the_maximum_age(tmp_path, max_age_days, rotate, due):
    assert key_store(written(tmp_path), max_age_days, rotate, now=NOW)["rotation_due"] is due


def test_a_missing_store_has_no_key_and_is_due_only_on_demand(tmp_path):
    path = str(tmp_path / "nothing-here.yml")
    assert key_store(path, 30, False, now=NOW) == {"path": path, "public_key": "", "age_days": 0, "rotation_due": False,
                                                   "mode": "", "mode_too_open": False}
    assert key_store(path, 30, True, now=NOW)["rotation_due"] is True


@pytest.mark.parametrize("text, message", [
    ("public_key: [unclosed\n", "is not valid YAML"),
    ("- a list\n", "does not hold a mapping"),
    ("public_key: PUB\ncreated_at: 01/09/2026\n", "created_at '01/09/2026', not YYYY-MM-DDTHH:MM:SSZ"),
])
def test_a_damaged_store_is_named_with_the_fix_instead_of_guessed_at(tmp_path, text, message):
    path = tmp_path / "acme.yml"
    path.write_text(text)
    with pytest.raises(AnsibleLookupError, match="key store %s" % path) as info:
        key_store(str(path), 30, now=NOW)
    assert message in str(info.value)


def test_an_unquoted_timestamp_in_a_hand_edited_store_still_gives_the_age(tmp_path):
    path = tmp_path / "acme.yml"
    path.write_text("public_key: PUB\ncreated_at: 2026-09-02 12:00:00\n")  # YAML reads a datetime
    store = key_store(str(path), 90, now=NOW)
    assert (store["age_days"], store["rotation_due"]) == (90, True)


@pytest.mark.parametrize("mode, too_open", [(0o600, False), (0o400, False), (0o644, True), (0o640, True),
                                            (0o604, True)])
def test_the_store_s_mode_is_reported_and_a_mode_open_to_others_flagged(tmp_path, mode, too_open):
    path = written(tmp_path)
    __import__("os").chmod(path, mode)
    store = key_store(path, now=NOW)
    assert store["mode"] == "%04o" % mode and store["mode_too_open"] is too_open


def test_a_missing_store_has_no_mode(tmp_path):
    store = key_store(str(tmp_path / "none.yml"), now=NOW)
    assert store["mode"] == "" and store["mode_too_open"] is False
