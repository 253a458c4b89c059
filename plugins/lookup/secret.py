# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A secret variable's value as the operator wrote it, never as Jinja would read it.

A private key is random text: it may hold ``{{``, ``{%`` or ``{#``. Ansible treats every string of a
vars file as a template, a whole-file vault-encrypted one included, so naming such a key in a task
templated it: the key was sent altered, or the run failed with Jinja's error message, which quotes
the part of the key around the bad tag, in the task's failure, the summary and the plan file. This
lookup reads the variable itself and takes a secret kept in vault as data.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: secret
short_description: a secret variable's value, not templated when it is kept in vault
version_added: 0.3.0
description:
  - Returns the value of each named variable of the host, for a secret such as a private key or an API
    secret, without letting its characters act as a template when it is kept in Ansible Vault.
  - A value encrypted with C(ansible-vault encrypt_string), a value of a vars file encrypted whole with
    C(ansible-vault encrypt), and a value marked C(!unsafe) are taken literally, whatever characters they
    hold (C({{), C({%), C(}})).
  - A value that is exactly one variable reference, such as C({{ vault_cw_private_key }}), is that
    variable's value, read by the same rules (the usual indirection to a vaulted variable).
  - Any other value in clear is templated as Ansible would. If that fails, the error names the variable
    and never quotes the value or Jinja's message about it.
  - The C(msp.umbrella_psa.psa_integration) role reads every secret variable with it.
options:
  _terms:
    description: Names of variables.
    type: list
    elements: str
    required: true
  default:
    description: The value of a variable that is not set. Without it, a variable that is not set is an error.
    type: raw
"""

EXAMPLES = r"""
- name: The bootstrap private key as written in the vault, characters and all
  ansible.builtin.set_fact:
    cw_private_key: "{{ lookup('msp.umbrella_psa.secret', 'psa_cw_private_key') }}"
  no_log: true
"""

RETURN = r"""
_list:
  description: One value per variable name, not trusted as a template.
  type: list
"""

import re

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

try:  # ansible-core 2.19 and later: values carry whether they are templates, and their origin
    from ansible.template import is_trusted_as_template
    from ansible._internal._datatag._tags import Origin
except ImportError:  # pragma: no cover - older ansible-core: only !unsafe values are kept from templating
    is_trusted_as_template = Origin = None

from ansible.utils.unsafe_proxy import wrap_var

_REFERENCE = re.compile(r"^\s*\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\s*$")
_MAX_REFERENCES = 10
_VAULT_HEADER = b"$ANSIBLE_VAULT;"


def _is_template(value):
    """Whether Ansible would template this value (a trusted string, as vars files give)."""
    if is_trusted_as_template is None:
        return not getattr(value, "__UNSAFE__", False)
    return is_trusted_as_template(value)


def _from_vault_file(value, cache):
    """Whether the value was read from a file encrypted whole with ansible-vault."""
    if Origin is not None:
        path = getattr(Origin.get_tag(value), "path", None)
    else:
        # Older ansible-core: a string read from YAML carries its position (file, line, column).
        position = getattr(value, "ansible_pos", None)
        path = position[0] if isinstance(position, tuple) and position else None
    if not path:
        return False
    if path not in cache:
        try:
            with open(path, "rb") as handle:
                cache[path] = handle.read(len(_VAULT_HEADER)) == _VAULT_HEADER
        except (IOError, OSError):
            cache[path] = False
    return cache[path]


class LookupModule(LookupBase):
    _vault_files = {}  # path -> encrypted whole: a worker reads each vars file's header once
    _has_default, _default = False, None

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        self._has_default, self._default = "default" in kwargs, kwargs.get("default")
        variables = variables or {}
        return [self._secret(str(name), variables) for name in terms]

    def _secret(self, name, variables, seen=()):
        if name not in variables:
            if self._has_default:
                return self._default
            raise AnsibleLookupError("%s is not set%s: set it in the tenant's inventory variables, kept in Ansible Vault"
                                     % (name, " (%s refers to it)" % seen[-1] if seen else ""))
        value = variables[name]
        if not isinstance(value, str) or not _is_template(value) or _from_vault_file(value, self._vault_files):
            # An encrypt_string value (not a str until decrypted), !unsafe, or a vaulted file's: data.
            return wrap_var(str(value) if not isinstance(value, (str, int, float, bool)) else value)
        reference = _REFERENCE.match(value)
        if reference:
            if len(seen) >= _MAX_REFERENCES or reference.group(1) in seen + (name,):
                raise AnsibleLookupError("%s refers to itself through other variables" % (seen or (name,))[0])
            return self._secret(reference.group(1), variables, seen + (name,))
        try:
            return wrap_var(self._templar.template(value))
        except Exception as exc:  # pylint: disable=broad-except
            # Jinja's message quotes the text around the fault: part of the secret. Only its kind is said.
            raise AnsibleLookupError(
                "%s could not be templated (%s): a secret holding {{, {%% or {# must be kept in Ansible Vault "
                "(ansible-vault encrypt_string, or a vars file encrypted whole) or marked !unsafe"
                % ((seen or (name,))[0], type(exc).__name__)) from None  # Jinja's error quotes the secret
