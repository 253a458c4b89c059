"""benchmarks/run.py end to end on three tenants: every phase runs and both flows really converge.

No timing is asserted (it depends on the machine); the figures that must hold on any machine are:
the collection's converged run writes nothing, and the uri baseline reaches the same verified end
state, so the comparison is between two flows that do the same job. The mapping phase runs on a few
customers only (the default is 5,000).
"""

import json
import subprocess
import sys

import pytest

from support.ansible_runner import BUILD_DIR, REPO_ROOT, stage_collection

PHASES = ("ours-fresh", "floor", "ours-converged", "uri-fresh", "uri-converged", "floor-again")
TENANTS = 3
MAPPING_CUSTOMERS = 30


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    stage_collection()
    root = tmp_path_factory.mktemp("bench")
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / "run.py"), "--tenants", str(TENANTS), "--forks", "5",
         "--mapping-customers", str(MAPPING_CUSTOMERS), "--task-cpu",
         "--work-dir", str(root / "work"), "--results-dir", str(root / "results"),
         "--collections-path", str(BUILD_DIR)],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=1800, check=False)
    results = sorted((root / "results").glob("*.json"))
    assert len(results) == 1, "no result document\nstdout:\n%s\nstderr:\n%s" % (proc.stdout, proc.stderr[-3000:])
    return proc, json.loads(results[0].read_text()), root / "work"


def phases(result):
    assert [run["tenants"] for run in result["runs"]] == [TENANTS]
    return result["runs"][0]["phases"]


def test_every_phase_ran_and_succeeded(bench):
    proc, result, _work = bench
    ran = phases(result)
    assert sorted(ran) == sorted(PHASES), proc.stdout
    for name, entry in ran.items():
        assert entry["measurement"]["returncode"] == 0, (name, entry["tasks"].get("failures"))
        assert entry["tasks"]["hosts"] == TENANTS, name
        # ansible-playbook is one of the processes the largest is taken from, and part of the tree.
        measured = entry["measurement"]
        assert 0 < measured["root_rss_peak_kib"] <= measured["largest_process_rss_peak_kib"], (name, measured)
        assert measured["largest_process_rss_peak_kib"] <= measured["tree_rss_peak_kib"], (name, measured)
    assert proc.returncode == 0, proc.stdout


def test_ours_converged_makes_no_writes(bench):
    result = bench[1]
    converged = phases(result)["ours-converged"]
    assert converged["requests"]["writes"] == 0, converged["requests"]["per_tenant_by_route"]
    assert converged["requests"]["total"] > 0  # it did read: the run really checked the tenants
    assert converged["tasks"]["totals"]["changed"] == 0


def test_both_flows_reach_the_verified_end_state(bench):
    result = bench[1]
    ran = phases(result)
    for name in ("uri-fresh", "uri-converged", "ours-fresh", "ours-converged"):
        verification = ran[name]["verification"]
        assert verification["tenants"] == TENANTS, name
        assert verification["verified"], (name, verification["problems"])


def test_uri_baseline_converges_too(bench):
    result = bench[1]
    ran = phases(result)
    assert ran["uri-fresh"]["requests"]["writes"] > 0
    assert ran["uri-converged"]["requests"]["writes"] == 0, ran["uri-converged"]["requests"]["per_tenant_by_route"]


def test_floor_matches_our_task_count(bench):
    result = bench[1]
    ran = phases(result)
    for floor in ("floor", "floor-again"):
        assert ran[floor]["floor_tasks_per_tenant"] == ran["ours-fresh"]["tasks"]["tasks_per_host_typical"]
        assert ran[floor]["tasks"]["tasks_per_host_typical"] == ran[floor]["floor_tasks_per_tenant"]
        assert ran[floor]["requests"]["total"] == 0
    # ours/floor divides by the mean of the two floors.
    mean = (ran["floor"]["measurement"]["wall_s"] + ran["floor-again"]["measurement"]["wall_s"]) / 2
    ratios = result["runs"][0]["ratios"]
    assert ratios["ours_fresh/floor_wall"] == round(ran["ours-fresh"]["measurement"]["wall_s"] / mean, 2)
    assert ratios["floor_spread_wall"] > 0


