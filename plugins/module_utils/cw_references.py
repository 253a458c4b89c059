# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""References of a ConnectWise record (security role, location, ...) given by name or numeric id.

A user writes ``security_role: Umbrella Integration`` or ``security_role: 14``; ConnectWise wants
``{"id": 14}``. Names are looked up through the vendor's own list endpoint of that object, and a name
that does not exist fails with the closest names the server does know.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import difflib

from ansible_collections.msp.umbrella_psa.plugins.module_utils.connectwise import (
    ConditionValueError, ConnectWiseNotFound)
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import EngineError


class Reference:
    """One reference field of a record: the option that sets it and where its targets are listed."""

    def __init__(self, option, field, path, label):
        self.option = option    # module option, e.g. "security_role"
        self.field = field      # record field, e.g. "securityRole"
        self.path = path        # list endpoint of the referenced objects
        self.label = label      # words for messages, e.g. "security role"

    def __repr__(self):
        return "Reference(%r -> %s via %s)" % (self.option, self.field, self.path)


def is_id(value):
    """A value made only of digits is an id; anything else is a name."""
    return isinstance(value, str) and value.strip().isdigit()


def points_to(reference_value, wanted):
    """Whether a record's reference (``{"id", "name"}`` or None) already is the wanted name or id.

    Lets an unchanged member skip the lookup entirely: a rerun costs no request for its references.
    Names compare case-insensitively, as ConnectWise compares them.
    """
    if not isinstance(reference_value, dict):
        return False
    if is_id(wanted):
        return reference_value.get("id") == int(wanted)
    name = reference_value.get("name")
    return isinstance(name, str) and name.casefold() == wanted.casefold()


def _as_reference(record):
    return {"id": record.get("id"), "name": record.get("name")}


def _close_matches(value, names):
    """Case-insensitive near misses first, then similar spellings (at most five)."""
    folded = value.casefold()
    exact = [n for n in names if n.casefold() == folded]
    similar = difflib.get_close_matches(value, names, n=5, cutoff=0.6)
    seen, out = set(), []
    for name in exact + similar:
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out[:5]


def resolve(client, reference, value):
    """``{"id", "name"}`` of the object ``value`` names (or numbers); EngineError naming the option otherwise."""
    if is_id(value):
        object_id = int(value)
        try:
            record = client.get("%s/%d" % (reference.path, object_id))
        except ConnectWiseNotFound:
            raise EngineError("%s: there is no %s with id %d in ConnectWise" % (reference.option, reference.label, object_id))
        return _as_reference(record)

    try:
        found = client.find(reference.path, "name", value)
    except ConditionValueError as exc:
        raise EngineError("%s: %s" % (reference.option, exc.reason))
    if len(found) == 1:
        return _as_reference(found[0])
    if len(found) > 1:
        ids = ", ".join(str(r.get("id")) for r in found)
        raise EngineError("%s: %d %ss are named %r (ids %s); give the id instead of the name"
                          % (reference.option, len(found), reference.label, value, ids))

    # Not found: one more read (only on this failing path) to say which names do exist.
    names = sorted(r.get("name") for r in client.list(reference.path) if isinstance(r.get("name"), str))
    matches = _close_matches(value, names)
    hint = "close matches: %s" % ", ".join(repr(n) for n in matches) if matches else \
        "the server knows %d %ss" % (len(names), reference.label)
    raise EngineError("%s: there is no %s named %r in ConnectWise; %s"
                      % (reference.option, reference.label, value, hint))
