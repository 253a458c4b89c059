# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Load once, in ansible-playbook, what every forked worker would otherwise load again for itself.

Ansible runs each task of each host in a worker forked from ansible-playbook, and a worker starts
with exactly what ansible-playbook had loaded when it forked. ansible-playbook itself templates
almost nothing, so the first condition or filter in each worker loaded every one of Ansible's
filter and test plugins, and the first call of a lookup imported the plugin and parsed its
documentation for its options: per task, per tenant, about 5 % of the CPU of a tenant's run
(``docs/performance.md``). Loaded here once, before the forks, every worker finds them loaded.
Likewise one condition is templated here, so that Jinja's lexer and what its compiler sets up on
first use are ready in every worker, whose first template otherwise cost a third more.

Called when Ansible imports this collection's action plugins in ansible-playbook (the strategy does,
before it forks the workers of their first task), and at the start of every play by the
``msp.umbrella_psa.gc_freeze`` callback, which covers the tasks that run before the first of them.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import multiprocessing

from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import filter_loader, lookup_loader, test_loader
from ansible.template import Templar

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core before 2.19 templates any string it is given
    def trust_as_template(value):
        return value

from ansible_collections.msp.umbrella_psa.plugins.module_utils.http import preload_tls_context

# What the psa_integration role calls in every tenant's worker. Asking the filter and test loaders
# for one of Ansible's own plugins loads all of them (ansible.builtin.bool: every filter).
PRELOADED = (
    (filter_loader, ('ansible.builtin.bool', 'msp.umbrella_psa.tenant_key', 'msp.umbrella_psa.tenant_result')),
    (test_loader, ('ansible.builtin.file',)),
    # The lookups of the role's first task: the key store, and the run's vault password file
    # (when psa_key_store_vault_password is not set).
    (lookup_loader, ('msp.umbrella_psa.key_store', 'ansible.builtin.config', 'ansible.builtin.file')),
)

# A comparison and one of Jinja's own filters: the first template builds Jinja's lexer, and the first
# name Ansible does not find among its plugins (the verify task and the summary still use some)
# imports what later searches reuse.
WARM_UP_CONDITION = "{{ [] | length > 0 }}"

_preloaded = []


def preload_for_workers():
    """Load the CA bundle and the plugins every worker uses, and template once, per ansible-playbook.

    A no-op in a worker (what it loaded would serve one task only) and after the first call. Never
    raises: a plugin that cannot be loaded here is left to the task that uses it, which reports it
    as it always did.
    """
    if _preloaded or multiprocessing.parent_process() is not None:
        return
    _preloaded.append(True)
    preload_tls_context()
    for loader, names in PRELOADED:
        for name in names:
            try:
                loader.get(name)
            except Exception:  # pylint: disable=broad-except
                pass
    try:
        Templar(loader=DataLoader()).template(trust_as_template(WARM_UP_CONDITION))
    except Exception:  # pylint: disable=broad-except
        pass
