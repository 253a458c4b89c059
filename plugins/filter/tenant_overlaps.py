# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tenants of one inventory that name the same ConnectWise company or the same Umbrella organization.

Two such tenants would manage one member, one key and one console: each run of one revokes the key
the other just gave Umbrella. Computed once per play (batch), over every host of the play.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: tenant_overlaps
short_description: tenants of a play that name the same ConnectWise company or Umbrella organization
version_added: 0.3.0
description:
  - For every host of the play that names the same ConnectWise company (site and company id, compared
    case-insensitively) or the same Umbrella organization (base URL and C(psa_umbrella_org_id), or the
    same API key when no org id is given) as another host, a one-line message naming all of them.
  - Internal to the C(msp.umbrella_psa.psa_integration) role (its preflight); documented because every
    plugin of a collection is public.
options:
  _input:
    description: Every host of the play (C(ansible_play_hosts_all)), not only the current batch.
    type: list
    elements: str
    required: true
  hostvars:
    description: Ansible's C(hostvars).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Find tenants that overlap
  ansible.builtin.set_fact:
    overlaps: "{{ ansible_play_hosts_all | msp.umbrella_psa.tenant_overlaps(hostvars) }}"
  run_once: true
"""

RETURN = r"""
_value:
  description: Host name → the message for it; hosts that overlap with no other are absent.
  type: dict
"""

from urllib.parse import urlsplit

from ansible_collections.msp.umbrella_psa.plugins.module_utils.http import SettingError, origin_key, parse_origin, without_userinfo

DEFAULT_UMBRELLA_BASE_URL = "https://api.umbrella.com"
NAMES = ("psa_cw_site", "psa_cw_company_id", "psa_umbrella_base_url", "psa_umbrella_org_id", "psa_umbrella_api_key")


def _text(value):
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value).strip())


def _host_list(hosts):
    hosts = sorted(hosts)
    return hosts[0] if len(hosts) == 1 else "%s and %s" % (", ".join(hosts[:-1]), hosts[-1])


def _same_place(value, allow_path):
    """A site or base URL as one place, however it is written (bare host, https://, :443, a closing /).

    A value the clients would refuse is kept as written: that tenant fails on its own check, with its
    own message.
    """
    try:
        normalised = parse_origin(value, "site", "site", allow_plain_http=True, bare_host=True, allow_path=allow_path)
    except SettingError:
        return value.lower().rstrip("/")
    return origin_key(normalised), urlsplit(normalised).path.rstrip("/").lower()


def _keys(variables):
    """(what, variable, key) of the ConnectWise company and the Umbrella organization a host names."""
    keys = []
    site, company = _text(variables.get("psa_cw_site")), _text(variables.get("psa_cw_company_id"))
    if site and company:
        # A password in the site is refused by the first request; it is never shown, here neither.
        keys.append(("psa_cw_company_id", "the same ConnectWise company (site %s, company %s)"
                     % (without_userinfo(site), company),
                     ("cw", _same_place(site, allow_path=False), company.casefold())))
    base_url = _same_place(_text(variables.get("psa_umbrella_base_url")) or DEFAULT_UMBRELLA_BASE_URL, allow_path=True)
    org_id = _text(variables.get("psa_umbrella_org_id"))
    if org_id:
        keys.append(("psa_umbrella_org_id", "the same Umbrella organization %s" % org_id,
                     ("umbrella", base_url, org_id)))
    elif _text(variables.get("psa_umbrella_api_key")):
        # The key's own organization (its value is not shown: only which variable to look at).
        keys.append(("psa_umbrella_api_key", "the same Umbrella organization (one API key, no psa_umbrella_org_id)",
                     ("umbrella-key", base_url, _text(variables.get("psa_umbrella_api_key")))))
    return keys


def tenant_overlaps(hosts, hostvars):
    named = {}
    for host in hosts:
        try:
            variables = dict((name, hostvars[host].get(name)) for name in NAMES)
        except Exception:  # pylint: disable=broad-except
            # A host whose variables cannot be templated fails on its own first task, with its own message.
            continue
        for variable, what, key in _keys(variables):
            named.setdefault(key, (variable, what, []))[2].append(host)
    found = {}
    for variable, what, holders in named.values():
        if len(holders) < 2:
            continue
        message = ("%s: tenants %s name %s; each run of one would take over the member, key and console of the "
                   "other: give each tenant its own, or keep one of them in the inventory"
                   % (variable, _host_list(holders), what))
        for host in holders:
            found.setdefault(host, message)
    return found


class FilterModule(object):
    def filters(self):
        return {"tenant_overlaps": tenant_overlaps}
