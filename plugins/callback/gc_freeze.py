# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: gc_freeze
type: aggregate
short_description: Keep ansible-playbook's memory shared with its forked workers, for runs over many tenants
version_added: 0.3.0
description:
  - Ansible runs every task of every host in a worker process forked from C(ansible-playbook). A worker
    shares the parent's memory until one of them writes to a page; Python's cyclic garbage collector
    writes to every object it examines, so a collection in the parent, or in a worker, copies pages
    that otherwise stay shared. The parent grows with the inventory, and with it what every worker
    may copy.
  - At the start of every task, when no worker of the previous task is left (the C(linear) strategy),
    this callback collects the parent's garbage once and then moves every object left into Python's
    permanent generation (C(gc.freeze())), which later collections, in the parent and in its workers,
    no longer examine. Objects still free as usual when nothing refers to them; reference cycles among
    frozen objects are kept until the play ends, or the batch of a play with C(serial); each play
    and each batch starts by releasing the permanent generation again.
  - At the start of every play it also loads, once per run, what every worker would otherwise load
    for itself (C(plugins/plugin_utils/worker_preload.py)), that is the default CA bundle, Ansible's
    Jinja filter and test plugins, and the filters and lookups of the
    C(msp.umbrella_psa.psa_integration) role. The collection's action plugins do the same when
    Ansible first imports them, which is only at the first task that uses one; with this callback
    the tasks before it benefit too.
  - Measured with the collection's benchmark (C(docs/performance.md)); it helps any playbook with
    hundreds of hosts, and changes nothing in what a run does.
  - Enable it with C(ANSIBLE_CALLBACKS_ENABLED=msp.umbrella_psa.gc_freeze) (or C(callbacks_enabled) in
    C(ansible.cfg)), next to any other callback. It prints nothing.
author:
  - msp.umbrella_psa contributors (@msp-automation)
requirements:
  - enabled in the callbacks_enabled setting
'''

EXAMPLES = r'''
# ansible.cfg
# [defaults]
# callbacks_enabled = msp.umbrella_psa.gc_freeze
'''

import gc

from ansible.plugins.callback import CallbackBase

from ansible_collections.msp.umbrella_psa.plugins.plugin_utils.worker_preload import preload_for_workers


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'msp.umbrella_psa.gc_freeze'
    CALLBACK_NEEDS_ENABLED = True

    def freeze(self):
        # Collected first, so that what is frozen is what the run still holds, not garbage.
        gc.collect()
        gc.freeze()

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.freeze()

    def v2_playbook_on_handler_task_start(self, task):
        self.freeze()

    def v2_playbook_on_play_start(self, play):
        # Every play, and every batch of a play with `serial`, starts with a new strategy: what the
        # previous one froze and left behind (its host states, its results) is garbage to collect,
        # not to carry into the next batch, whose forks would copy it too.
        gc.unfreeze()
        preload_for_workers()

    def v2_playbook_on_stats(self, stats):
        gc.unfreeze()
