# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The path of a tenant's file in a directory, guaranteed to stay inside it (module_utils.tenant_paths)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: tenant_file
short_description: the path of a tenant's file, kept inside its directory
version_added: 0.3.0
description:
  - Joins an absolute directory and a tenant's name with a suffix (C(<directory>/<tenant><suffix>)).
  - Refuses, with a one-line error naming the variable and the fix, a tenant name that could leave the
    directory or hide the file (empty, holding C(/), NUL or another control character, starting
    with a dot, with a space at either end, or longer than 200 bytes) and a directory that is empty or
    relative. Names are refused, never encoded.
  - The C(msp.umbrella_psa.psa_integration) role names every file it writes with it (key store, report,
    company mapping steps).
options:
  _input:
    description: The directory (an absolute path; C(~) is expanded).
    type: str
    required: true
  tenant:
    description: The tenant's name (the inventory host).
    type: str
    required: true
  suffix:
    description: What follows the tenant's name in the file name.
    type: str
    default: ''
  variable:
    description: The variable that set the directory, named in an error.
    type: str
    default: directory
"""

EXAMPLES = r"""
- name: The tenant's key store file
  ansible.builtin.debug:
    msg: "{{ psa_key_store_dir | msp.umbrella_psa.tenant_file(inventory_hostname, '.yml', 'psa_key_store_dir') }}"
"""

RETURN = r"""
_value:
  description: The file's absolute, normalised path, a direct child of the directory.
  type: path
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.msp.umbrella_psa.plugins.module_utils.tenant_paths import TenantPathError, tenant_file as _tenant_file


def tenant_file(directory, tenant, suffix="", variable="directory"):
    try:
        return _tenant_file(directory, tenant, suffix, variable)
    except TenantPathError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    def filters(self):
        return {"tenant_file": tenant_file}
