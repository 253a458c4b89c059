# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read a tenant's key store, the file msp.umbrella_psa.key_store writes, and tell whether its key is due.

The psa_integration role reads the store once per tenant, in its first task. Written as Jinja (a file
lookup, from_yaml, a file test, to_datetime and now()), the read and the rotation rule were
templated again by every task that named them, and their filters and tests loaded Jinja's plugin
wrappers in each of those workers; here they are a few lines of Python, run once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: key_store
short_description: read a tenant's key store and tell whether its key is due for rotation
version_added: 0.3.0
description:
  - Reads the key store file that M(msp.umbrella_psa.key_store) writes for a tenant (the ConnectWise
    API key Umbrella uses, its private half vault-encrypted) and returns its fields, the stored key's
    age and whether a rotation is due. The private half stays encrypted.
  - A path that does not exist reads as a store without a key.
  - The C(msp.umbrella_psa.psa_integration) role reads every tenant's store with it, once, in its
    first task.
options:
  _terms:
    description: Paths of key store files.
    type: list
    elements: path
    required: true
  max_age_days:
    description: Rotate a stored key at least this many days old; V(0) disables rotation by age.
    type: int
    default: 0
  rotate:
    description: Rotate whatever the key's age (a rotation on demand).
    type: bool
    default: false
notes:
  - The age is counted in whole days, in UTC, from the store's C(created_at) (C(YYYY-MM-DDTHH:MM:SSZ)).
"""

EXAMPLES = r"""
- name: The stored key of a tenant, and whether to rotate it
  ansible.builtin.debug:
    msg: >-
      {{ store.public_key }} is {{ store.age_days }} days old; rotation due: {{ store.rotation_due }}
  vars:
    store: "{{ lookup('msp.umbrella_psa.key_store', inventory_dir ~ '/keys/acme.yml', max_age_days=90) }}"
"""

RETURN = r"""
_list:
  description: One store per path.
  type: list
  elements: dict
  contains:
    path:
      description: The store's file, C(~) expanded.
      type: str
    public_key:
      description: The stored key's public half; an empty string when the store holds no key.
      type: str
    private_key_vault:
      description: Its private half, vault-encrypted (decrypt it with the run's vault password).
      type: str
    key_id:
      description: The key's id in ConnectWise.
      type: raw
    created_at:
      description: When the key was created (UTC).
      type: str
    tenant:
      description: The tenant the store belongs to.
      type: str
    member:
      description: The API member the key belongs to.
      type: str
    description:
      description: The key's description.
      type: str
    mode:
      description:
        - The permission bits the store file was found with, in octal (such as V(0600)); an empty string
          when the file does not exist.
      type: str
      version_added: 0.3.0
    mode_too_open:
      description:
        - V(true) when the file grants any access to its group or to others. The role then tightens it to
          C(0600) and says so in the tenant's result.
      type: bool
      version_added: 0.3.0
    age_days:
      description: Whole days since C(created_at); V(0) when the store holds no key or no creation time.
      type: int
    rotation_due:
      description:
        - V(true) when O(rotate) is set, or when the store holds a key and O(max_age_days) is above
          zero and the key is at least that many days old.
      type: bool
"""

import datetime
import os

from ansible.errors import AnsibleLookupError
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.plugins.lookup import LookupBase

from ansible_collections.msp.umbrella_psa.plugins.module_utils.tenant_paths import file_mode

try:
    import yaml
except ImportError:  # pragma: no cover - ansible-core requires PyYAML
    yaml = None

CREATED_AT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
SAFE_LOADER = getattr(yaml, "CSafeLoader", None) or getattr(yaml, "SafeLoader", None)


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def read_store(path):
    """The store's mapping; {} when the file does not exist."""
    try:
        with open(path, "rb") as handle:
            text = to_text(handle.read(), errors="surrogate_or_strict")
    except FileNotFoundError:
        return {}
    except (IOError, OSError) as exc:
        raise AnsibleLookupError("could not read the key store %s: %s" % (path, to_native(exc)))
    try:
        data = yaml.load(text, Loader=SAFE_LOADER)  # nosec - a safe loader, in C where PyYAML has it
    except yaml.YAMLError as exc:
        raise AnsibleLookupError("the key store %s is not valid YAML (%s): fix or remove the file, "
                                 "the next run then creates a new key" % (path, type(exc).__name__))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise AnsibleLookupError("the key store %s does not hold a mapping: fix or remove the file, "
                                 "the next run then creates a new key" % path)
    return data


def age_in_days(created_at, path, now=None):
    if not created_at:
        return 0
    if isinstance(created_at, datetime.datetime):  # an unquoted timestamp, as YAML reads a hand-edited store
        created = created_at.astimezone(datetime.timezone.utc).replace(tzinfo=None) if created_at.tzinfo else created_at
    else:
        try:
            created = datetime.datetime.strptime(to_native(created_at), CREATED_AT_FORMAT)
        except ValueError:
            raise AnsibleLookupError("the key store %s has created_at %r, not YYYY-MM-DDTHH:MM:SSZ: fix the field "
                                     "or remove the file" % (path, created_at))
    return ((now or _utcnow()) - created).days


def key_store(path, max_age_days=0, rotate=False, now=None):
    """The store at ``path`` with ``age_days`` and ``rotation_due``."""
    store = read_store(path)
    store["path"] = path
    # A store readable by others gives the key to anyone who breaks the vault password offline: the
    # role tightens it (never silently) rather than refuse a tenant whose key otherwise works.
    mode = file_mode(path)
    store["mode"] = "" if mode is None else "%04o" % mode
    store["mode_too_open"] = bool(mode is not None and mode & 0o077)
    store["public_key"] = store.get("public_key") or ""
    store["age_days"] = age_in_days(store.get("created_at"), path, now) if store["public_key"] else 0
    store["rotation_due"] = bool(rotate) or bool(
        max_age_days > 0 and store["public_key"] and store["age_days"] >= max_age_days)
    return store


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        max_age_days = self.get_option("max_age_days")
        rotate = self.get_option("rotate")
        return [key_store(os.path.expanduser(to_native(term)), max_age_days, rotate) for term in terms]
