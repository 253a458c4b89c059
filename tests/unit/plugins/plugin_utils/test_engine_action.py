"""The in-process entry point hides a result that carries a secret the server returned, and no other.

Ansible masks the values of no_log options by itself; a created key's private half is no option,
so the action plugin hides such a result whatever the task's own no_log says. The engine is replaced
here by a stand-in returning a chosen outcome: what is tested is the action plugin alone.
"""

from unittest import mock

import pytest

from ansible_collections.msp.umbrella_psa.plugins.action import cw_api_key, cw_api_member
from ansible_collections.msp.umbrella_psa.plugins.module_utils import engine
from ansible_collections.msp.umbrella_psa.plugins.plugin_utils import engine_action

CONNECTION = dict(site="cw.example.com", company_id="acme", public_key="PUBLIC", private_key="BOOTSTRAP-SECRET",
                  client_id="7a1c0c55-7d55-4d4c-9a43-0d1f3e1a1a02")
ARGS = {cw_api_key: dict(CONNECTION, member="umbrella", description="Cisco Umbrella"),
        cw_api_member: dict(CONNECTION, identifier="umbrella")}


def action(module, transport="local", check_mode=False):
    task = mock.MagicMock(args=dict(ARGS[module]), async_val=0, check_mode=check_mode, diff=False)
    connection = mock.MagicMock(transport=transport)
    return module.ActionModule(task, connection, play_context=mock.MagicMock(), loader=None, templar=None,
                               shared_loader_obj=None)


def run_with_outcome(module, outcome, failed=False, **kwargs):
    with mock.patch.object(engine_action, "run_engine", return_value=(failed, dict(outcome))):
        return action(module, **kwargs).run(task_vars={})


def test_a_created_private_key_hides_the_whole_result():
    result = run_with_outcome(cw_api_key, {"changed": True, "created": True, "public_key": "NEW",
                                           "private_key": "NEW-PRIVATE"})
    assert result["_ansible_no_log"] is True
    assert result["private_key"] == "NEW-PRIVATE"  # kept for register: only the output is hidden


def test_a_failed_result_that_still_carries_the_new_key_is_hidden_too():
    result = run_with_outcome(cw_api_key, {"msg": "revoking the previous key failed", "private_key": "NEW-PRIVATE"},
                              failed=True)
    assert result["failed"] is True and result["_ansible_no_log"] is True


@pytest.mark.parametrize("private_key", [None, "", engine.CHECK_MODE_PLACEHOLDER])
def test_results_without_a_secret_stay_visible(private_key):
    outcome = {"changed": False, "created": False, "public_key": "OLD"}
    if private_key is not None:
        outcome["private_key"] = private_key
    result = run_with_outcome(cw_api_key, outcome)
    assert "_ansible_no_log" not in result


def test_an_option_value_is_masked_not_hidden():
    # The bootstrap key's private half is a no_log option: Ansible's masking covers it, the result stays.
    result = run_with_outcome(cw_api_key, {"msg": "rejected BOOTSTRAP-SECRET"}, failed=True)
    assert "_ansible_no_log" not in result
    assert "BOOTSTRAP-SECRET" not in result["msg"] and "********" in result["msg"]


def test_an_engine_that_returns_no_secret_never_hides():
    result = run_with_outcome(cw_api_member, {"changed": True, "private_key": "not a declared secret"})
    assert "_ansible_no_log" not in result


def test_a_module_run_on_a_remote_host_is_hidden_the_same_way():
    remote = action(cw_api_key, transport="ssh")
    with mock.patch.object(remote, "_execute_module",
                           return_value={"changed": True, "private_key": "NEW-PRIVATE"}) as execute:
        result = remote.run(task_vars={})
    assert execute.called and result["_ansible_no_log"] is True
