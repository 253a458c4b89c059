"""Pieces every ConnectWise route module shares: routes, the error answer and request bodies.

Kept apart from ``connectwise.py`` so that route modules (``cw_records.py``) and the service can
both use them without importing each other.
"""

import re

from emulator.http_types import Response

# The action of a role setting a request needs, by HTTP method.
ACTION_OF_METHOD = {"GET": "inquireLevel", "POST": "addLevel", "PUT": "editLevel", "PATCH": "editLevel",
                    "DELETE": "deleteLevel"}


class CwError(Exception):
    """An error answer in ConnectWise's ErrorResponseMessage shape."""

    def __init__(self, status, code, message, errors=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def response(self):
        return Response(self.status, {"code": self.code, "message": self.message, "errors": self.errors})


def invalid(resource, field, code, message):
    return CwError(400, "InvalidObject", "%s object is invalid" % resource,
                   [{"code": code, "message": message, "resource": resource, "field": field}])


def not_found(resource, record_id):
    return CwError(404, "NotFound", "%s with id %s was not found." % (resource, record_id))


class Route:
    """A path pattern, its methods and what a member's role must allow to call it.

    ``methods`` maps a method to a handler: the name of a ConnectWiseService method (without its
    leading underscore) or a callable ``handler(ctx, *groups)``; None lists the method as known but
    not served (405). ``screen`` is a Table Setup screen ("Company / Configuration") the role's
    customize list must hold besides ``permission``; ``actions`` overrides the level a method needs.
    """

    def __init__(self, pattern, methods, permission=None, extension=(), screen=None, actions=None):
        self.regex = re.compile("^" + pattern + "$", re.IGNORECASE)
        self.methods = methods
        self.permission = permission    # (module, function) or None: no check
        self.extension = set(extension)  # methods only served by the extended profile
        self.screen = screen
        self.actions = dict(actions or {})

    def action(self, method):
        return self.actions.get(method, ACTION_OF_METHOD[method])


def patch_operations(body, resource):
    """Validate a JSON Patch body; return ``[(path, value)]`` with ``remove`` giving None."""
    if not isinstance(body, list) or not body:
        raise CwError(400, "InvalidObject", "The request body must be a non-empty array of patch operations.")
    result = []
    for operation in body:
        if not isinstance(operation, dict):
            raise CwError(400, "InvalidObject", "Each patch operation must be an object.")
        op = str(operation.get("op", "")).lower()
        path = str(operation.get("path") or "").strip().strip("/")
        if op not in ("add", "replace", "remove"):
            raise invalid(resource, "op", "InvalidField",
                          "The patch operation %r is not supported (add, replace, remove)." % operation.get("op"))
        if not path:
            raise invalid(resource, "path", "NullValue", "A patch operation needs a path.")
        if op != "remove" and "value" not in operation:
            raise invalid(resource, path, "NullValue", "A %s operation needs a value." % op)
        result.append((path, None if op == "remove" else operation["value"]))
    return result
