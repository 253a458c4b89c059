# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Engine of ``cw_access_info``: what a ConnectWise key may do, read through the published API only.

``GET /system/mySecurity`` answers the calling member's effective settings and
``GET /system/mySecurity/customizeItems/`` its customize lists, so a key can verify its own access,
including the Table Setup list that cannot be read per role. Used as a preflight on the bootstrap key
and to verify the integration key after the manual steps of a server without the extension.
One to three GET requests, never a write.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import functools

from ansible_collections.msp.umbrella_psa.plugins.module_utils import cw_permissions as perms
from ansible_collections.msp.umbrella_psa.plugins.module_utils.common_args import CONNECTWISE_ARGSPEC
from ansible_collections.msp.umbrella_psa.plugins.module_utils.connectwise import (
    ConnectWiseAuthError,
    conditions,
)
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import EngineError

MY_SECURITY_PATH = "/system/mySecurity"
MY_CUSTOMIZE_PATH = "/system/mySecurity/customizeItems/"
SETUP_SCREENS_PATH = "/system/setupScreens"
SCREEN_FIELDS = "id,category,name"
# Names of the facts kept for the run (ConnectWiseClient.run_list); cw_security_role uses the same.
SETUP_SCREENS_KIND = "setup-screens"
MY_SECURITY_KIND = "my-security"
# Up to this many customize items, only their screens are read (`id in (...)`), not the whole table.
FILTER_SCREENS_UP_TO = 50

ARGUMENT_SPEC = dict(
    CONNECTWISE_ARGSPEC,
    required=dict(type="list", elements="dict", options=perms.PERMISSION_SUBOPTIONS, default=[]),
)
ARGUMENT_OPTIONS = {}
# run() is handed a ConnectWiseClient built from these options by the entry point (engine.build_clients).
CLIENTS = dict(client=("connectwise", None))


def run(params, check_mode=False, client=None):
    # Read-only: check mode changes nothing.
    del check_mode
    entries = perms.validate_permissions(params.get("required") or [], "required")
    try:
        records = client.list(MY_SECURITY_PATH)
    except ConnectWiseAuthError as exc:
        # ``status`` lets a caller tell a key that does not authenticate (401) from one denied (403).
        raise EngineError(str(exc), status=exc.status)
    # Read live (this is a check), but kept for the run: cw_security_role validates the names of a
    # role it is about to create against the functions this very key sees.
    client.remember(MY_SECURITY_KIND, records, per_credential=True)
    resolved = perms.Catalogue(records).resolve_all(entries)
    allow_entry = next((entry for entry in resolved if entry["allow"] is not None), None)

    customize = None
    # A requirement without any allow list (a preflight) does not need the customize list: one read fewer.
    if allow_entry is not None or not entries:
        items = perms.table_setup_items(client.list(MY_CUSTOMIZE_PATH))
        screens = _setup_screens(client, items, full=allow_entry is not None)
        customize = [screens.label_of(item.get("itemIdentifier")) for item in items] if screens else []

    missing = _missing_levels(resolved)
    if allow_entry is not None:
        wanted = screens.resolve(allow_entry["allow"], allow_entry["where"] + ".allow")
        granted = set(label.lower() for label in customize)
        missing.extend(u"%s allow: %s" % (perms.table_setup_label(), perms.screen_label(screen))
                       for screen in wanted if perms.screen_label(screen).lower() not in granted)

    return dict(
        changed=False,
        member=_member(records),
        settings=[_setting(record) for record in records if perms.has_access(perms.levels_of(record))],
        customize=customize,
        satisfied=not missing,
        missing=missing,
        manual_steps=[],
    )


def _setup_screens(client, items, full):
    """The setup screens needed to name the customize items (all of them to resolve ``allow``)."""
    if not full and not items:
        return None
    # The catalogue does not change during a run: read in full once (here or by cw_security_role) and
    # shared when the run keeps it; otherwise only the screens needed are read, when they are few.
    ids = [str(item.get("itemIdentifier")) for item in items]
    instead = None
    if not full and len(ids) <= FILTER_SCREENS_UP_TO and all(value.isdigit() for value in ids):
        wanted = sorted(set(int(value) for value in ids))
        instead = functools.partial(client.list, SETUP_SCREENS_PATH, conditions=conditions.in_("id", wanted),
                                    fields=SCREEN_FIELDS)
    return perms.SetupScreens(client.run_list(SETUP_SCREENS_KIND, SETUP_SCREENS_PATH, instead=instead,
                                              fields=SCREEN_FIELDS))


def _member(records):
    for record in records:
        member = record.get("member")
        if isinstance(member, dict):
            return dict(id=member.get("id"), identifier=member.get("identifier"), name=member.get("name"))
    return None


def _setting(record):
    shaped = dict(module=record.get("moduleName"), function=record.get("moduleFunctionName"))
    shaped.update(perms.levels_of(record))
    return shaped


def _missing_levels(resolved):
    """One line per required function the key falls short of: ``M › F: add is None, needs All``."""
    missing = []
    for entry in resolved:
        actual = perms.levels_of(entry["record"])
        shortfalls = ["%s is %s, needs %s" % (action, actual[action], needed)
                      for action, needed in ((a, entry["levels"][a]) for a in perms.ACTIONS)
                      if not perms.level_satisfies(actual[action], needed)]
        if shortfalls:
            missing.append(u"%s: %s" % (perms.label(entry["module"], entry["function"]), "; ".join(shortfalls)))
    return missing
