"""The key pair the psa_integration role uses for a tenant, from registered results and its key store."""

import pytest
from ansible.errors import AnsibleFilterError
from ansible.parsing.vault import VaultLib, VaultSecret

from ansible_collections.msp.umbrella_psa.plugins.filter.tenant_key import FilterModule, tenant_key

PASSWORD = "store-password"
PLACEHOLDER = "<created in check mode>"
UNCHANGED_ROLE = {"changed": False, "extension": True, "manual_steps": []}


def vaulted(text, password=PASSWORD):
    return VaultLib().encrypt(text.encode(), VaultSecret(password.encode()), "default").decode()


def stored(public="STORED", private="stored-private"):
    return {"public_key": public, "private_key_vault": vaulted(private), "created_at": "2026-01-01T00:00:00Z"}


def choose(results, **kwargs):
    arguments = dict(store_path="keys/acme.yml", vault_password=PASSWORD, placeholder=PLACEHOLDER)
    arguments.update(kwargs)
    return tenant_key(results, **arguments)


def test_the_filter_is_registered_under_its_documented_name():
    assert FilterModule().filters() == {"tenant_key": tenant_key}


def test_a_converged_tenant_uses_the_stored_pair_and_skips_the_verify():
    key = choose({"key": {"created": False, "extension": True, "public_key": "STORED"}, "role": UNCHANGED_ROLE},
                 store=stored())
    assert key == {"public_key": "STORED", "private_key": "stored-private", "location": "keys/acme.yml",
                   "new_key": {}, "verify": False, "previous_keys": []}


def test_a_key_created_this_run_is_used_stored_and_verified():
    created = {"created": True, "extension": True, "public_key": "NEW", "private_key": "new-private",
               "key": {"id": 7, "created_at": "2026-12-01T00:00:00Z"}}
    key = choose({"key": created, "key_rotation": {"changed": False, "skipped": True}, "role": UNCHANGED_ROLE},
                 store=stored())
    assert (key["public_key"], key["private_key"], key["verify"]) == ("NEW", "new-private", True)
    assert key["new_key"] == {"id": 7, "created_at": "2026-12-01T00:00:00Z", "public_key": "NEW",
                              "private_key": "new-private"}


def test_the_replacement_key_wins_over_the_first_key_task():
    first = {"created": False, "extension": True, "public_key": "SERVER"}
    replacement = {"created": True, "rotated": True, "public_key": "NEW2", "private_key": "p2", "key": {"id": 9}}
    key = choose({"key": first, "key_rotation": replacement, "role": UNCHANGED_ROLE}, store=stored())
    assert (key["public_key"], key["new_key"]["id"]) == ("NEW2", 9)


def test_a_changed_role_or_a_role_with_manual_steps_or_no_role_result_is_verified():
    key = {"created": False, "extension": True}
    for role in ({"changed": True}, {"changed": False, "manual_steps": ["grant"]}, None):
        assert choose({"key": key, "role": role}, store=stored())["verify"] is True, role


def test_without_the_key_api_the_operator_key_is_used_and_verified():
    key = choose({"key": {"extension": False, "manual_steps": ["create"]}, "role": UNCHANGED_ROLE},
                 store=stored(), operator_public_key="OP", operator_private_key="op-private")
    assert (key["public_key"], key["private_key"], key["verify"]) == ("OP", "op-private", True)
    assert "psa_integration_private_key" in key["location"]


def test_check_mode_placeholders_are_never_verified_and_no_key_means_nothing_to_verify():
    planned = {"created": True, "extension": True, "public_key": PLACEHOLDER, "private_key": PLACEHOLDER}
    assert choose({"key": planned, "role": None})["verify"] is False
    nothing = choose({"key": {"created": False, "extension": True}, "role": None}, store={})
    assert (nothing["public_key"], nothing["private_key"], nothing["verify"]) == ("", "", False)


def test_a_wrong_vault_password_names_the_store_and_the_variable():
    with pytest.raises(AnsibleFilterError) as info:
        choose({"key": {"created": False, "extension": True}, "role": UNCHANGED_ROLE}, store=stored(),
               vault_password="not-it")
    assert "keys/acme.yml" in str(info.value) and "psa_key_store_vault_password" in str(info.value)
    assert "stored-private" not in str(info.value)


def test_the_previous_keys_are_those_the_last_key_task_that_ran_reported():
    old = [{"id": 3}]
    first = {"created": True, "extension": True, "public_key": "NEW", "private_key": "p", "previous_keys": old}
    assert choose({"key": first, "key_rotation": {"changed": False, "skipped": True}, "role": UNCHANGED_ROLE},
                  store=stored())["previous_keys"] == old
    replacement = {"created": True, "extension": True, "public_key": "NEW2", "private_key": "p2",
                   "previous_keys": [{"id": 3}, {"id": 4}]}
    server = {"created": False, "extension": True, "public_key": "SERVER", "previous_keys": []}
    assert choose({"key": server, "key_rotation": replacement, "role": UNCHANGED_ROLE},
                  store=stored())["previous_keys"] == [{"id": 3}, {"id": 4}]


def test_nothing_is_revoked_without_the_key_api_or_when_no_key_task_ran():
    manual = {"extension": False, "previous_keys": [{"id": 3}]}
    assert choose({"key": manual, "role": UNCHANGED_ROLE}, store=stored())["previous_keys"] == []
    assert choose({"key": None, "key_rotation": None, "role": UNCHANGED_ROLE}, store=stored())["previous_keys"] == []


def test_the_store_path_defaults_to_the_path_the_lookup_returned():
    store = dict(stored(), path="keys/from-lookup.yml")
    converged = {"key": {"created": False, "extension": True, "public_key": "STORED"}, "role": UNCHANGED_ROLE}
    assert tenant_key(converged, store=store, vault_password=PASSWORD)["location"] == "keys/from-lookup.yml"
    assert choose(converged, store=store)["location"] == "keys/acme.yml"  # an explicit path still wins
