# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Engine of ``cw_security_role``: a ConnectWise security role and its permission settings.

The published API creates, reads and deletes roles and reads their settings. Writing a setting
(CX1) and a role's Table Setup customize list (CX2) are this collection's extension contract
(docs/extension-api.md); on a server without it the role is still created, what can be read is
verified, and the rest comes back as manual steps.

Every request is paid per tenant per run, so nothing is read twice: the catalogue of function names
is the role's own settings list (or, for a role still to create, the calling key's ``mySecurity``),
setup screens are read only when ``allow`` is given, and a just-created role's customize list is
known to be empty.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.msp.umbrella_psa.plugins.module_utils import cw_permissions as perms
from ansible_collections.msp.umbrella_psa.plugins.module_utils import tenant_inputs
from ansible_collections.msp.umbrella_psa.plugins.module_utils.cw_api_member import check_holder
from ansible_collections.msp.umbrella_psa.plugins.module_utils.common_args import CONNECTWISE_ARGSPEC
from ansible_collections.msp.umbrella_psa.plugins.module_utils.connectwise import (
    ConnectWiseError,
    ConnectWiseUnsupported,
)
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import (
    CHECK_MODE_PLACEHOLDER,
    ON_UNSUPPORTED_CHOICES,
    EngineError,
    manual_steps_outcome,
)

ROLES_PATH = "/system/securityRoles"
MY_SECURITY_PATH = "/system/mySecurity"
SETUP_SCREENS_PATH = "/system/setupScreens"
# Names of the facts kept for the run (ConnectWiseClient.run_list), shared with cw_access_info.
SETUP_SCREENS_KIND = "setup-screens"
MY_SECURITY_KIND = "my-security"
# The vendor answers these when a role cannot be deleted because members still hold it.
ROLE_IN_USE_STATUSES = (400, 409)

ARGUMENT_SPEC = dict(
    CONNECTWISE_ARGSPEC,
    name=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    permissions=dict(type="list", elements="dict", options=perms.PERMISSION_SUBOPTIONS, default=[]),
    permissions_mode=dict(type="str", choices=["listed", "exact"], default="listed"),
    on_unsupported=dict(type="str", choices=ON_UNSUPPORTED_CHOICES, default="fail"),
    holder=dict(type="str"),
    takeover=dict(type="bool", default=False),
)
ARGUMENT_OPTIONS = {}


def settings_path(role_id):
    return "%s/%s/settings" % (ROLES_PATH, role_id)


def customize_path(role_id):
    return "%s/%s/customizeItems" % (ROLES_PATH, role_id)


def validate_name(name):
    """The vendor's limits on a role name (module_utils.tenant_inputs), before any request."""
    problems = tenant_inputs.option_problems("cw_security_role", {"name": name})
    if problems:
        raise EngineError(problems[0])
    return name


def role_screen(name):
    """``ConnectWise: System › Security Roles › <role>`` — where a person edits the role."""
    arrow = perms.LABEL_SEPARATOR.strip()
    return u"ConnectWise: System %s Security Roles %s %s" % (arrow, arrow, name)


def level_step(role_name, record, levels):
    return u"%s: set %s to %s, then Save." % (
        role_screen(role_name), perms.label(record.get("moduleName"), record.get("moduleFunctionName")),
        perms.describe_levels(levels))


def customize_step(role_name, labels):
    arrow = perms.LABEL_SEPARATOR.strip()
    screen = u"%s %s %s %s Customize" % (role_screen(role_name), arrow, perms.table_setup_label(), arrow)
    if labels:
        what = u"select exactly %s" % ", ".join(labels)
    else:
        what = u"clear every selection"
    return (u"%s: under 'Allow access to these' %s, then Save. (This list cannot be read through the "
            u"vendor's API; msp.umbrella_psa.cw_access_info verifies it with the key of a member "
            u"holding the role.)" % (screen, what))


