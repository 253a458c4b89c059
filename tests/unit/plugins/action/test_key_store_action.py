"""The key_store action plugin's file: the document the role reads back, vault-encrypted, 0600, atomic."""

import os
import stat
from unittest import mock

import pytest
import yaml

from ansible.errors import AnsibleActionFail
from ansible.parsing.vault import VaultLib, VaultSecret

from ansible_collections.msp.umbrella_psa.plugins.action import key_store
from ansible_collections.msp.umbrella_psa.plugins.module_utils.tenant_paths import ensure_directory, write_atomically

PARAMS = dict(tenant="acme", member="umbrella", description="Cisco Umbrella", key_id=101,
              created_at="2026-03-01T00:00:00Z", public_key="PUB101", private_key="PRIVATE-SECRET",
              vault_password="s3cret")


def test_document_round_trips_and_hides_the_private_key(tmp_path):
    directory = tmp_path / "keys"
    path = directory / "acme.yml"
    assert ensure_directory(str(directory), 0o700)
    write_atomically(str(path), key_store.render(PARAMS).encode(), 0o600)
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


def test_an_existing_directory_keeps_its_mode(tmp_path):
    # The directory may be the operator's own (their home, or "/" when psa_key_store_dir was empty):
    # only a directory the collection creates gets its mode.
    directory = tmp_path / "keys"
    directory.mkdir(mode=0o755)
    os.chmod(directory, 0o755)
    assert not ensure_directory(str(directory), 0o700)
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o755


def test_a_directory_another_tenant_just_made_is_used(tmp_path, monkeypatch):
    # Tenants run in parallel: on a first run they all write into the same new directory, which
    # may appear between one worker's check and its mkdir.
    directory = tmp_path / "keys"
    isdir = os.path.isdir
    made = []

    def racing_isdir(path):
        # The first check finds nothing; another worker makes the directory right after it.
        if path == str(directory) and not isdir(path) and not made:
            os.mkdir(path)
            os.chmod(path, 0o700)
            made.append(path)
            return False
        return isdir(path)

    monkeypatch.setattr(os.path, "isdir", racing_isdir)
    assert not ensure_directory(str(directory), 0o700)  # the other worker made it
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700


def _plugin(args, check_mode=False):
    task = mock.MagicMock(args=args, async_val=0, check_mode=check_mode)
    return key_store.ActionModule(task, mock.MagicMock(), play_context=mock.MagicMock(), loader=None,
                                  templar=None, shared_loader_obj=None)


@pytest.mark.parametrize("path", ["", "acme.yml", "keys/acme.yml"])
def test_a_relative_or_empty_path_is_refused_before_anything_is_written(tmp_path, monkeypatch, path):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AnsibleActionFail) as failure:
        _plugin(dict(PARAMS, path=path)).run(task_vars={})
    assert "absolute" in str(failure.value) and "\n" not in str(failure.value)
    assert os.listdir(str(tmp_path)) == []


def test_a_new_directory_is_made_0700_and_the_store_0600(tmp_path):
    path = tmp_path / "new" / "keys" / "acme.yml"
    result = _plugin(dict(PARAMS, path=str(path))).run(task_vars={})
    assert result["changed"] and result["path"] == str(path)
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


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
