"""Derived figures of a benchmark run (per-tenant requests, ratios, targets, growth figures) and its markdown table."""

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# Asking for a bearer token is a POST that changes nothing in either vendor's data.
NOT_WRITES = ("POST /auth/v2/token",)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Requests a run makes once, not once per tenant: the Umbrella token, shared by every task of the run.
RUN_WIDE = ("POST /auth/v2/token",)

# The floor runs twice, right after ours-fresh and last of all: the machine's speed drifts while a
# large N runs (other work on a shared host), and the mean of two floors around ours is a steadier
# denominator than one floor measured at one moment.
PHASE_ORDER = ("ours-fresh", "floor", "ours-converged", "uri-fresh", "uri-converged", "floor-again")
FLOOR_PHASES = ("floor", "floor-again")


def request_figures(stats, tenants):
    """Per-tenant request counts by method, and the number of writes, from the emulator's counters."""
    by_route = stats.get("by_route", {})
    writes = sum(count for route, count in by_route.items()
                 if route.split(" ", 1)[0] in WRITE_METHODS and route not in NOT_WRITES)
    run_wide = sum(count for route, count in by_route.items() if route in RUN_WIDE)
    return {
        "total": stats.get("total", 0),
        "per_tenant": round(stats.get("total", 0) / tenants, 2),
        # What each tenant costs, the run-wide requests (one token per run) counted apart.
        "per_tenant_own": round((stats.get("total", 0) - run_wide) / tenants, 2),
        "run_wide": run_wide,
        "per_tenant_by_method": {m: round(c / tenants, 2) for m, c in sorted(stats.get("by_method", {}).items())},
        "per_tenant_by_route": {r: round(c / tenants, 2) for r, c in sorted(by_route.items())},
        "writes": writes,
        "by_status": stats.get("by_status", {}),
    }


def _ratio(numerator, denominator):
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 2)


def floor_mean(phases, field):
    """The floor's figure: the mean over the floor runs that ran (one or two), None without any."""
    values = [phases[p]["measurement"][field] for p in FLOOR_PHASES if p in phases]
    return sum(values) / len(values) if values else None


def ratios(phases):
    """ours/floor and uri/ours, on wall time and on CPU time, where both phases ran; ``floor_spread``
    is the second floor's wall time over the first's (how far the machine drifted meanwhile)."""
    def value(phase, field):
        entry = phases.get(phase)
        return entry["measurement"][field] if entry else None

    result = {"floor_spread_wall": _ratio(value("floor-again", "wall_s"), value("floor", "wall_s"))}
    for field, suffix in (("wall_s", "wall"), ("cpu_s", "cpu")):
        floor = floor_mean(phases, field)
        result["ours_fresh/floor_" + suffix] = _ratio(value("ours-fresh", field), floor)
        result["ours_converged/floor_" + suffix] = _ratio(value("ours-converged", field), floor)
        result["uri_fresh/ours_fresh_" + suffix] = _ratio(value("uri-fresh", field), value("ours-fresh", field))
        result["uri_converged/ours_converged_" + suffix] = _ratio(value("uri-converged", field),
                                                                  value("ours-converged", field))
    return result


def _check(name, value, ok):
    return {"target": name, "value": value, "met": None if value is None else bool(ok)}


def _requests_check(name, phase, limit):
    """Requests per tenant against a limit; the run-wide token requests are shown apart, not spread."""
    requests = phase["requests"]
    own = requests["per_tenant_own"]
    value = own if not requests.get("run_wide") else "%s + %d per run" % (own, requests["run_wide"])
    return {"target": name, "value": value, "met": own <= limit}


