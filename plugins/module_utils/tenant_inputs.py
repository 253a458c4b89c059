# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the vendors accept in each input the collection writes: one table, read by every check.

The engines check their own options with it before their first request, and the psa_integration
role checks a tenant's variables with it before the tenant's first write (filter
msp.umbrella_psa.tenant_inputs), so that a value the vendor would refuse is reported before anything
is written, naming the variable the user wrote. Limits are the vendors' (ConnectWise's ApiMember and
SecurityRole, Umbrella's console) or, for the routes no vendor publishes, this project's extension
contract (docs/extension-api.md).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
from collections import namedtuple

# Deliberately loose: one "@", a dot in the domain, no spaces. ConnectWise's own check is not published.
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# How much of a refused value a message shows (a note may be long).
SHOWN_MAX = 40

# variable: the role's tenant variable; option: the module option (engine, option) it is given as;
# vendor: who refuses it; maximum: characters (None: no published limit); kind: text, identifier
# (no whitespace anywhere: a login id), email, or integer (with minimum..maximum as its range).
Input = namedtuple("Input", "variable engine option vendor maximum kind minimum")

INPUTS = (
    # ConnectWise SecurityRole.name (the vendor facts: at most 30).
    Input("psa_role_name", "cw_security_role", "name", "ConnectWise", 30, "text", 1),
    # ConnectWise ApiMember: identifier (the Member ID) at most 15, name 30, emailAddress 250; notes
    # at most 2000 (the largest note field ConnectWise's member screen takes).
    Input("psa_member_identifier", "cw_api_member", "identifier", "ConnectWise", 15, "identifier", 1),
    Input("psa_member_name", "cw_api_member", "name", "ConnectWise", 30, "text", 1),
    Input("psa_member_email", "cw_api_member", "email", "ConnectWise", 250, "email", 1),
    Input("psa_member_notes", "cw_api_member", "notes", "ConnectWise", 2000, "text", 1),
    Input("psa_role_name", "cw_api_member", "security_role", "ConnectWise", 30, "text", 1),
    Input("psa_member_location", "cw_api_member", "location", "ConnectWise", None, "text", 1),
    Input("psa_member_department", "cw_api_member", "department", "ConnectWise", None, "text", 1),
    Input("psa_member_time_zone", "cw_api_member", "time_zone", "ConnectWise", None, "text", 1),
    Input(None, "cw_api_member", "structure_level", "ConnectWise", None, "text", 1),
    # The key's description (extension CX3): 1 to 100 characters.
    Input("psa_key_description", "cw_api_key", "description", "ConnectWise", 100, "text", 1),
    Input("psa_member_identifier", "cw_api_key", "member", "ConnectWise", 15, "identifier", 1),
    # The console's ticketing settings (extension UX1): a board of 1 to 100 characters, a threshold
    # from 1 to 10000.
    Input("psa_umbrella_service_board", "umbrella_psa_integration", "service_board", "Umbrella", 100, "text", 1),
    Input("psa_umbrella_query_threshold", "umbrella_psa_integration", "query_threshold", "Umbrella", 10000,
          "integer", 1),
)


def _shown(value):
    text = repr(value)
    return text if len(text) <= SHOWN_MAX else "%s…'" % text[:SHOWN_MAX - 1]


def problem(entry, value, name):
    """What is wrong with ``value`` for ``entry`` (None: nothing), in one line starting with ``name``."""
    if value is None:
        return None
    if entry.kind == "integer":
        if isinstance(value, str) and re.match(r"^\s*-?[0-9]+\s*$", value):
            value = int(value)  # as Ansible's own argument checks take it
        if isinstance(value, bool) or not isinstance(value, int):
            return "%s: %r is not a whole number; use %d to %d" % (name, value, entry.minimum, entry.maximum)
        if not entry.minimum <= value <= entry.maximum:
            return "%s: %d is out of range; %s allows %d to %d" % (
                name, value, entry.vendor, entry.minimum, entry.maximum)
        return None
    if not isinstance(value, str):
        return "%s: %r is not text; give a string" % (name, value)
    if value.strip() == "":
        return "%s: must not be empty" % name
    if value != value.strip():
        return ("%s: %s has leading or trailing whitespace, which %s would trim (the record would then never be "
                "found by this value); remove it" % (name, _shown(value), entry.vendor))
    if entry.kind == "identifier" and re.search(r"\s", value):
        return "%s: %s must not contain spaces (it is the member's login id); remove them" % (name, _shown(value))
    if entry.maximum is not None and len(value) > entry.maximum:
        return "%s: %s is %d characters long; %s allows at most %d: shorten it" % (
            name, _shown(value), len(value), entry.vendor, entry.maximum)
    if entry.kind == "email" and not EMAIL_RE.match(value):
        return "%s: %s is not an e-mail address (expected name@domain.tld)" % (name, _shown(value))
    return None


def entries_of(engine):
    return [entry for entry in INPUTS if entry.engine == engine]


def option_problems(engine, params):
    """One-line problems of an engine's options (named by option), in the table's order."""
    found = []
    for entry in entries_of(engine):
        message = problem(entry, params.get(entry.option), entry.option)
        if message:
            found.append(message)
    return found


def variable_problems(variables):
    """One-line problems of a tenant's variables (``{variable: value}``, unset ones absent or None)."""
    found = []
    seen = set()
    for entry in INPUTS:
        if entry.variable is None or entry.variable in seen:
            continue
        seen.add(entry.variable)
        message = problem(entry, variables.get(entry.variable), entry.variable)
        if message:
            found.append(message)
    return found


def variable_of(engine, option):
    """The role's tenant variable given as an engine's option, for messages ("identifier (psa_member_identifier)")."""
    for entry in INPUTS:
        if entry.engine == engine and entry.option == option and entry.variable:
            return "%s (%s)" % (option, entry.variable)
    return option


# The option (and role variable) that takes over, on purpose, what belongs to someone else.
TAKEOVER = "takeover (psa_takeover: true)"
