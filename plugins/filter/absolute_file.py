# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A file the operator names, as an absolute path, or an error naming its variable (module_utils.tenant_paths)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: absolute_file
short_description: a file path given by a variable, refused unless absolute
version_added: 0.3.0
description:
  - Returns the path normalised, C(~) expanded.
  - Refuses, with a one-line error naming the variable, a path that is relative (it would depend on the
    directory C(ansible-playbook) is started from), that ends with C(/) or that holds NUL.
  - The C(msp.umbrella_psa.psa_integration) role checks C(psa_company_mapping_file) with it, before any request.
options:
  _input:
    description: The path.
    type: str
    required: true
  variable:
    description: The variable that set it, named in an error.
    type: str
    default: path
"""

EXAMPLES = r"""
- name: The tenant's company mapping file, checked
  ansible.builtin.debug:
    msg: "{{ psa_company_mapping_file | msp.umbrella_psa.absolute_file('psa_company_mapping_file') }}"
"""

RETURN = r"""
_value:
  description: The absolute, normalised path.
  type: path
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.msp.umbrella_psa.plugins.module_utils.tenant_paths import TenantPathError, check_file


def absolute_file(path, variable="path"):
    try:
        return check_file(path, variable)
    except TenantPathError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    def filters(self):
        return {"absolute_file": absolute_file}