def test_mapping_phase_maps_every_customer_then_writes_nothing(bench):
    proc, result, _work = bench
    mapping = result["mapping"]
    assert mapping["problems"] == [] and mapping["mapped"] == MAPPING_CUSTOMERS
    assert mapping["companies"] == MAPPING_CUSTOMERS  # every customer onto its own company
    fresh, converged = mapping["fresh"], mapping["converged"]
    assert fresh["by_route"]["PUT /admin/v2/psa/customers/{id}"] == MAPPING_CUSTOMERS == fresh["writes"]
    assert fresh["company_lookups"] == converged["company_lookups"] == 1  # 30 identifiers fit one batch
    assert converged["writes"] == 0 and converged["changed"] is False and converged["requests"] > 0
    assert fresh["wall_s"] > 0 and converged["wall_s"] > 0
    met = {t["target"]: t["met"] for t in result["targets"] if t["target"].startswith("mapping")}
    assert list(met.values()) == [True, True], met
    assert "| converged |" in proc.stdout and "company lookups" in proc.stdout


def test_a_run_asks_umbrella_for_one_token_for_all_its_tenants(bench):
    # Every tenant is a child organization of one MSP console: one key, so one token for the run, even
    # though the tenants' Umbrella tasks start at the same moment in parallel forks.
    result = bench[1]
    for name in ("ours-fresh", "ours-converged"):
        requests = phases(result)[name]["requests"]
        assert requests["run_wide"] == 1, (name, requests["per_tenant_by_route"])
        assert requests["per_tenant_own"] == round((requests["total"] - 1) / TENANTS, 2)
    met = {t["target"]: t["met"] for t in result["targets"] if "requests/tenant" in t["target"]}
    assert met == {"N=3 ours converged: <= 8 requests/tenant": True, "N=3 ours fresh: <= 18 requests/tenant": True}


def test_every_phase_runs_with_the_gc_freeze_callback_and_no_load_warning(bench):
    _proc, result, work = bench
    assert result["gc_freeze"] is True
    for phase in PHASES:
        assert "Skipping callback plugin" not in (work / "n3" / (phase + ".err")).read_text(), phase


def test_task_cpu_lists_what_each_task_of_the_flow_cost(bench):
    work = bench[2]
    lines = (work / "n3" / "ours-converged.tasks.txt").read_text().splitlines()
    assert lines[0].split()[:3] == ["CPU", "s", "runs"]
    rows = {line.split(None, 6)[6].split("___")[-1]: line.split() for line in lines[1:]}
    key_task = rows["API_key_of_the_member"]
    assert int(key_task[1]) == TENANTS and float(key_task[2]) > 0 and int(key_task[5]) > 0
    assert int(rows["Summary_of_every_tenant"][1]) == 1
    # ansible-playbook's own CPU, apart from its workers: one process, and it did work.
    main = rows["(ansible-playbook itself, its workers excluded)"]
    assert int(main[1]) == 1 and float(main[0]) > 0 and int(main[5]) > 0


def test_fork_cost_prints_a_row_per_size():
    proc = subprocess.run([sys.executable, str(REPO_ROOT / "benchmarks" / "fork_cost.py"), "--sizes", "40,60", "--forks", "5"],
                          capture_output=True, text=True, timeout=120, check=True)
    rows = [line.strip("|").split("|") for line in proc.stdout.splitlines()[2:]]
    assert len(rows) == 2, proc.stdout
    resident = [int(row[0]) for row in rows]
    assert resident[0] >= 40 and resident[1] >= 60, proc.stdout  # grown to each size before measuring
    assert all(float(row[3]) > 0 for row in rows), proc.stdout  # a fork and a wait take time


def test_tenants_trust_the_emulator_through_the_default_store(bench):
    """No ca_path in either flow's inventory: both verify the emulator with the phases' CA store."""
    _proc, result, work = bench
    assert result["trust"] == "store"
    store = (work / ("n%d" % TENANTS) / "ca-store.pem").read_text(encoding="utf-8")
    assert store.count("BEGIN CERTIFICATE") > 100  # certifi's public CAs (and the emulator's, last)
    for flow in ("ours", "uri"):
        inventory = (work / ("n%d" % TENANTS) / flow / "inventory.yml").read_text(encoding="utf-8")
        assert "ca_path" not in inventory, flow
