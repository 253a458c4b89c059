"""The control API under /_emulator/: seed tenants, read state, counters, faults, a person's manual acts.

Never part of a vendor surface; the server refuses it to non-loopback clients.
"""

import json
import math
import re

from emulator.connectwise import AlreadyExists, ControlError
from emulator.faults import FaultSpecError
from emulator.hold import HoldSpecError
from emulator.http_types import Response
from emulator.umbrella_sync import NoIntegration


def _error(status, message):
    return Response(status, {"error": message})


def _umbrella_org_id(text):
    return int(text) if text.isdigit() else text


class ControlAPI:
    def __init__(self, app):
        self.app = app
        self._routes = [
            ("GET", r"/health", self._health),
            ("POST", r"/tenants", self._create_tenant),
            ("GET", r"/tenants", self._list_tenants),
            ("GET", r"/state", self._state),
            ("POST", r"/reset", self._reset),
            ("GET", r"/stats", self._stats),
            ("POST", r"/stats/reset", self._reset_stats),
            ("GET", r"/faults", self._get_faults),
            ("POST", r"/faults", self._set_faults),
            ("DELETE", r"/faults", self._clear_faults),
            ("POST", r"/rate-limits", self._rate_limits),
            ("POST", r"/connectwise/([^/]+)/roles/([^/]+)/settings", self._cw_role_settings),
            ("POST", r"/connectwise/([^/]+)/members/([^/]+)/keys", self._cw_member_key),
            ("POST", r"/connectwise/([^/]+)/bulk-members", self._cw_bulk_members),
            ("POST", r"/connectwise/([^/]+)/bulk-companies", self._cw_bulk_companies),
            ("POST", r"/connectwise/([^/]+)/companies/([^/]+)", self._cw_company),
            ("POST", r"/umbrella/([^/]+)/psa", self._umbrella_psa),
            ("POST", r"/umbrella/([^/]+)/customers", self._umbrella_customers),
            ("POST", r"/umbrella/([^/]+)/customers/([^/]+)/connectwise", self._umbrella_customer_mapping),
        ]
        # Umbrella's side of the integration (emulator/umbrella_sync.py) and the emulated time.
        self._routes += [
            ("POST", r"/umbrella/([^/]+)/psa/sync", self._run_psa_sync),
            ("GET", r"/umbrella/([^/]+)/psa/sync", self._last_psa_sync),
            ("POST", r"/umbrella/([^/]+)/botnet-events", self._botnet_events),
            ("POST", r"/clock", self._advance_clock),
        ]
        # Reliability scenarios: a write held in flight, tokens expired mid-run.
        self._routes += [
            ("GET", r"/hold", self._get_hold),
            ("POST", r"/hold", self._arm_hold),
            ("DELETE", r"/hold", self._clear_hold),
            ("POST", r"/hold/release", self._release_hold),
            ("POST", r"/umbrella/tokens/expire", self._expire_umbrella_tokens),
        ]

    # Paths given to handle() start after "/_emulator".
    def handle(self, method, path, body):
        path = path.rstrip("/") or "/"
        known_path = False
        for route_method, pattern, handler in self._routes:
            match = re.fullmatch(pattern, path)
            if not match:
                continue
            known_path = True
            if route_method != method:
                continue
            try:
                payload = json.loads(body.decode("utf-8")) if body else {}
            except (UnicodeDecodeError, ValueError):
                return _error(400, "the body is not valid JSON")
            if not isinstance(payload, dict):
                return _error(400, "the body must be a JSON object")
            try:
                return handler(payload, *match.groups())
            except (ControlError, FaultSpecError, HoldSpecError, ValueError, TypeError) as error:
                return _error(400, str(error))
            except KeyError as error:
                return _error(404, error.args[0] if error.args else "not found")
            except AlreadyExists as error:
                return _error(409, str(error))
        if known_path:
            return _error(405, "method %s not allowed on /_emulator%s" % (method, path))
        return _error(404, "unknown control endpoint /_emulator%s" % path)

    # -- handlers ------------------------------------------------------------------------------
    def _health(self, payload):
        return Response(200, {"ok": True, "profile": self.app.profile, "umbrella": self.app.umbrella is not None})

    def _create_tenant(self, payload):
        app = self.app
        cw_spec = payload.get("connectwise")
        umbrella_spec = payload.get("umbrella")
        if cw_spec is None and umbrella_spec is None:
            raise ControlError("give connectwise and/or umbrella")
        if umbrella_spec is not None and app.umbrella is None:
            return _error(501, "Umbrella emulation is not available in this build")
        name = payload.get("name") or (cw_spec or {}).get("company_id") or (umbrella_spec or {}).get("org_id")
        name = str(name)
        if name in app.tenants:
            raise AlreadyExists("tenant %s exists already" % name)
        if cw_spec is not None and not isinstance(cw_spec, dict):
            raise ControlError("connectwise must be an object")
        if umbrella_spec is not None and not isinstance(umbrella_spec, dict):
            raise ControlError("umbrella must be an object")
        result = {"name": name}
        with app.connectwise.lock:
            if cw_spec is not None:
                if app.connectwise.has_company(str(cw_spec.get("company_id", ""))):
                    raise AlreadyExists("ConnectWise company %s exists already" % cw_spec.get("company_id"))
                result["connectwise"] = app.connectwise.add_company(
                    cw_spec.get("company_id"), cw_spec.get("public_key"), cw_spec.get("private_key"),
                    cw_spec.get("client_id"), name=cw_spec.get("name") or payload.get("name"))
            if umbrella_spec is not None:
                try:
                    result["umbrella"] = app.umbrella.add_org(
                        umbrella_spec.get("org_id"), api_key=umbrella_spec.get("api_key"),
                        api_secret=umbrella_spec.get("api_secret"),
                        parent_org_id=umbrella_spec.get("parent_org_id"),
                        name=umbrella_spec.get("name") or payload.get("name"))
                except Exception as error:
                    # Leave nothing half-seeded behind.
                    if cw_spec is not None:
                        app.connectwise.remove_company(cw_spec.get("company_id"))
                    text = str(error)
                    if "exists already" in text or "already used" in text:
                        raise AlreadyExists(text.strip("'\""))
                    raise ControlError("umbrella: %s" % text)
        app.tenants[name] = {"connectwise": (cw_spec or {}).get("company_id"),
                             "umbrella": (umbrella_spec or {}).get("org_id")}
        app.save()
        return Response(201, result)

    def _list_tenants(self, payload):
        return Response(200, self.app.tenants)

    def _state(self, payload):
        return Response(200, self.app.public_state())

    def _reset(self, payload):
        self.app.reset()
        self.app.stats.reset()
        self.app.faults.clear()
        self.app.save()
        return Response(200, {"reset": True})

    def _stats(self, payload):
        return Response(200, self.app.stats.snapshot())

    def _reset_stats(self, payload):
        self.app.stats.reset()
        return Response(200, self.app.stats.snapshot())

    def _get_faults(self, payload):
        return Response(200, self.app.faults.describe())

    def _set_faults(self, payload):
        self.app.faults.configure(payload)
        return Response(200, self.app.faults.describe())

    def _clear_faults(self, payload):
        self.app.faults.clear()
        return Response(200, self.app.faults.describe())

    def _rate_limits(self, payload):
        enabled = payload.get("enabled")
        if not isinstance(enabled, bool):
            raise ControlError("enabled must be true or false")
        self.app.set_rate_limits(enabled)
        return Response(200, {"enabled": enabled})

    def _cw_role_settings(self, payload, company_id, role):
        settings = payload.get("settings") or []
        customize = payload.get("customize")
        if not isinstance(settings, list) or (customize is not None and not isinstance(customize, list)):
            raise ControlError("settings and customize must be lists")
        result = self.app.connectwise.manual_role_settings(company_id, role, settings, customize)
        self.app.save()
        return Response(200, result)

    def _cw_member_key(self, payload, company_id, member):
        result = self.app.connectwise.manual_member_key(company_id, member, payload.get("description"))
        self.app.save()
        return Response(201, result)

    def _cw_bulk_members(self, payload, company_id):
        result = self.app.connectwise.bulk_members(company_id, payload.get("count"), payload.get("prefix") or "bulk")
        self.app.save()
        return Response(201, result)

    def _cw_bulk_companies(self, payload, company_id):
        result = self.app.connectwise.bulk_companies(company_id, payload.get("count"), payload.get("prefix") or "CUST")
        self.app.save()
        return Response(201, result)

    def _cw_company(self, payload, company_id, company):
        result = self.app.connectwise.manual_company(company_id, company, payload.get("status"),
                                                     payload.get("deletedFlag"))
        self.app.save()
        return Response(200, result)

    def _umbrella_psa(self, payload, org_id):
        if self.app.umbrella is None:
            return _error(501, "Umbrella emulation is not available in this build")
        result = self.app.umbrella.manual_psa_form(int(org_id) if org_id.isdigit() else org_id, payload)
        self.app.save()
        return Response(200, result)

    def _umbrella_customers(self, payload, org_id):
        if self.app.umbrella is None or not hasattr(self.app.umbrella, "add_customers"):
            return _error(501, "Umbrella customer seeding is not available in this build")
        customers = payload.get("names") if payload.get("names") is not None else payload.get("count")
        if customers is None:
            raise ControlError("give count or names")
        result = self.app.umbrella.add_customers(int(org_id) if org_id.isdigit() else org_id, customers,
                                                 seats=payload.get("seats", 10))
        self.app.save()
        return Response(201, result)

    def _umbrella_customer_mapping(self, payload, org_id, customer_id):
        if self.app.umbrella is None or not hasattr(self.app.umbrella, "manual_customer_mapping"):
            return _error(501, "Umbrella customer mapping is not available in this build")
        result = self.app.umbrella.manual_customer_mapping(
            int(org_id) if org_id.isdigit() else org_id, int(customer_id) if customer_id.isdigit() else customer_id,
            payload.get("connectwiseCompanyId"))
        self.app.save()
        return Response(200, result)

    # -- Umbrella's sync and the clock ---------------------------------------------------------
    def _run_psa_sync(self, payload, org_id):
        if self.app.umbrella_sync is None:
            return _error(501, "Umbrella emulation is not available in this build")
        try:
            return Response(200, self.app.umbrella_sync.run(_umbrella_org_id(org_id)))
        except NoIntegration as error:
            return _error(409, str(error))
        except RuntimeError as error:  # an app not started by ``python -m emulator``: no URL to dial
            return _error(503, str(error))

    def _last_psa_sync(self, payload, org_id):
        if self.app.umbrella_sync is None:
            return _error(501, "Umbrella emulation is not available in this build")
        org_id = _umbrella_org_id(org_id)
        self.app.umbrella.sync_view(org_id)  # an unknown org: 404
        report = self.app.umbrella_sync.last_report(org_id)
        if report is None:
            raise KeyError("org %s has not synchronised yet" % org_id)
        return Response(200, report)

    def _botnet_events(self, payload, org_id):
        if self.app.umbrella_sync is None:
            return _error(501, "Umbrella emulation is not available in this build")
        customer_id, identity, count = payload.get("customerId"), payload.get("identity"), payload.get("count")
        if isinstance(customer_id, bool) or not isinstance(customer_id, int):
            raise ControlError("customerId must be an integer")
        if not isinstance(identity, str) or not identity.strip() or len(identity) > 255:
            raise ControlError("identity must be a non-empty string of at most 255 characters")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ControlError("count must be a positive integer")
        result = self.app.umbrella_sync.queue_botnet_events(_umbrella_org_id(org_id), customer_id, identity, count)
        self.app.save()
        return Response(200, result)

    def _advance_clock(self, payload):
        hours = payload.get("advance_hours")
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not math.isfinite(hours) or hours <= 0:
            raise ControlError("advance_hours must be a positive number")
        clock = self.app.clock
        clock.advance(hours)
        return Response(200, {"now": clock.iso(), "offset_hours": clock.offset_hours})

    # -- reliability scenarios -----------------------------------------------------------------
    def _get_hold(self, payload):
        return Response(200, self.app.hold.status())

    def _arm_hold(self, payload):
        return Response(200, self.app.hold.arm(payload))

    def _clear_hold(self, payload):
        self.app.hold.clear()
        return Response(200, self.app.hold.status())

    def _release_hold(self, payload):
        apply, answer = payload.get("apply"), payload.get("answer", True)
        if (apply is not None and not isinstance(apply, bool)) or not isinstance(answer, bool):
            raise ControlError("apply and answer must be true or false")
        return Response(200, self.app.hold.release(apply, answer))

    def _expire_umbrella_tokens(self, payload):
        if self.app.umbrella is None:
            return _error(501, "Umbrella emulation is not available in this build")
        return Response(200, {"expired": self.app.umbrella.expire_tokens()})