def targets(runs, batch_size=None):
    """The goals the benchmark reports on (never asserts): one entry per goal and tenant count."""
    checks = []
    for run in runs:
        n, phases, r = run["tenants"], run["phases"], run["ratios"]
        converged = phases.get("ours-converged")
        fresh = phases.get("ours-fresh")
        if converged:
            checks.append(_check("N=%d ours converged: zero writes" % n, converged["requests"]["writes"],
                                 converged["requests"]["writes"] == 0))
            checks.append(_requests_check("N=%d ours converged: <= 8 requests/tenant" % n, converged, 8))
        if fresh:
            # 16 as of 0.2.0, plus the two reads that find a tenant's conflicts before its first write:
            # whose Umbrella console it is, and whose API member (docs/reliability.md, ownership).
            checks.append(_requests_check("N=%d ours fresh: <= 18 requests/tenant" % n, fresh, 18))
        for key in ("ours_fresh/floor_wall", "ours_converged/floor_wall"):
            if r.get(key) is not None:
                checks.append(_check("N=%d %s <= 2.0" % (n, key), r[key], r[key] <= 2.0))
        for key in ("uri_fresh/ours_fresh_wall", "uri_converged/ours_converged_wall"):
            if r.get(key) is not None:
                checks.append(_check("N=%d %s >= 8.0" % (n, key), r[key], r[key] >= 8.0))
    if len(runs) > 1:
        smallest, largest = runs[0], runs[-1]
        for phase in PHASE_ORDER:
            growth = _growth(smallest, largest, phase, _wall_per_tenant)
            # The targets are on this collection's flow; the floor's and the uri flow's growth are
            # shown among the figures (growth_figures).
            if growth is not None and phase.startswith("ours"):
                checks.append(_check("%s linear: wall/tenant at N=%d over N=%d <= 1.25" % (
                    phase, largest["tenants"], smallest["tenants"]), growth, growth <= 1.25))
        checks.extend(_controller_checks(*_controller_baseline(runs, batch_size)))
    return checks


def _wall_per_tenant(entry, run):
    return entry["measurement"]["wall_s"] / run["tenants"]


def _tree_pss(entry, _run):
    return entry["measurement"]["tree_pss_peak_kib"]


def _growth(smallest, largest, phase, figure):
    """``figure(entry, run)`` of a phase at the largest N over the smallest; None unless the phase ran
    at both and the smaller figure is not zero (a memory sampler that read nothing)."""
    a, b = smallest["phases"].get(phase), largest["phases"].get(phase)
    if not (a and b and figure(a, smallest)):
        return None
    return round(figure(b, largest) / figure(a, smallest), 2)


def growth_figures(runs):
    """From the smallest N to the largest, what the report shows beside the targets, not as targets: the
    wall time per tenant of the floor (Ansible's own dispatch, the reference for ours') and of the uri
    flow, and every phase's whole process tree peak PSS. The tree counts the workers alive at the
    sampled peak and the pages each has copied from ansible-playbook, whose heap grows with the
    inventory: the floor's tree grows too. Whether the flow holds state per tenant is the controller
    target's question (``_controller_checks``), asked beyond the floor's own growth."""
    if len(runs) < 2:
        return []
    smallest, largest = runs[0], runs[-1]
    sizes = "at N=%d over N=%d" % (largest["tenants"], smallest["tenants"])
    figures = []
    wanted = [(phase, "wall/tenant", _wall_per_tenant) for phase in PHASE_ORDER if not phase.startswith("ours")]
    wanted += [(phase, "peak tree PSS", _tree_pss) for phase in PHASE_ORDER]
    for phase, label, figure in wanted:
        growth = _growth(smallest, largest, phase, figure)
        if growth is not None:
            figures.append({"figure": "%s %s %s" % (phase, label, sizes), "value": growth})
    return figures


def _controller_baseline(runs, batch_size):
    """The two runs the controller's growth is measured between: the smallest and the largest N; in
    batches, the smallest N that fills a batch, when two runs do. Below the batch size the batch is
    the whole inventory, so what a batch holds while it runs (every host's registered results until
    its result is recorded) grows with N up to the batch size and no further: bounded by the batch
    size the user chose, not by the inventory."""
    full = [run for run in runs if batch_size and run["tenants"] >= batch_size]
    return (full[0], full[-1]) if len(full) > 1 else (runs[0], runs[-1])


def _controller_checks(smallest, largest):
    """ansible-playbook's peak may grow with N only as the floor's does: the inventory and Ansible's own
    state per host, which the floor holds too. What ours adds beyond that, over its own peak at the
    smallest N, is the figure."""
    checks = []
    floor_a, floor_b = smallest["phases"].get("floor"), largest["phases"].get("floor")
    if not (floor_a and floor_b):
        return checks
    floor_growth = floor_b["measurement"]["root_rss_peak_kib"] - floor_a["measurement"]["root_rss_peak_kib"]
    for phase in ("ours-fresh", "ours-converged"):
        a, b = smallest["phases"].get(phase), largest["phases"].get(phase)
        if not (a and b):
            continue
        growth = b["measurement"]["root_rss_peak_kib"] - a["measurement"]["root_rss_peak_kib"]
        beyond = round((growth - floor_growth) / max(a["measurement"]["root_rss_peak_kib"], 1), 2)
        checks.append(_check("%s flat controller: ansible-playbook peak RSS growth N=%d to N=%d beyond the "
                             "floor's, over its peak at N=%d <= 0.25" % (
                                 phase, smallest["tenants"], largest["tenants"], smallest["tenants"]),
                             beyond, beyond <= 0.25))
    return checks


