"""Secret variables are read as written: a value kept in vault is never templated, and no failure quotes it."""

import pytest

from ansible.errors import AnsibleError
from ansible.parsing.dataloader import DataLoader

try:  # ansible-core 2.19 and later; older cores are covered by tests/reliability/test_rel_hold_secrets.py
    from ansible.parsing.vault import VaultLib, VaultSecret, VaultSecretsContext
    from ansible.template import Templar, is_trusted_as_template, trust_as_template
except ImportError:
    pytest.skip("templates are marked trusted from ansible-core 2.19 on", allow_module_level=True)

from ansible_collections.msp.umbrella_psa.plugins.lookup.secret import LookupModule

PASSWORD = b"unit-vault-password"
KEY = "Pk{{ab}}cd{%ef%}gh}}ij{#kl"
HOSTILE = [KEY, "a{{b", "{% if %}", "x}}y{{z", "{{ 'abc' }}", "{# c #}", "{{ lookup('env', 'HOME') }}"]


def _loader():
    loader = DataLoader()
    loader.set_vault_secrets([("default", VaultSecret(PASSWORD))])
    return loader


def _lookup(variables, loader=None):
    loader = loader or _loader()
    return LookupModule(loader=loader, templar=Templar(loader=loader, variables=variables))


def _vars_file(tmp_path, content, encrypt):
    path = tmp_path / "secrets.yml"
    data = content.encode()
    path.write_bytes(VaultLib([("default", VaultSecret(PASSWORD))]).encrypt(data) if encrypt else data)
    loader = _loader()
    return loader.load_from_file(str(path), trusted_as_template=True), loader


@pytest.mark.parametrize("secret", HOSTILE)
def test_a_value_of_a_vars_file_encrypted_whole_is_taken_literally(tmp_path, secret):
    variables, loader = _vars_file(tmp_path, "psa_cw_private_key: %s\n" % __import__("json").dumps(secret), True)
    assert is_trusted_as_template(variables["psa_cw_private_key"])  # what Ansible would template
    value = _lookup(variables, loader).run(["psa_cw_private_key"], variables)[0]
    assert value == secret and not is_trusted_as_template(value)


@pytest.mark.parametrize("secret", HOSTILE)
def test_an_encrypt_string_value_is_taken_literally(tmp_path, monkeypatch, secret):
    # ansible-playbook decrypts an encrypt_string value when it is read, with the run's vault secrets.
    monkeypatch.setattr(VaultSecretsContext, "_current",
                        VaultSecretsContext(secrets=[("default", VaultSecret(PASSWORD))]))
    sealed = VaultLib([("default", VaultSecret(PASSWORD))]).encrypt(secret.encode()).decode()
    text = "psa_cw_private_key: !vault |\n" + "".join("  %s\n" % line for line in sealed.splitlines())
    variables, loader = _vars_file(tmp_path, text, False)
    assert _lookup(variables, loader).run(["psa_cw_private_key"], variables)[0] == secret


def test_a_reference_to_a_vaulted_variable_is_followed_without_templating_its_value(tmp_path):
    variables, loader = _vars_file(tmp_path, "vault_cw_private_key: %s\n" % __import__("json").dumps(KEY), True)
    variables["psa_cw_private_key"] = trust_as_template("{{ vault_cw_private_key }}")
    assert _lookup(variables, loader).run(["psa_cw_private_key"], variables)[0] == KEY


def test_a_template_in_clear_is_templated_as_ansible_would():
    variables = {"psa_umbrella_api_secret": trust_as_template("{{ 'abc' ~ 'def' }}")}
    assert _lookup(variables).run(["psa_umbrella_api_secret"], variables) == ["abcdef"]


@pytest.mark.parametrize("secret", ["Zz9{{ab}}cd{%ef%}gh", "Zz9{{ab", "Zz9{% efgh %}"])
def test_a_failing_template_names_the_variable_never_the_value(secret):
    variables = {"psa_cw_private_key": trust_as_template(secret)}
    with pytest.raises(AnsibleError) as failure:
        _lookup(variables).run(["psa_cw_private_key"], variables)
    message = str(failure.value)
    assert message.startswith("psa_cw_private_key could not be templated") and "!unsafe" in message
    for part in ("Zz9", "ab", "cd", "ef", "gh"):
        assert part not in message.replace("unsafe", "").replace("encrypted", "").replace("templated", ""), part


def test_a_variable_not_set_is_named_or_defaulted():
    with pytest.raises(AnsibleError) as failure:
        _lookup({}).run(["psa_umbrella_api_secret"], {})
    assert str(failure.value).startswith("psa_umbrella_api_secret is not set")
    assert _lookup({}).run(["psa_integration_private_key"], {}, default="") == [""]


def test_a_reference_loop_is_refused():
    variables = {"a": trust_as_template("{{ b }}"), "b": trust_as_template("{{ a }}")}
    with pytest.raises(AnsibleError) as failure:
        _lookup(variables).run(["a"], variables)
    assert "refers to itself" in str(failure.value)
