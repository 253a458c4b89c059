"""key_successor: the older keys are revoked only when the key store on disk and the console hold the key in use.

The key store is a real file (written as the key_store action writes it, vault-encrypted); the console is a
stand-in for the Umbrella client answering the extension's GET, or refusing it as a public console does.
"""

from unittest import mock

import pytest

from ansible_collections.msp.umbrella_psa.plugins.action import key_store, key_successor
from ansible_collections.msp.umbrella_psa.plugins.module_utils import umbrella

VAULT = "s3cret"
IN_USE = dict(public_key="PUB-NEW", private_key="PRIVATE-NEW")
CONSOLE_HOLDS = {"psa": "connectwise", "connectwise": {"publicKey": "PUB-NEW", "privateKeySet": True}}


def write_store(path, public_key, private_key):
    path.write_text(key_store.render(dict(tenant="acme", member="umbrella", description="Cisco Umbrella", key_id=7,
                                          created_at="2026-03-01T00:00:00Z", public_key=public_key,
                                          private_key=private_key, vault_password=VAULT)))


class Console:
    def __init__(self, answer=None, unsupported=False):
        self.answer, self.unsupported = answer, unsupported

    def get(self, path, extension=False):
        assert path == "/admin/v2/psa/integration" and extension
        if self.unsupported:
            raise umbrella.UmbrellaUnsupported(404, "Not Found", method="GET", path=path)
        return self.answer


def run(store_path, console, check_mode=False, **overrides):
    args = dict(api_key="k", api_secret="UMBRELLA-SECRET", base_url="https://api.example.com",
                store_path=str(store_path), vault_password=VAULT, **IN_USE)
    args.update(overrides)
    task = mock.MagicMock(args=args, async_val=0, check_mode=check_mode, diff=False)
    action = key_successor.ActionModule(task, mock.MagicMock(transport="local"), play_context=mock.MagicMock(),
                                        loader=None, templar=None, shared_loader_obj=None)
    with mock.patch.object(umbrella.UmbrellaClient, "from_params", return_value=console) as build, \
            mock.patch.object(key_successor, "RunCache") as run_cache:
        result = action.run(task_vars={})
    for call in build.call_args_list:
        # The console is read with the run's Umbrella token: the client gets the run cache.
        assert call.kwargs["cache"] is run_cache.return_value
    return result


def test_held_when_the_store_and_the_console_hold_the_key_in_use(tmp_path):
    write_store(tmp_path / "acme.yml", "PUB-NEW", "PRIVATE-NEW")
    result = run(tmp_path / "acme.yml", Console(CONSOLE_HOLDS))
    assert result["held"] and result["store_holds"] and result["console_holds"] and result["console_read"]


@pytest.mark.parametrize("public_key, private_key", [("PUB-OTHER", "PRIVATE-OTHER"), ("PUB-NEW", "PRIVATE-OTHER")])
def test_not_held_when_the_store_on_disk_holds_another_key(tmp_path, public_key, private_key):
    write_store(tmp_path / "acme.yml", public_key, private_key)
    result = run(tmp_path / "acme.yml", Console(CONSOLE_HOLDS))
    assert not result["held"] and not result["store_holds"] and result["console_holds"]
    assert result["msg"].startswith("previous keys not revoked: the key store") and "next run" in result["msg"]
    assert "PRIVATE" not in result["msg"] and "UMBRELLA-SECRET" not in result["msg"]


def test_not_held_when_the_store_is_gone(tmp_path):
    result = run(tmp_path / "acme.yml", Console(CONSOLE_HOLDS))
    assert not result["held"] and not result["store_holds"]


@pytest.mark.parametrize("answer", [
    {"psa": "connectwise", "connectwise": {"publicKey": "PUB-OTHER", "privateKeySet": True}},
    {"psa": "connectwise", "connectwise": {"publicKey": "PUB-NEW", "privateKeySet": False}},
    {"psa": "none"}, None])
def test_not_held_when_the_console_holds_another_key(tmp_path, answer):
    write_store(tmp_path / "acme.yml", "PUB-NEW", "PRIVATE-NEW")
    result = run(tmp_path / "acme.yml", Console(answer))
    assert not result["held"] and result["store_holds"] and not result["console_holds"]
    assert "console" in result["warnings"][0]


@pytest.mark.parametrize("confirmed", [True, False])
def test_a_console_that_cannot_be_read_counts_on_the_operators_confirmation(tmp_path, confirmed):
    write_store(tmp_path / "acme.yml", "PUB-NEW", "PRIVATE-NEW")
    result = run(tmp_path / "acme.yml", Console(unsupported=True), console_confirmed=confirmed)
    assert result["held"] is confirmed and result["console_read"] is False
    if not confirmed:
        assert "psa_umbrella_confirmed_public_key" in result["msg"]


def test_check_mode_reads_nothing_and_predicts_the_revocation(tmp_path):
    result = run(tmp_path / "acme.yml", Console(unsupported=True), check_mode=True)
    assert result["held"] and result["checked"] is False