def _mib(kib):
    return "%.0f" % (kib / 1024.0)


def _methods(per_method):
    return " ".join("%s %g" % (m, per_method[m]) for m in METHODS if per_method.get(m))


def markdown(result):
    lines = [
        "forks: %d; batch size: %s; gc_freeze callback: %s; trust: %s; emulator profile: extended; "
        "tasks per tenant (ours, from ours-fresh): %s" % (
            result["forks"], result.get("batch_size") or "all", "on" if result.get("gc_freeze", False) else "off",
            # Results written before --trust existed trusted the emulator through ca_path.
            result.get("trust", "ca-path"),
            ", ".join("N=%d: %s" % (r["tenants"], r.get("tasks_per_tenant")) for r in result["runs"])),
        "",
        "| N | phase | wall s | CPU s | peak RSS, ansible-playbook / largest process MiB | peak tree RSS / PSS MiB "
        "| requests/tenant | by method | writes (total) | load 1m | state |",
        "|---:|---|---:|---:|---:|---:|---:|---|---:|---:|---|",
    ]
    for run in result["runs"]:
        for phase in PHASE_ORDER:
            entry = run["phases"].get(phase)
            if not entry:
                continue
            m, req = entry["measurement"], entry.get("requests") or {}
            verification = entry.get("verification")
            state = "rc=%d" % m["returncode"]
            if verification is not None:
                state += ", verified" if verification["verified"] else ", NOT verified (%d)" % (
                    verification["failed_tenants"])
            load = entry.get("load_average") or [0, 0]
            lines.append("| %d | %s | %.1f | %.1f | %s / %s | %s / %s | %s | %s | %s | %.1f | %s |" % (
                run["tenants"], phase, m["wall_s"], m["cpu_s"], _mib(m["root_rss_peak_kib"]),
                _mib(m["largest_process_rss_peak_kib"]),
                _mib(m["tree_rss_peak_kib"]), _mib(m["tree_pss_peak_kib"]),
                req.get("per_tenant", "-"), _methods(req.get("per_tenant_by_method", {})) or "-",
                req.get("writes", "-"), max(load), state))
    lines += ["", "ours/floor uses the mean of the floor runs; floor spread: the second floor's wall time over "
              "the first's.", "",
              "| N | ours/floor fresh | ours/floor converged | uri/ours fresh | uri/ours converged | floor spread |",
              "|---:|---:|---:|---:|---:|---:|"]
    for run in result["runs"]:
        r = run["ratios"]

        def pair(key):
            wall, cpu = r.get(key + "_wall"), r.get(key + "_cpu")
            return "-" if wall is None else "%.2f wall, %.2f CPU" % (wall, cpu or 0)
        spread = r.get("floor_spread_wall")
        lines.append("| %d | %s | %s | %s | %s | %s |" % (
            run["tenants"], pair("ours_fresh/floor"), pair("ours_converged/floor"), pair("uri_fresh/ours_fresh"),
            pair("uri_converged/ours_converged"), "-" if spread is None else "%.2f" % spread))
    lines += ["", "| target | value | met |", "|---|---:|---|"]
    for check in result["targets"]:
        met = "-" if check["met"] is None else ("yes" if check["met"] else "**no**")
        lines.append("| %s | %s | %s |" % (check["target"], check["value"], met))
    if result.get("figures"):
        lines += ["", "Beside the targets: the floor's growth is Ansible's own; the whole process tree, workers "
                  "included, grows with ansible-playbook's heap, the floor's too (benchmarks/README.md).", "",
                  "| figure | value |", "|---|---:|"]
        lines += ["| %(figure)s | %(value)s |" % figure for figure in result["figures"]]
    return "\n".join(lines)
