# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ConnectWise permission lists: the ``permissions`` / ``required`` options and the server's catalogue.

Shared by ``cw_security_role`` (what a role should allow), ``cw_access_info`` (what a key may do)
and the ``psa_integration`` role. A permission names a function the way the UI does,
``module`` › ``function`` ("Companies › Company Maintenance"), which maps to a setting's
``moduleName`` / ``moduleFunctionName``. The identifiers behind those names are not published, so
names are resolved against the settings the server lists (a role's settings or ``mySecurity``),
case-insensitively, and a typo fails with the closest real names before anything is written.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import difflib

from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import EngineError

LEVELS = ("None", "My", "All")
# None < My < All: "My" (records the member owns) is within "All".
LEVEL_RANK = dict((level, rank) for rank, level in enumerate(LEVELS))
ACTIONS = ("add", "edit", "delete", "inquire")
# The SecurityRoleSetting / MySecurity field holding each action's level.
LEVEL_FIELDS = dict((action, action + "Level") for action in ACTIONS)

LABEL_SEPARATOR = u" \u203a "  # "›", as the ConnectWise UI and setup guides write module › function
ALLOW_SEPARATOR = "/"
# The only function whose customize list ("Allow access to these") this collection manages.
TABLE_SETUP = ("System", "Table Setup")
TABLE_SETUP_CUSTOMIZE_IDENTIFIER = "SystemTableSetup"

MAX_CLOSE_MATCHES = 3
CLOSE_MATCH_CUTOFF = 0.6
CLOSE_MATCH_SPREAD = 0.1

# The suboptions of ``permissions`` (cw_security_role) and ``required`` (cw_access_info).
PERMISSION_SUBOPTIONS = dict(
    module=dict(type="str", required=True),
    function=dict(type="str", required=True),
    add=dict(type="str", choices=list(LEVELS), default="None"),
    edit=dict(type="str", choices=list(LEVELS), default="None"),
    delete=dict(type="str", choices=list(LEVELS), default="None"),
    inquire=dict(type="str", choices=list(LEVELS), default="None"),
    allow=dict(type="list", elements="str"),
)


def label(module, function):
    """The UI's name of a function: ``Companies › Company Maintenance``."""
    return u"%s%s%s" % (module, LABEL_SEPARATOR, function)


def table_setup_label():
    return label(*TABLE_SETUP)


def screen_label(screen):
    """The UI's name of a setup table (a SetupScreen record): ``Service / Service Board``."""
    return u"%s / %s" % ((screen.get("category") or "").strip(), (screen.get("name") or "").strip())


def level_satisfies(actual, needed):
    """True when a granted level covers a needed one (None < My < All)."""
    return LEVEL_RANK.get(actual or "None", 0) >= LEVEL_RANK[needed or "None"]


def levels_of(record):
    """The four levels of a SecurityRoleSetting / MySecurity record, keyed by action."""
    return dict((action, record.get(field) or "None") for action, field in LEVEL_FIELDS.items())


def describe_levels(levels):
    """``Add None, Edit None, Delete None, Inquire All`` — the wording of a manual step."""
    return ", ".join("%s %s" % (action.capitalize(), levels[action]) for action in ACTIONS)


def is_table_setup(module, function):
    return (module.lower(), function.lower()) == (TABLE_SETUP[0].lower(), TABLE_SETUP[1].lower())


def _quoted(values):
    return ", ".join("'%s'" % value for value in values)


def close_matches(wanted, candidates):
    """The candidates closest to ``wanted`` (case-insensitive), in their own spelling, best first.

    Only names about as close as the best one are offered: a typo of "Company Maintenance" should
    suggest that, not every "Company ..." function as well.
    """
    by_lower = {}
    for candidate in candidates:
        by_lower.setdefault(candidate.lower(), candidate)
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(wanted.lower())
    scored = []
    for lower in by_lower:
        matcher.set_seq1(lower)
        ratio = matcher.ratio()
        if ratio >= CLOSE_MATCH_CUTOFF:
            scored.append((ratio, lower))
    if not scored:
        return []
    best = max(ratio for ratio, _lower in scored)
    scored = sorted((item for item in scored if item[0] >= best - CLOSE_MATCH_SPREAD), key=lambda item: (-item[0], item[1]))
    return [by_lower[lower] for _ratio, lower in scored[:MAX_CLOSE_MATCHES]]


def _suggestion(wanted, candidates):
    matches = close_matches(wanted, candidates)
    if matches:
        return "; close matches: %s" % _quoted(matches)
    return "; no close match"


def _normalize_name(value, where):
    if not isinstance(value, str) or not value.strip():
        raise EngineError("%s: must be a non-empty string" % where)
    if value != value.strip():
        raise EngineError("%s: %r has leading or trailing whitespace" % (where, value))
    return value


def normalize_allow_label(value, where):
    """``"Company / Configuration"`` -> ``"Company / Configuration"`` (spacing around ``/`` is free)."""
    if not isinstance(value, str) or ALLOW_SEPARATOR not in value:
        raise EngineError("%s: %r is not a setup table label of the form 'Category / Name' "
                          "(for example 'Service / Service Board')" % (where, value))
    category, name = value.split(ALLOW_SEPARATOR, 1)
    category, name = category.strip(), name.strip()
    if not category or not name:
        raise EngineError("%s: %r is not a setup table label of the form 'Category / Name'" % (where, value))
    return u"%s / %s" % (category, name)


def validate_permissions(entries, option="permissions"):
    """Check a ``permissions`` / ``required`` list without the server; return normalized entries.

    Each entry becomes ``{"module", "function", "levels": {action: level}, "allow": [labels] or None,
    "where": "permissions[0]"}``. Raises EngineError naming the entry (0-based index) and the field.
    """
    normalized = []
    seen = {}
    for index, entry in enumerate(entries or []):
        where = "%s[%d]" % (option, index)
        if not isinstance(entry, dict):
            raise EngineError("%s: must be a dictionary with module and function" % where)
        module = _normalize_name(entry.get("module"), where + ".module")
        function = _normalize_name(entry.get("function"), where + ".function")
        key = (module.lower(), function.lower())
        if key in seen:
            raise EngineError("%s: %s is listed twice (first at %s); list each function once"
                              % (where, label(module, function), seen[key]))
        seen[key] = where

        levels = {}
        for action in ACTIONS:
            level = entry.get(action)
            level = "None" if level is None else level
            if level not in LEVELS:
                raise EngineError("%s.%s: %r is not a level; use one of %s"
                                  % (where, action, level, ", ".join(LEVELS)))
            levels[action] = level

        allow = entry.get("allow")
        if allow is not None:
            if not is_table_setup(module, function):
                raise EngineError("%s.allow: only %s has a customize list ('Allow access to these'); "
                                  "remove allow from %s" % (where, table_setup_label(), label(module, function)))
            allow = _validate_allow(allow, where + ".allow")
        normalized.append(dict(module=module, function=function, levels=levels, allow=allow, where=where))
    return normalized


def _validate_allow(allow, where):
    if not isinstance(allow, (list, tuple)):
        raise EngineError("%s: must be a list of 'Category / Name' labels" % where)
    labels = []
    seen = {}
    for index, value in enumerate(allow):
        item_where = "%s[%d]" % (where, index)
        normalized = normalize_allow_label(value, item_where)
        if normalized.lower() in seen:
            raise EngineError("%s: '%s' is listed twice (first at %s)" % (item_where, normalized, seen[normalized.lower()]))
        seen[normalized.lower()] = item_where
        labels.append(normalized)
    return labels


class Catalogue(object):
    """The functions a server knows, from a list of SecurityRoleSetting or MySecurity records.

    Lookups are case-insensitive; ``resolve`` returns the record, whose ``moduleName`` /
    ``moduleFunctionName`` are the server's own spelling.
    """

    def __init__(self, records):
        self.records = list(records)
        self._modules = {}  # lower module name -> (module name, {lower function name: record})
        for record in self.records:
            module = record.get("moduleName") or ""
            function = record.get("moduleFunctionName") or ""
            functions = self._modules.setdefault(module.lower(), (module, {}))[1]
            functions.setdefault(function.lower(), record)

    def find(self, module, function):
        """The record of module › function, or None."""
        entry = self._modules.get(module.lower())
        if entry is None:
            return None
        return entry[1].get(function.lower())

    def resolve(self, module, function, where):
        """The record of module › function; EngineError with close matches when either is unknown."""
        entry = self._modules.get(module.lower())
        if entry is None:
            known = [name for name, _functions in self._modules.values()]
            raise EngineError("%s.module: '%s' is not a ConnectWise module%s"
                              % (where, module, _suggestion(module, known)))
        module_name, functions = entry
        record = functions.get(function.lower())
        if record is None:
            known = [rec.get("moduleFunctionName") or "" for rec in functions.values()]
            raise EngineError("%s.function: '%s' is not a function of module '%s'%s"
                              % (where, function, module_name, _suggestion(function, known)))
        return record

    def resolve_all(self, entries):
        """Attach the server's record to each validated entry (``entry["record"]``); canonical names."""
        resolved = []
        for entry in entries:
            record = self.resolve(entry["module"], entry["function"], entry["where"])
            item = dict(entry)
            item.update(record=record, module=record.get("moduleName"), function=record.get("moduleFunctionName"))
            resolved.append(item)
        return resolved


def check_my_levels(resolved):
    """Fail before any write when ``My`` is asked of a function that offers only None and All.

    A setting's ``myAllFlag`` says whether the function knows "My" (records the member owns) at all.
    """
    for entry in resolved:
        if entry["record"].get("myAllFlag") is not False:
            continue
        for action in ACTIONS:
            if entry["levels"][action] == "My":
                raise EngineError("%s.%s: %s offers only None and All, not My"
                                  % (entry["where"], action, label(entry["module"], entry["function"])))


class SetupScreens(object):
    """The setup tables of ``GET /system/setupScreens``, addressed by their UI label or their id."""

    def __init__(self, screens):
        self.screens = list(screens)
        self._by_label = {}
        self._by_id = {}
        for screen in self.screens:
            self._by_label.setdefault(screen_label(screen).lower(), screen)
            self._by_id[str(screen.get("id"))] = screen

    def resolve(self, labels, where):
        """The screens of ``labels`` (validated labels); EngineError with close matches for an unknown one."""
        found = []
        for index, wanted in enumerate(labels):
            screen = self._by_label.get(wanted.lower())
            if screen is None:
                known = [screen_label(screen) for screen in self.screens]
                raise EngineError("%s[%d]: '%s' is not a setup table%s"
                                  % (where, index, wanted, _suggestion(wanted, known)))
            found.append(screen)
        return found

    def label_of(self, item_identifier):
        """The label of a customize item's ``itemIdentifier`` (a setup screen id as a string)."""
        screen = self._by_id.get(str(item_identifier))
        if screen is None:
            return u"<setup table %s>" % item_identifier
        return screen_label(screen)


def table_setup_items(items):
    """The Table Setup entries of a customize list (MySecurityCustomizeItem-shaped records)."""
    return [item for item in items if item.get("customizeIdentifier") == TABLE_SETUP_CUSTOMIZE_IDENTIFIER]


def option_shape(record, allow=None):
    """A setting record as a ``permissions`` entry (module, function, four levels[, allow])."""
    shaped = dict(module=record.get("moduleName"), function=record.get("moduleFunctionName"))
    shaped.update(levels_of(record))
    if allow is not None and is_table_setup(shaped["module"] or "", shaped["function"] or ""):
        shaped["allow"] = list(allow)
    return shaped


def has_access(levels):
    return any(level != "None" for level in levels.values())
