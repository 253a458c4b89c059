"""The benchmark's derived figures: ours/floor over the mean of two floors, the target on controller
memory (what ours adds beyond the floor's own growth), and the process tree's growth shown as a figure."""

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


def controller_checks(runs, batch_size=None):
    return {c["target"].split(":")[0]: c for c in report.targets(runs, batch_size) if "flat controller" in c["target"]}


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


SIZES = [run(50, {"ours-fresh": 72, "floor": 57}), run(200, {"ours-fresh": 99, "floor": 61}),
         run(1000, {"ours-fresh": 134, "floor": 79})]


def test_in_batches_growth_is_measured_from_the_first_n_that_fills_a_batch():
    check = controller_checks(SIZES, batch_size=200)["ours-fresh flat controller"]
    assert "N=200 to N=1000" in check["target"]
    assert check["value"] == pytest.approx(0.17)  # (35 - 18) / 99
    assert check["met"] is True


def test_without_batches_or_with_one_full_batch_run_growth_is_from_the_smallest_n():
    for batch_size in (None, 1000, 5000):
        check = controller_checks(SIZES, batch_size)["ours-fresh flat controller"]
        assert "N=50 to N=1000" in check["target"], batch_size
        assert check["value"] == pytest.approx(0.56)  # (62 - 22) / 72
        assert check["met"] is False


def timed(**walls):
    return {phase: {"measurement": {"wall_s": wall, "cpu_s": wall / 2}} for phase, wall in walls.items()}


def test_ours_over_floor_divides_by_the_mean_of_both_floors():
    ratios = report.ratios(timed(**{"ours-fresh": 90.0, "ours-converged": 60.0, "floor": 40.0, "floor-again": 50.0}))
    assert ratios["ours_fresh/floor_wall"] == 2.0
    assert ratios["ours_converged/floor_wall"] == pytest.approx(1.33)
    assert ratios["ours_fresh/floor_cpu"] == 2.0
    assert ratios["floor_spread_wall"] == 1.25


def test_one_floor_alone_is_the_denominator():
    ratios = report.ratios(timed(**{"ours-fresh": 90.0, "floor": 40.0}))
    assert ratios["ours_fresh/floor_wall"] == pytest.approx(2.25)
    assert ratios["floor_spread_wall"] is None
    assert ratios["ours_converged/floor_wall"] is None


def test_the_table_shows_the_floor_spread():
    phases = timed(**{"ours-fresh": 90.0, "floor": 40.0, "floor-again": 50.0})
    run_ = {"tenants": 50, "phases": {}, "ratios": report.ratios(phases)}
    table = report.markdown({"forks": 10, "runs": [run_], "targets": []})
    assert "| 50 | 2.00 wall, 2.00 CPU | - | - | - | 1.25 |" in table


def with_tree_pss(run_, **pss_mib):
    for phase, mib in pss_mib.items():
        run_["phases"][phase]["measurement"]["tree_pss_peak_kib"] = mib * 1024
    return run_


def growing_runs():
    """N=50 and 1000: ours' tree doubles, the floor's grows by 1.4, the floor's wall per tenant by 1.5."""
    small = with_tree_pss(run(50, {"ours-fresh": 72, "floor": 57}), **{"ours-fresh": 150, "floor": 80})
    large = with_tree_pss(run(1000, {"ours-fresh": 134, "floor": 79}), **{"ours-fresh": 300, "floor": 112})
    large["phases"]["floor"]["measurement"]["wall_s"] *= 1.5
    for run_ in (small, large):  # the uri flow, as linear as ours
        run_["phases"]["uri-fresh"] = run_["phases"]["ours-fresh"]
    return [small, large]


def test_the_floor_and_the_process_tree_are_figures_beside_the_targets_not_targets():
    targets = [c["target"] for c in report.targets(growing_runs(), 200)]
    assert "ours-fresh linear: wall/tenant at N=1000 over N=50 <= 1.25" in targets
    assert not [t for t in targets if "PSS" in t or t.startswith(("floor", "uri"))]
    figures = {f["figure"]: f["value"] for f in report.growth_figures(growing_runs())}
    assert figures == {"floor wall/tenant at N=1000 over N=50": 1.5,
                       "uri-fresh wall/tenant at N=1000 over N=50": 1.0,
                       "ours-fresh peak tree PSS at N=1000 over N=50": 2.0,
                       "floor peak tree PSS at N=1000 over N=50": 1.4,
                       "uri-fresh peak tree PSS at N=1000 over N=50": 2.0}
    table = report.markdown({"forks": 10, "runs": [], "targets": [], "figures": report.growth_figures(growing_runs())})
    assert "| ours-fresh peak tree PSS at N=1000 over N=50 | 2.0 |" in table


def test_one_size_has_no_growth_figures():
    assert report.growth_figures([run(50, {"ours-fresh": 72})]) == []
