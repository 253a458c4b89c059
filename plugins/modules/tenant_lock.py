#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: tenant_lock
short_description: Take or release a tenant's lock, so that one run at a time provisions it
version_added: 0.3.0
description:
  - Takes or releases the lock of one tenant on the controller, a file C(<directory>/.locks/<tenant>.lock)
    naming the run that holds it (its pid, user, host, since when, and playbook). The lock belongs to the
    run (the C(ansible-playbook) process), so it spans every task of the tenant.
  - A run that finds the lock held by another live run waits for it, saying whom it waits for, and fails
    after O(timeout) seconds naming the holder.
  - A lock whose run is no longer running on this host (killed, even with SIGKILL) is taken over, with a
    warning that names the run it belonged to. A holder on another host cannot be checked and is waited for.
  - Runs in-process on the controller (an action plugin), whatever the connection of the task; no module is
    executed.
author:
  - msp.umbrella_psa contributors (@msp-automation)
extends_documentation_fragment:
  - msp.umbrella_psa.attributes
attributes:
  check_mode:
    details:
      - In check mode nothing is written (no lock, no directory), but a lock another live run holds is waited for
        all the same; the task never reports a change.
  diff_mode:
    support: none
  platform:
    details:
      - Locks on the controller.
options:
  directory:
    description:
      - The directory the lock is kept under (in its C(.locks) subdirectory, created mode C(0700) when
        missing); an absolute path. The C(msp.umbrella_psa.psa_integration) role uses the key store directory.
    type: str
    required: true
  tenant:
    description: The tenant, the name of its lock file (no C(/), no leading C(.)).
    type: str
    required: true
  state:
    description:
      - V(held) takes the lock (a lock this run already holds is kept); V(released) removes it if this run holds it.
    type: str
    choices: [held, released]
    default: held
  timeout:
    description: How many seconds to wait for another run's lock before failing.
    type: int
    default: 300
  together:
    description:
      - Tenants whose locks are taken with this one, all or none, while the wait lasts (the other tenants of
        the run's batch). Two runs started at once over the same tenants then never hold some each and wait
        for each other. Past O(timeout), the tenant's own lock is taken alone if it is free.
    type: list
    elements: str
    default: []
'''

EXAMPLES = r'''
- name: Take the tenant's lock
  msp.umbrella_psa.tenant_lock:
    directory: "{{ inventory_dir }}/keys"
    tenant: "{{ inventory_hostname }}"
    together: "{{ ansible_play_batch }}"
    timeout: 300

- name: Release the tenant's lock
  msp.umbrella_psa.tenant_lock:
    directory: "{{ inventory_dir }}/keys"
    tenant: "{{ inventory_hostname }}"
    state: released
'''

RETURN = r'''
held_by:
  description:
    - With O(state=held), this run, which now holds the lock (C(pid), C(pid_started), C(host), C(user), C(since),
      C(playbook)). With O(state=released), the other run that holds the lock, when it is not this one.
  returned: when the lock is held
  type: dict
  sample: {"pid": 4242, "pid_started": 1234567, "host": "ctl", "user": "ops", "since": "2026-01-01T10:00:00Z",
           "playbook": "msp.umbrella_psa.provision_tenants"}
waited:
  description: Seconds waited for another run's lock.
  returned: with O(state=held)
  type: float
  sample: 0.0
taken_over:
  description: The tenants whose lock was taken over from a run no longer running, and that run.
  returned: when a lock was taken over
  type: dict
released:
  description: Whether the lock was removed.
  returned: with O(state=released)
  type: bool
'''
