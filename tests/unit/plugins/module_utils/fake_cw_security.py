# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An in-memory ConnectWise company for the security engines: roles, settings, mySecurity, setup screens.

Implements just the ConnectWiseClient methods the engines call (find, list, post, patch, delete) and
records every call. ``extension=False`` answers the extension routes (CX1, CX2) like a real server
answers an unknown route, so the engines' public-profile path can be tested.
"""

import copy
import re

from ansible_collections.msp.umbrella_psa.plugins.module_utils.connectwise import (
    ConnectWiseClient,
    ConnectWiseAuthError,
    ConnectWiseError,
    ConnectWiseNotFound,
    ConnectWiseUnsupported,
)

FUNCTIONS = [
    ("Companies", "Company Maintenance"),
    ("Companies", "Configurations"),
    ("Companies", "Contacts"),
    ("Service Desk", "Service Tickets"),
    ("Service Desk", "Service Boards"),
    ("System", "Members"),
    ("System", "Security Roles"),
    ("System", "Table Setup"),
]

SCREENS = [
    {"id": 1, "category": "Company", "name": "Configuration"},
    {"id": 2, "category": "Company", "name": "Configuration Status"},
    {"id": 9, "category": "Service", "name": "Priority"},
    {"id": 10, "category": "Service", "name": "Service Board"},
    {"id": 11, "category": "Service", "name": "SLA"},
]

MEMBER = {"id": 178, "identifier": "bootstrap", "name": "Bootstrap Admin", "_info": {"member_href": "x"}}

CISCO_PERMISSIONS = [
    {"module": "Companies", "function": "Company Maintenance", "inquire": "All"},
    {"module": "Companies", "function": "Configurations", "add": "All", "edit": "All", "delete": "All",
     "inquire": "All"},
    {"module": "Service Desk", "function": "Service Tickets", "add": "All", "edit": "All", "inquire": "All"},
    {"module": "System", "function": "Table Setup", "inquire": "All",
     "allow": ["Company / Configuration", "Service / Priority", "Service / Service Board"]},
]

LEVEL_FIELDS = ("addLevel", "editLevel", "deleteLevel", "inquireLevel")


def setting(index, module, function, levels=("None", "None", "None", "None")):
    record = {"id": 1000 + index, "moduleName": module, "moduleFunctionName": function,
              "moduleIdentifier": module.replace(" ", ""), "sortOrder": index + 1}
    record.update(dict(zip(LEVEL_FIELDS, levels)))
    return record


class WithoutRunCache:
    """``run_list`` and ``remember`` of a ConnectWiseClient whose run cache keeps nothing (NoRunCache)."""

    def run_list(self, kind, path, per_credential=False, instead=None, **kwargs):
        del kind, per_credential
        return instead() if instead is not None else self.list(path, **kwargs)

    def remember(self, kind, value, per_credential=False):
        pass


def _unknown_route(method, path):
    return ConnectWiseUnsupported(404, "NotFound", "The endpoint does not exist.", method=method, path=path)


class FakeConnectWise(WithoutRunCache):
    """One ConnectWise company reached with one key."""

    # The client's own probe, over this fake's list().
    offers = ConnectWiseClient.offers

    def __init__(self, extension=True, my_levels=None, my_customize=(), authenticates=True):
        self.extension = extension
        self.authenticates = authenticates
        self.roles = {}       # id -> {"id", "name"}
        self.settings = {}    # role id -> [setting]
        self.customize = {}   # role id -> [customize item]
        self.held = set()     # role ids a member holds (cannot be deleted)
        my_levels = my_levels or {}
        self.my_security = []
        for index, (module, function) in enumerate(FUNCTIONS):
            record = setting(index, module, function, my_levels.get((module, function), ("All",) * 4))
            record["member"] = dict(MEMBER)
            self.my_security.append(record)
        self.my_customize = [{"id": 500 + n, "customizeIdentifier": "SystemTableSetup", "itemIdentifier": str(i)}
                             for n, i in enumerate(my_customize)]
        self.calls = []
        self._next_id = 40

    # -- test helpers ---------------------------------------------------------------------------------

    def add_role(self, name, levels=None, customize=()):
        """A role as someone left it: ``levels`` maps (module, function) to four levels."""
        self._next_id += 1
        role_id = self._next_id
        self.roles[role_id] = {"id": role_id, "name": name, "_info": {}}
        levels = levels or {}
        self.settings[role_id] = [setting(i, m, f, levels.get((m, f), ("None",) * 4))
                                  for i, (m, f) in enumerate(FUNCTIONS)]
        self.customize[role_id] = [{"id": 700 + n, "customizeIdentifier": "SystemTableSetup",
                                    "itemIdentifier": str(i)} for n, i in enumerate(customize)]
        return role_id

    def levels(self, role_id, module, function):
        for record in self.settings[role_id]:
            if (record["moduleName"], record["moduleFunctionName"]) == (module, function):
                return tuple(record[f] for f in LEVEL_FIELDS)
        raise KeyError((module, function))

    def customize_ids(self, role_id):
        return sorted(int(item["itemIdentifier"]) for item in self.customize[role_id])

    @property
    def writes(self):
        return [call for call in self.calls if call[0] != "GET"]

    def paths(self, method=None):
        return [call[1] for call in self.calls if method is None or call[0] == method]

    # -- ConnectWiseClient ----------------------------------------------------------------------------

    def _check_auth(self, method, path):
        if not self.authenticates:
            raise ConnectWiseAuthError(401, "Unauthorized", "UserNotAuthenticated", method=method, path=path)

    def find(self, path, field, value):
        self.calls.append(("GET", path, "%s=%s" % (field, value)))
        self._check_auth("GET", path)
        assert path == "/system/securityRoles" and field == "name"
        return [copy.deepcopy(r) for r in self.roles.values() if r["name"].casefold() == value.casefold()]

    def list(self, path, conditions=None, fields=None, order_by=None):
        self.calls.append(("GET", path, conditions))
        self._check_auth("GET", path)
        if path == "/system/mySecurity":
            return copy.deepcopy(self.my_security)
        if path == "/system/mySecurity/customizeItems/":
            return copy.deepcopy(self.my_customize)
        if path == "/system/setupScreens":
            screens = SCREENS
            if conditions:
                match = re.fullmatch(r"id in \(([\d,]+)\)", conditions)
                assert match, conditions
                wanted = set(int(i) for i in match.group(1).split(","))
                screens = [s for s in SCREENS if s["id"] in wanted]
            return copy.deepcopy(screens)
        match = re.fullmatch(r"/system/securityRoles/(\d+)/(settings|customizeItems)", path)
        assert match, path
        role_id, what = int(match.group(1)), match.group(2)
        if what == "customizeItems" and not self.extension:
            raise _unknown_route("GET", path)
        if role_id not in self.roles:
            raise ConnectWiseNotFound(404, "NotFound", "Security role %d not found" % role_id, method="GET", path=path)
        return copy.deepcopy((self.settings if what == "settings" else self.customize)[role_id])

    def post(self, path, body, recover=None):
        self.recover = recover  # what the engine would read back after a lost answer
        self.calls.append(("POST", path, copy.deepcopy(body)))
        if path == "/system/securityRoles":
            role_id = self.add_role(body["name"])
            return copy.deepcopy(self.roles[role_id])
        match = re.fullmatch(r"/system/securityRoles/(\d+)/customizeItems", path)
        assert match, path
        if not self.extension:
            raise _unknown_route("POST", path)
        items = self.customize[int(match.group(1))]
        item = dict(body, id=800 + len(items))
        items.append(item)
        return copy.deepcopy(item)

    def patch(self, path, operations, idempotent=None):
        self.calls.append(("PATCH", path, copy.deepcopy(operations)))
        if path.endswith("/customizeItems"):
            assert idempotent is True, "a customize PATCH is safe to repeat (CX2) and must say so"
        match = re.fullmatch(r"/system/securityRoles/(\d+)/(settings|customizeItems)", path)
        assert match, path
        role_id, what = int(match.group(1)), match.group(2)
        if not self.extension:
            if what == "customizeItems":
                raise _unknown_route("PATCH", path)
            raise ConnectWiseUnsupported(405, "", "The requested resource does not support http method 'PATCH'.",
                                         method="PATCH", path=path)
        if what == "customizeItems":
            return self._patch_customize(role_id, operations)
        changed = []
        for operation in operations:
            setting_id, field = operation["path"].split("/")
            assert operation["op"] == "replace" and field in LEVEL_FIELDS, operation
            record = next(r for r in self.settings[role_id] if r["id"] == int(setting_id))
            record[field] = operation["value"]
            changed.append(record)
        return copy.deepcopy(changed)

    def _patch_customize(self, role_id, operations):
        items = self.customize[role_id]
        for operation in operations:
            if operation["op"] == "remove":
                items[:] = [i for i in items if i["id"] != int(operation["path"])]
            else:
                assert operation["op"] == "add" and operation["path"] == "-", operation
                if not any(i["itemIdentifier"] == operation["value"]["itemIdentifier"] for i in items):
                    items.append(dict(operation["value"], id=800 + len(items)))
        return copy.deepcopy(items)

    def delete(self, path):
        self.calls.append(("DELETE", path, None))
        match = re.fullmatch(r"/system/securityRoles/(\d+)(?:/customizeItems/(\d+))?", path)
        assert match, path
        role_id = int(match.group(1))
        if match.group(2):
            if not self.extension:
                raise _unknown_route("DELETE", path)
            self.customize[role_id] = [i for i in self.customize[role_id] if i["id"] != int(match.group(2))]
            return
        if role_id in self.held:
            raise ConnectWiseError(400, "InvalidObject", "Security role is in use by 2 members.",
                                   method="DELETE", path=path)
        del self.roles[role_id]
        del self.settings[role_id]
        self.customize.pop(role_id, None)
