# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every resource engine shares: its error type, the manual-steps outcome and the runner.

An engine is a module of this package with ``ARGUMENT_SPEC`` (plus optional ``ARGUMENT_OPTIONS`` and
``SECRET_RESULTS``), ``CLIENTS`` (the clients it is handed) and
``run(params, check_mode=False, client=None) -> dict``. The action plugin (in-process) and the module
(remote) both call ``run_engine``, which builds the clients (``build_clients``) with the run cache the
entry point has, if any; nothing else differs between them, and no engine knows about the cache.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import traceback

from ansible_collections.msp.umbrella_psa.plugins.module_utils.connectwise import ConnectWiseClient
from ansible_collections.msp.umbrella_psa.plugins.module_utils.errors import PsaError
from ansible_collections.msp.umbrella_psa.plugins.module_utils.http import take_warnings
from ansible_collections.msp.umbrella_psa.plugins.module_utils.umbrella import UmbrellaClient

# Shown in place of ids and keys that only a real run can know.
CHECK_MODE_PLACEHOLDER = "<created in check mode>"

ON_UNSUPPORTED_CHOICES = ["fail", "report"]


# The clients an engine can be handed, by the name its ``CLIENTS`` uses.
CLIENT_CLASSES = {"connectwise": ConnectWiseClient, "umbrella": UmbrellaClient}


class EngineError(PsaError):
    """A failure explained to the user in one line; ``result`` adds keys to the failed result."""

    def __init__(self, msg, **result):
        super(EngineError, self).__init__(msg)
        self.msg = msg
        self.result = result


def build_client(vendor, params, cache=None):
    """The one factory of clients: ``vendor``'s client from its connection options, sharing ``cache``."""
    return CLIENT_CLASSES[vendor].from_params(params, cache=cache)


def build_clients(engine, params, cache=None):
    """The keyword arguments of ``engine.run`` that hand it its clients.

    ``engine.CLIENTS`` maps each keyword to ``(vendor, option)``: the client of ``vendor`` built from
    the task's options, or from the dict option ``option`` when its connection options are nested.
    """
    return dict((keyword, build_client(vendor, params[option] if option else params, cache))
                for keyword, (vendor, option) in getattr(engine, "CLIENTS", {}).items())


def manual_steps_outcome(on_unsupported, what, steps, **result):
    """The outcome of a change the server cannot make: fail with the steps, or report them.

    ``what`` says in a few words what could not be done ("write the role's permissions"); the steps
    are complete instructions for a person, one string each.
    """
    steps = list(steps)
    result.pop("manual_steps", None)  # the steps given here are the outcome's, whatever the caller had
    if on_unsupported == "fail":
        numbered = " ".join("(%d) %s" % (i + 1, step) for i, step in enumerate(steps))
        raise EngineError(
            "The server does not offer the API to %s (it is not part of the vendor's public API). "
            "Do it by hand, or set on_unsupported=report to carry on: %s" % (what, numbered),
            manual_steps=steps, **result)
    result.setdefault("changed", False)
    result["manual_steps"] = steps
    return result


def run_engine(engine, params, check_mode, diff, cache=None):
    """Build the engine's clients, run it and turn its outcome into a task result: ``(failed, result)``.

    Shared by both entry points so that they cannot drift apart. ``cache`` is the run cache the
    clients share (plugin_utils/run_cache.py in the in-process entry point; none in a module).
    """
    try:
        result = engine.run(params, check_mode=check_mode, **build_clients(engine, params, cache))
    except PsaError as exc:
        failed = {"failed": True, "msg": getattr(exc, "msg", None) or str(exc), "changed": False}
        failed.update(getattr(exc, "result", {}) or {})
        _add_warnings(failed, take_warnings())
        return True, failed
    # The transport's warnings (validate_certs: false, plain HTTP), once per run and connection.
    _add_warnings(result, take_warnings())
    result.setdefault("changed", False)
    result.setdefault("manual_steps", [])
    # What changed, field by field, whether or not --diff is on: a plan and its run name the same fields.
    before_after = result.get("diff")
    if result["changed"] and isinstance(before_after, dict) and before_after.get("before"):
        result["changed_fields"] = field_changes(before_after.get("before"), before_after.get("after"))
    if not diff:
        result.pop("diff", None)
    return False, result


_ABSENT = object()
# Key material is named by the change sentence itself (a public key shortened), never field by field.
_NOT_LISTED = ("key",)


def _shown(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (list, tuple)):
        return "[%s]" % ", ".join(_shown(item) for item in value)
    return str(value)


def field_changes(before, after, limit=12):
    """``["~ ticketing.queryThreshold: 20 → 10", "+ permissions.X.add: All", ...]`` of a diff, Terraform's way.

    Fields whose path names a key are left out (key material has its own sentence); past ``limit`` lines,
    one more line says how many were left out.
    """
    lines = []

    def walk(path, old, new):
        if isinstance(old, dict) or isinstance(new, dict):
            old = old if isinstance(old, dict) else {}
            new = new if isinstance(new, dict) else {}
            for name in sorted(set(old) | set(new), key=str):
                walk(path + [str(name)], old.get(name, _ABSENT), new.get(name, _ABSENT))
            return
        if old == new or any(word in part.lower() for part in path for word in _NOT_LISTED):
            return
        name = ".".join(path)
        if old is _ABSENT:
            lines.append(u"+ %s: %s" % (name, _shown(new)))
        elif new is _ABSENT:
            lines.append(u"- %s: %s" % (name, _shown(old)))
        else:
            lines.append(u"~ %s: %s \u2192 %s" % (name, _shown(old), _shown(new)))

    walk([], before or {}, after or {})
    if len(lines) > limit:
        lines = lines[:limit] + [u"\u2026 %d more" % (len(lines) - limit)]
    return lines


def _add_warnings(result, warnings):
    if warnings:
        result["warnings"] = list(result.get("warnings") or []) + warnings


def holds_secret(engine, result):
    """Whether a result carries one of the secrets the engine returns (``SECRET_RESULTS``).

    Ansible masks the values of ``no_log`` options in a result, but not a secret the server handed
    back, such as a created key's private half. The action plugin hides such a result itself
    (``_ansible_no_log``), so that a task without ``no_log`` cannot show it; check mode's placeholders
    are no secret and stay visible.
    """
    for key in getattr(engine, "SECRET_RESULTS", ()):
        value = result.get(key)
        if value and value != CHECK_MODE_PLACEHOLDER:
            return True
    return False


def run_module(engine):
    """``main()`` of a module file: the same engine, run by AnsibleModule on the target host."""
    from ansible.module_utils.basic import AnsibleModule, missing_required_lib
    from ansible_collections.msp.umbrella_psa.plugins.module_utils.http import HAS_REQUESTS, REQUESTS_IMPORT_ERROR

    module = AnsibleModule(argument_spec=engine.ARGUMENT_SPEC, supports_check_mode=True,
                           **getattr(engine, "ARGUMENT_OPTIONS", {}))
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    try:
        failed, result = run_engine(engine, module.params, module.check_mode, module._diff)
    except Exception as exc:  # an unexpected bug: keep the traceback for -vvv
        module.fail_json(msg="Unexpected error: %s" % exc, exception=traceback.format_exc())
    if failed:
        module.fail_json(**result)
    module.exit_json(**result)
