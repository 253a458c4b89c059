"""Counters of vendor requests, for tests and benchmarks."""

import threading


class RequestStats:
    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with getattr(self, "_lock"):
            self._total = 0
            self._by_method = {}
            self._by_route = {}
            self._by_tenant = {}
            self._by_status = {}

    def record(self, method, route, tenant):
        with self._lock:
            self._total += 1
            self._by_method[method] = self._by_method.get(method, 0) + 1
            key = "%s %s" % (method, route)
            self._by_route[key] = self._by_route.get(key, 0) + 1
            if tenant:
                self._by_tenant[tenant] = self._by_tenant.get(tenant, 0) + 1

    def record_status(self, status):
        with self._lock:
            key = str(status)
            self._by_status[key] = self._by_status.get(key, 0) + 1

    def snapshot(self):
        with self._lock:
            return {"total": self._total, "by_method": dict(self._by_method), "by_route": dict(self._by_route),
                    "by_tenant": dict(self._by_tenant), "by_status": dict(self._by_status)}