class _RoleState(object):
    """What is known of the role's settings and customize list, updated as writes succeed."""

    def __init__(self, settings, customize_labels):
        # settings: list of SecurityRoleSetting records, in the server's order
        self.settings = [dict(record) for record in settings]
        self.customize_labels = customize_labels  # list of labels, or None when unknown

    def levels(self):
        return dict((self._key(record), perms.levels_of(record)) for record in self.settings)

    @staticmethod
    def _key(record):
        return ((record.get("moduleName") or "").lower(), (record.get("moduleFunctionName") or "").lower())

    def set_levels(self, record, levels):
        for current in self.settings:
            if self._key(current) == self._key(record):
                for action, level in levels.items():
                    current[perms.LEVEL_FIELDS[action]] = level

    def granted(self):
        """Functions with any level other than None (or a customize list), in option shape."""
        shaped = []
        for record in self.settings:
            allow = self._allow_for(record)
            # A customize list outlives its function's levels; show it rather than hide it.
            if perms.has_access(perms.levels_of(record)) or allow:
                shaped.append(perms.option_shape(record, allow))
        return shaped

    def _allow_for(self, record):
        if self.customize_labels is None:
            return None
        if perms.is_table_setup(record.get("moduleName") or "", record.get("moduleFunctionName") or ""):
            return sorted(self.customize_labels)
        return None

    def diff_view(self, name):
        """``{name, permissions: {"Module › Function": {add, edit, delete, inquire[, allow]}}}``."""
        permissions = {}
        for entry in self.granted():
            levels = dict((action, entry[action]) for action in perms.ACTIONS)
            if "allow" in entry:
                levels["allow"] = entry["allow"]
            permissions[perms.label(entry["module"], entry["function"])] = levels
        return dict(name=name, permissions=permissions)


def _planned_levels(resolved, catalogue, mode):
    """Desired levels by function key: the listed functions, plus None for all others in exact mode."""
    desired = {}
    if mode == "exact":
        none = dict((action, "None") for action in perms.ACTIONS)
        for record in catalogue.records:
            desired[_RoleState._key(record)] = dict(none)
    for entry in resolved:
        desired[_RoleState._key(entry["record"])] = dict(entry["levels"])
    return desired


def _level_changes(state, desired):
    """``[(record, {action: new level}, {action: wanted level})]`` for every setting that differs."""
    changes = []
    for record in state.settings:
        wanted = desired.get(_RoleState._key(record))
        if wanted is None:
            continue
        current = perms.levels_of(record)
        changed = dict((action, level) for action, level in wanted.items() if current[action] != level)
        if changed:
            changes.append((record, changed, wanted))
    return changes


def _desired_allow(resolved):
    for entry in resolved:
        if entry["allow"] is not None:
            return entry
    return None


def _find_role(client, name):
    roles = client.find(ROLES_PATH, "name", name)
    if len(roles) > 1:
        raise EngineError("name: %d security roles are named %r (ids %s); rename or delete the extra ones "
                          "in ConnectWise first" % (len(roles), name, ", ".join(str(r.get("id")) for r in roles)))
    return roles[0] if roles else None


def _role_view(role):
    if role is None:
        return None
    return dict(id=role.get("id"), name=role.get("name"))


# run() is handed a ConnectWiseClient built from these options by the entry point (engine.build_clients).
CLIENTS = dict(client=("connectwise", None))


def run(params, check_mode=False, client=None):
    name = validate_name(params["name"])
    state = params.get("state") or "present"
    entries = perms.validate_permissions(params.get("permissions") or [], "permissions")
    role = _find_role(client, name)
    if state == "absent":
        return _absent(client, name, role, check_mode)
    return _Present(client, params, name, entries, role, check_mode).run()


def _absent(client, name, role, check_mode):
    result = dict(changed=False, role=None, created=False, extension=None, permissions=[], manual_steps=[],
                  diff=dict(before={}, after={}))
    if role is None:
        return result
    before = _RoleState(client.list(settings_path(role["id"])), None)
    result.update(changed=True, diff=dict(before=before.diff_view(role.get("name")), after={}))
    if check_mode:
        return result
    try:
        client.delete("%s/%s" % (ROLES_PATH, role["id"]))
    except ConnectWiseError as exc:
        if exc.status in ROLE_IN_USE_STATUSES:
            raise EngineError("role '%s' is still assigned to members; assign them another role first "
                              "(vendor said: %s)" % (name, _vendor_words(exc)))
        raise
    return result


