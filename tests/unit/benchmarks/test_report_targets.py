"""The benchmark's targets on controller memory: what ours adds beyond the floor's own growth."""

import importlib.util
import os

import pytest

REPORT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "benchmarks", "benchlib", "report.py")


def load_report():
    spec = importlib.util.spec_from_file_location("benchlib_report", REPORT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


report = load_report()


def run(tenants, controller_mib):
    phases = {}
    for phase, mib in controller_mib.items():
        phases[phase] = {"measurement": {"root_rss_peak_kib": mib * 1024, "wall_s": tenants * 0.5,
                                         "tree_pss_peak_kib": 100 * 1024},
                         "requests": {"writes": 0, "per_tenant_own": 8.0, "run_wide": 1}}
    return {"tenants": tenants, "phases": phases, "ratios": {}}


def controller_checks(runs):
    return {c["target"].split(":")[0]: c for c in report.targets(runs) if "flat controller" in c["target"]}


def test_growing_as_the_floor_does_is_flat_beyond_the_inventory():
    checks = controller_checks([run(200, {"ours-fresh": 100, "ours-converged": 100, "floor": 60}),
                                run(1000, {"ours-fresh": 125, "ours-converged": 118, "floor": 80})])
    assert checks["ours-fresh flat controller"]["value"] == pytest.approx(0.05)
    assert checks["ours-converged flat controller"]["value"] == pytest.approx(-0.02)
    assert all(c["met"] for c in checks.values())


def test_holding_state_per_tenant_beyond_the_floor_is_not():
    checks = controller_checks([run(200, {"ours-fresh": 100, "floor": 60}),
                                run(1000, {"ours-fresh": 200, "floor": 80})])
    assert checks["ours-fresh flat controller"]["value"] == pytest.approx(0.8)
    assert checks["ours-fresh flat controller"]["met"] is False


def test_without_the_floor_at_both_sizes_there_is_no_controller_check():
    assert controller_checks([run(200, {"ours-fresh": 100}), run(1000, {"ours-fresh": 200, "floor": 80})]) == {}
