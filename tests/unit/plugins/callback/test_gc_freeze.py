"""The msp.umbrella_psa.gc_freeze callback: the parent's heap frozen at each task start, released at the end."""

import gc
import weakref

import pytest

from ansible_collections.msp.umbrella_psa.plugins.callback import gc_freeze
from ansible_collections.msp.umbrella_psa.plugins.callback.gc_freeze import CallbackModule


@pytest.fixture
def preloads(monkeypatch):
    """The calls of the worker preload (what it loads is tested in test_worker_preload.py)."""
    calls = []
    monkeypatch.setattr(gc_freeze, "preload_for_workers", lambda: calls.append(True))
    return calls


@pytest.fixture
def callback(preloads):
    gc.unfreeze()
    yield CallbackModule()
    gc.unfreeze()


def test_it_must_be_enabled_and_is_not_a_stdout_callback(callback):
    assert callback.CALLBACK_NEEDS_ENABLED is True
    assert callback.CALLBACK_TYPE == "aggregate"


def test_a_task_start_collects_garbage_then_freezes_what_is_left(callback):
    class Node(object):
        pass

    cycle, survivor = Node(), Node()
    cycle.self = cycle
    cycle_ref, survivor_ref = weakref.ref(cycle), weakref.ref(survivor)
    del cycle  # garbage that only the cyclic collector frees
    callback.v2_playbook_on_task_start(task=None, is_conditional=False)
    assert cycle_ref() is None, "the cycle was frozen instead of collected"
    assert survivor_ref() is survivor
    assert gc.get_freeze_count() > 0
    assert not any(o is survivor for o in gc.get_objects())  # in the permanent generation, not examined


def test_handler_tasks_freeze_too_and_the_play_end_releases_the_permanent_generation(callback):
    callback.v2_playbook_on_handler_task_start(task=None)
    assert gc.get_freeze_count() > 0
    callback.v2_playbook_on_stats(stats=None)
    assert gc.get_freeze_count() == 0


def test_each_play_or_batch_start_releases_what_the_previous_one_froze(callback):
    class Node(object):
        pass

    callback.v2_playbook_on_task_start(task=None, is_conditional=False)
    cycle = Node()
    cycle.self = cycle
    cycle_ref = weakref.ref(cycle)
    callback.v2_playbook_on_task_start(task=None, is_conditional=False)  # the cycle is alive: frozen
    del cycle
    gc.collect()
    assert cycle_ref() is not None  # frozen garbage survives a collection...
    callback.v2_playbook_on_play_start(play=None)  # ...until the next play or batch starts
    assert gc.get_freeze_count() == 0
    callback.v2_playbook_on_task_start(task=None, is_conditional=False)
    assert cycle_ref() is None


def test_each_play_start_preloads_what_the_workers_use_before_its_first_task_forks_them(callback, preloads):
    callback.v2_playbook_on_play_start(play=None)
    assert preloads == [True]
    callback.v2_playbook_on_task_start(task=None, is_conditional=False)
    assert preloads == [True]  # once per play, not per task