def _vendor_words(exc):
    """The most specific message of a ConnectWise error: its error items, else its message."""
    details = [item.get("message") for item in exc.errors if isinstance(item, dict) and item.get("message")]
    return " ".join(details) if details else (exc.message or str(exc))


class _Present(object):
    """One ``state: present`` run: validate against the server, create, then converge."""

    def __init__(self, client, params, name, entries, role, check_mode):
        self.client = client
        self.params = params
        self.name = name
        self.entries = entries
        self.role = role
        self.check_mode = check_mode
        self.mode = params.get("permissions_mode") or "listed"
        self.on_unsupported = params.get("on_unsupported") or "fail"
        self.created = False
        self.changed = False
        self.extension = None  # unknown until an extension route answers
        self.customize_items = []  # the role's Table Setup customize items, when read

    def run(self):
        # Reads and validation first: nothing is written before every name has been resolved.
        records = self._catalogue_records()
        resolved = perms.Catalogue(records).resolve_all(self.entries)
        perms.check_my_levels(resolved)
        screens, wanted_screens = self._resolve_allow(resolved)

        if self.role is None and self.params.get("holder"):
            # A new role is only worth writing if the member meant to hold it is unambiguous and ours:
            # twins, or a member of that identifier holding another role, are found before any write.
            check_holder(self.client, self.params["holder"], self.name, self.params.get("takeover"))
        if self.role is None and not self._create():
            # Another run created the role meanwhile: it is now the role to bring to what is wanted.
            records = self.client.list(settings_path(self.role["id"]))
        if self.created:
            before_view = {}
            if self.check_mode:
                settings = self._fresh_settings(records)
                # The plan must say what the real run will do: levels written, or a person's steps. A write
                # route cannot be probed without writing; the customize list (CX2) stands for the extension,
                # as its read does for an existing role.
                self.extension = self.client.offers(customize_path(0))
            else:
                settings = self.client.list(settings_path(self.role["id"]))
                # Names were checked against the key's own view; make sure the new role has them too.
                perms.Catalogue(settings).resolve_all(self.entries)
            # A new role's customize list is empty: no need to read it.
            state = _RoleState(settings, [])
        else:
            state = _RoleState(records, None)
            if wanted_screens is not None:
                # Read first: it is needed anyway, and on a server without the extension it tells so
                # with a read, before any write is attempted.
                self._read_customize(state, screens)
            before_view = state.diff_view(self.name)

        desired = _planned_levels(resolved, perms.Catalogue(state.settings), self.mode)
        pending_levels = self._write_levels(state, desired)
        pending_customize = None
        if wanted_screens is not None:
            pending_customize = self._write_customize(state, wanted_screens)
        return self._result(state, before_view, pending_levels, pending_customize)

    def _catalogue_records(self):
        if self.role is not None:
            return self.client.list(settings_path(self.role["id"]))
        if not self.entries:
            return []
        # The role does not exist yet: check the names against the functions the calling key sees
        # (read once per run: a preflight with cw_access_info on the same key has read them already).
        return self.client.run_list(MY_SECURITY_KIND, MY_SECURITY_PATH, per_credential=True)

    def _resolve_allow(self, resolved):
        entry = _desired_allow(resolved)
        if entry is None:
            return None, None
        screens = perms.SetupScreens(self.client.run_list(SETUP_SCREENS_KIND, SETUP_SCREENS_PATH,
                                                          fields="id,category,name"))
        return screens, screens.resolve(entry["allow"], entry["where"] + ".allow")

    @staticmethod
    def _fresh_settings(records):
        """The settings a new role starts with: the catalogue's functions, every level None."""
        fresh = []
        for record in records:
            item = dict((key, record.get(key)) for key in ("moduleName", "moduleFunctionName", "sortOrder"))
            item.update(dict((field, "None") for field in perms.LEVEL_FIELDS.values()))
            fresh.append(item)
        return fresh

    def _read_customize(self, state, screens):
        try:
            items = self.client.list(customize_path(self.role["id"]))
        except ConnectWiseError as exc:
            self._unsupported(exc)
            return
        self.extension = True
        self.customize_items = perms.table_setup_items(items)
        state.customize_labels = [screens.label_of(item.get("itemIdentifier")) for item in self.customize_items]

    # -- writes --------------------------------------------------------------------------------------

    def _create(self):
        """Create the role; False when another run had just created it (that role is then kept)."""
        self.changed = True
        self.created = True
        if self.check_mode:
            self.role = dict(id=CHECK_MODE_PLACEHOLDER, name=self.name)
            return True
        try:
            # A lost answer: the role is found by its name (recover), or created again.
            self.role = self.client.post(ROLES_PATH, dict(name=self.name),
                                         recover=lambda: _find_role(self.client, self.name))
        except ConnectWiseError as exc:
            # Two runs on one tenant can both find no role and both create it; ConnectWise refuses
            # the second with ObjectExists, and the role the first made is the one to keep.
            if not exc.object_exists:
                raise
            self.role = _find_role(self.client, self.name)
            if self.role is None:
                raise EngineError("name: ConnectWise answers that security role %r already exists, but this key "
                                  "cannot find it by its name; check the role in ConnectWise (%s)" % (self.name, exc))
            self.changed = self.created = False
        return self.created

    def _unsupported(self, exc):
        if not isinstance(exc, ConnectWiseUnsupported):
            raise exc
        self.extension = False

    def _write_levels(self, state, desired):
        """Apply level changes (CX1, one PATCH for the whole role); return ``[(record, changed, wanted)]``
        left for a person."""
        changes = _level_changes(state, desired)
        if not changes or self.extension is False:
            return changes
        if not self.check_mode:
            # One request, all or nothing: a server either writes every changed level or none.
            # A check run cannot probe a write route: it predicts that the server offers it.
            operations = [dict(op="replace", path="%s/%s" % (record["id"], perms.LEVEL_FIELDS[action]),
                               value=changed[action])
                          for record, changed, _wanted in changes for action in perms.ACTIONS if action in changed]
            try:
                self.client.patch(settings_path(self.role["id"]), operations)
            except ConnectWiseError as exc:
                self._unsupported(exc)
                return changes
            self.extension = True
        self.changed = True
        for record, _changed, wanted in changes:
            state.set_levels(record, wanted)
        return []

    def _write_customize(self, state, wanted_screens):
        """Make the Table Setup customize list exactly the wanted screens (CX2, one PATCH); return
        labels left to do."""
        wanted_labels = [perms.screen_label(screen) for screen in wanted_screens]
        if self.extension is False or state.customize_labels is None:
            return wanted_labels
        wanted_ids = set(str(screen.get("id")) for screen in wanted_screens)
        present = dict((str(item.get("itemIdentifier")), item) for item in self.customize_items)
        missing = [screen for screen in wanted_screens if str(screen.get("id")) not in present]
        extra = [item for key, item in present.items() if key not in wanted_ids]
        if not missing and not extra:
            return None
        if not self.check_mode:
            # The list is a set on the server: an item added by someone else since the read is no error.
            operations = [dict(op="add", path="-", value=dict(
                customizeIdentifier=perms.TABLE_SETUP_CUSTOMIZE_IDENTIFIER, itemIdentifier=str(screen.get("id"))))
                for screen in missing]
            operations.extend(dict(op="remove", path=str(item["id"])) for item in extra)
            try:
                # CX2's list is a set: the same PATCH sent again after a lost answer changes nothing.
                self.client.patch(customize_path(self.role["id"]), operations, idempotent=True)
            except ConnectWiseError as exc:
                self._unsupported(exc)
                return wanted_labels
            self.extension = True
        self.changed = True
        state.customize_labels = wanted_labels
        return None

    # -- outcome -------------------------------------------------------------------------------------

    def _result(self, state, before_view, pending_levels, pending_customize):
        result = dict(
            changed=self.changed,
            role=_role_view(self.role),
            created=self.created,
            extension=self.extension,
            permissions=state.granted(),
            diff=dict(before=before_view, after=state.diff_view(self.name)),
        )
        steps = [level_step(self.name, record, wanted) for record, _changed, wanted in pending_levels]
        if pending_customize is not None:
            steps.append(customize_step(self.name, pending_customize))
        if not steps:
            result["manual_steps"] = []
            return result
        return manual_steps_outcome(self.on_unsupported, "write the security role's permission settings",
                                    steps, **result)
