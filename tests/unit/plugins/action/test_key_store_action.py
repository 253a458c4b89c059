"""The key_store action plugin's file: the document the role reads back, vault-encrypted, 0600, atomic."""

import os
import stat
from unittest import mock

import pytest
import yaml

from ansible.errors import AnsibleActionFail
from ansible.parsing.vault import VaultLib, VaultSecret

from ansible_collections.msp.umbrella_psa.plugins.action import key_store

PARAMS = dict(tenant="acme", member="umbrella", description="Cisco Umbrella", key_id=101,
              created_at="2026-03-01T00:00:00Z", public_key="PUB101", private_key="PRIVATE-SECRET",
              vault_password="s3cret")


def test_document_round_trips_and_hides_the_private_key(tmp_path):
    directory = tmp_path / "keys"
    path = directory / "acme.yml"
    assert key_store.ensure_directory(str(directory))
    key_store.write_atomically(str(path), key_store.render(PARAMS))
    text = path.read_text()
    assert "PRIVATE-SECRET" not in text and "s3cret" not in text
    document = yaml.safe_load(text)
    assert {k: document[k] for k in ("tenant", "member", "description", "key_id", "created_at", "public_key")} == {
        "tenant": "acme", "member": "umbrella", "description": "Cisco Umbrella", "key_id": 101,
        "created_at": "2026-03-01T00:00:00Z", "public_key": "PUB101"}
    assert document["private_key_vault"].startswith("$ANSIBLE_VAULT;1.2;AES256;psa_key_store")
    vault = VaultLib([("default", VaultSecret(b"s3cret"))])
    assert vault.decrypt(document["private_key_vault"]) == b"PRIVATE-SECRET"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert os.listdir(directory) == ["acme.yml"]  # no temporary file left behind


def test_an_existing_directory_is_narrowed_to_0700(tmp_path):
    directory = tmp_path / "keys"
    directory.mkdir(mode=0o755)
    os.chmod(directory, 0o755)
    assert key_store.ensure_directory(str(directory))
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert not key_store.ensure_directory(str(directory))


def test_a_directory_another_tenant_just_made_is_used(tmp_path, monkeypatch):
    # Tenants run in parallel: on a first run they all write into the same new directory, which
    # may appear between one worker's check and its makedirs.
    directory = tmp_path / "keys"
    isdir = os.path.isdir

    def racing_isdir(path):
        # The first check finds nothing; another worker makes the directory right after it.
        if path == str(directory) and not isdir(path):
            os.mkdir(path)
            os.chmod(path, 0o755)
            return False
        return isdir(path)

    monkeypatch.setattr(os.path, "isdir", racing_isdir)
    assert key_store.ensure_directory(str(directory))  # changed: narrowed to 0700
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert not key_store.ensure_directory(str(directory))


def test_an_unexpected_failure_names_neither_the_key_nor_the_password(tmp_path, monkeypatch):
    # The role runs this task without no_log (its result holds no secret), so its failure message
    # is masked like a module's: whatever the error says, the option values marked no_log are hidden.
    def failing_render(params):
        raise ValueError("cannot encrypt %s with %s" % (params["private_key"], params["vault_password"]))

    monkeypatch.setattr(key_store, "render", failing_render)
    task = mock.MagicMock(args=dict(PARAMS, path=str(tmp_path / "keys" / "acme.yml")), async_val=0,
                          check_mode=False)
    plugin = key_store.ActionModule(task, mock.MagicMock(), play_context=mock.MagicMock(), loader=None,
                                    templar=None, shared_loader_obj=None)
    with pytest.raises(AnsibleActionFail) as failure:
        plugin.run(task_vars={})
    message = str(failure.value)
    assert message.startswith("could not write the key store %s: cannot encrypt" % (tmp_path / "keys" / "acme.yml"))
    assert "PRIVATE-SECRET" not in message and "s3cret" not in message
