#!/usr/bin/env python
"""Benchmark: provision N tenants with this collection, with plain ansible.builtin.uri, and the floor.

One emulator (profile ``extended``, no faults), started here and stopped at the end. For each
tenant count, in this order, with the request counters reset before each phase:

  ours-fresh      playbook msp.umbrella_psa.provision_tenants on N new tenants
  floor           as many no-op set_fact tasks per tenant as ours-fresh ran
  ours-converged  ours again (nothing left to change)
  uri-fresh       benchmarks/uri_baseline/provision_uri.yml on N other new tenants
  uri-converged   the same again
  floor-again     the floor once more; ours/floor divides by the mean of the two floors

Every phase uses the same forks and inventory shape. Then, once per benchmark (not per tenant count):

  mapping         one umbrella_psa_company_mapping task mapping --mapping-customers (5,000) Umbrella
                  customers onto as many ConnectWise companies, fresh then converged
                  (benchmarks/mapping_scale.py)

Results go to benchmarks/results/<time>.json and a markdown table is printed. Targets are reported,
never asserted.

    python benchmarks/run.py --tenants 50,200 [--forks 10] [--phases ours-fresh,ours-converged]
"""

import argparse
import datetime
import json
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys

import yaml

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)
sys.path.insert(0, BENCH_DIR)

from benchlib import report  # noqa: E402
from benchlib.emulator import ControlClient, EmulatorProcess  # noqa: E402
from benchlib.measure import run_measured  # noqa: E402
from benchlib.tenants import QUERY_THRESHOLD, SERVICE_BOARD, Console, seed_tenants, write_inventory  # noqa: E402
from benchlib.verify import Expectation, verify_flow  # noqa: E402
from floor import generate as floor_generator  # noqa: E402
import mapping_scale  # noqa: E402

PHASES = report.PHASE_ORDER
MAPPING_PHASE = "mapping"
OURS_PLAYBOOK = "msp.umbrella_psa.provision_tenants"
URI_PLAYBOOK = os.path.join(BENCH_DIR, "uri_baseline", "provision_uri.yml")
# Company ids and Umbrella org ids of each flow's tenants never overlap.
GC_FREEZE_CALLBACK = "msp.umbrella_psa.gc_freeze"
FLOWS = {"ours": ("bo", 2000000), "uri": ("bu", 3000000)}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", default="200",
                        help="tenant count, or several separated by commas (e.g. 50,200,1000)")
    parser.add_argument("--forks", type=int, default=10, help="ansible forks of every phase (default 10)")
    parser.add_argument("--batch-size", type=int, default=0,
                        help="tenants per batch within each run of every phase (-e psa_batch_size, Ansible's serial; "
                             "default 0: all at once)")
    parser.add_argument("--phases", default=",".join(PHASES + (MAPPING_PHASE,)),
                        help="phases to run (default: all): " + ", ".join(PHASES + (MAPPING_PHASE,)))
    parser.add_argument("--mapping-customers", type=int, default=5000,
                        help="Umbrella customers (and ConnectWise companies) of the mapping phase (default 5000)")
    parser.add_argument("--floor-tasks", type=int,
                        help="tasks per tenant of the floor when ours-fresh is not run (otherwise counted from it)")
    parser.add_argument("--uri-max-tenants", type=int,
                        help="run the uri phases only for tenant counts up to this (they cost ~10x ours)")
    parser.add_argument("--profile", action="store_true",
                        help="run ansible-playbook under cProfile, workers included (benchmarks/profile_flow.py); "
                             "slows every phase down: for finding the hot path, not for the figures")
    parser.add_argument("--task-cpu", action="store_true",
                        help="record every worker's CPU time and page faults, without a profiler, and write the "
                             "cost of each task of the flow next to the phase's logs (<phase>.tasks.txt)")
    parser.add_argument("--work-dir", default=os.path.join(BENCH_DIR, ".work"),
                        help="inventories, key stores and logs (default benchmarks/.work)")
    parser.add_argument("--results-dir", default=os.path.join(BENCH_DIR, "results"))
    parser.add_argument("--collections-path", default=os.path.join(REPO_ROOT, "build"),
                        help="where ansible_collections/msp/umbrella_psa is staged (default build/, as make does)")
    parser.add_argument("--stage", action="store_true",
                        help="stage the working tree's collection into <work-dir>/collections first and use it")
    parser.add_argument("--ansible-bin", default=os.path.dirname(sys.executable),
                        help="directory of ansible-playbook (default: this Python's bin)")
    parser.add_argument("--trust", choices=("store", "ca-path"), default="store",
                        help="how tenants trust the emulator's certificate: 'store' (default) as a user of the "
                             "vendors' public endpoints does, through the default CA store (a bundle of certifi's "
                             "public CAs plus the emulator's CA, as REQUESTS_CA_BUNDLE and SSL_CERT_FILE, no "
                             "ca_path); 'ca-path' with ca_path naming the emulator's CA alone")
    parser.add_argument("--no-gc-freeze", dest="gc_freeze", action="store_false",
                        help="run every phase without the msp.umbrella_psa.gc_freeze callback (enabled by default, "
                             "for all phases alike)")
    args = parser.parse_args(argv)
    try:
        args.tenants = [int(n) for n in args.tenants.split(",") if n.strip()]
    except ValueError:
        parser.error("--tenants takes integers separated by commas")
    if not args.tenants or min(args.tenants) < 1:
        parser.error("--tenants needs positive counts")
    args.work_dir = os.path.abspath(args.work_dir)
    args.results_dir = os.path.abspath(args.results_dir)
    args.collections_path = os.path.abspath(args.collections_path)
    args.phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = sorted(set(args.phases) - set(PHASES + (MAPPING_PHASE,)))
    if unknown:
        parser.error("unknown phases: %s (choose from %s)" % (", ".join(unknown), ", ".join(PHASES + (MAPPING_PHASE,))))
    if args.mapping_customers < 1:
        parser.error("--mapping-customers needs a positive count")
    if set(args.phases) & set(report.FLOOR_PHASES) and "ours-fresh" not in args.phases and not args.floor_tasks:
        parser.error("the floor needs --floor-tasks when ours-fresh is not run")
    return args


def load_expectation():
    """What both flows must converge to: the values in the uri baseline's vars (the role's defaults)."""
    with open(os.path.join(BENCH_DIR, "uri_baseline", "vars.yml"), encoding="utf-8") as handle:
        values = yaml.safe_load(handle)
    return Expectation(values["psa_role_name"], values["psa_role_permissions"], values["psa_member_identifier"],
                       values["psa_key_description"],
                       {"serviceBoard": SERVICE_BOARD, "queryThreshold": QUERY_THRESHOLD})


def stage_collection(work_dir):
    """Copy the working tree's collection (scripts/stage-collection) to a directory of our own."""
    root = os.path.join(work_dir, "collections")
    subprocess.run([os.path.join(REPO_ROOT, "scripts", "stage-collection"),
                    os.path.join(root, "ansible_collections", "msp", "umbrella_psa")], check=True)
    return root


def trust_store(work_dir, emulator_ca_file):
    """A CA store as a user's machine has one: the public CAs (certifi's) and, among them, the emulator's."""
    import certifi
    path = os.path.join(work_dir, "ca-store.pem")
    with open(certifi.where(), encoding="utf-8") as public, open(emulator_ca_file, encoding="utf-8") as own:
        content = public.read().rstrip("\n") + "\n" + own.read()
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(content)
    return path


def ansible_env(work_dir, vault_password_file, ansible_bin, collections_path, gc_freeze=True, ca_store=None):
    env = dict(os.environ)
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        env.pop(name, None)  # the machine's own settings would decide what a phase trusts
    if ca_store:
        # requests (this collection) and Python's ssl default context (ansible.builtin.uri) both verify with it.
        env.update({"REQUESTS_CA_BUNDLE": ca_store, "SSL_CERT_FILE": ca_store})
    if gc_freeze:
        # The same Ansible configuration for every phase, the floor included.
        env["ANSIBLE_CALLBACKS_ENABLED"] = GC_FREEZE_CALLBACK
    else:
        env.pop("ANSIBLE_CALLBACKS_ENABLED", None)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": collections_path,
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
        "ANSIBLE_CALLBACK_PLUGINS": os.path.join(BENCH_DIR, "callback_plugins"),
        "ANSIBLE_STDOUT_CALLBACK": "bench_summary",
        "ANSIBLE_VAULT_PASSWORD_FILE": vault_password_file,
        "ANSIBLE_HOST_KEY_CHECKING": "false",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_NOCOLOR": "1",
        "NO_PROXY": "127.0.0.1,localhost",
        "ANSIBLE_LOCAL_TEMP": os.path.join(work_dir, "ansible-tmp"),
        "PATH": ansible_bin + os.pathsep + env.get("PATH", ""),
    })
    return env


def task_summary(stdout_path):
    """The bench_summary callback's document (the last JSON line of the run's output), or {}."""
    with open(stdout_path, encoding="utf-8", errors="replace") as handle:
        lines = [line for line in handle.read().splitlines() if line.startswith("{")]
    if not lines:
        return {}
    summary = json.loads(lines[-1])
    hosts = summary.get("hosts", {})
    totals = {}
    for counts in hosts.values():
        for outcome, count in counts.items():
            totals[outcome] = totals.get(outcome, 0) + count
    per_host_tasks = [c["tasks"] for c in hosts.values()]
    # run_once tasks (the closing summary) run on one host only: the typical tenant is the mode.
    typical = max(set(per_host_tasks), key=per_host_tasks.count) if per_host_tasks else 0
    return {
        "hosts": len(hosts),
        "totals": totals,
        "tasks_per_host_min": min(per_host_tasks) if per_host_tasks else 0,
        "tasks_per_host_max": max(per_host_tasks) if per_host_tasks else 0,
        "tasks_per_host_typical": typical,
        "hosts_changed": sum(1 for c in hosts.values() if c["changed"]),
        "failures": summary.get("failures", []),
    }


class Round:
    """All phases for one tenant count, on a freshly reset emulator."""

    def __init__(self, args, emulator, control, expectation, tenants):
        self.args = args
        self.emulator = emulator
        self.control = control
        self.expectation = expectation
        self.n = tenants
        self.dir = os.path.join(args.work_dir, "n%d" % tenants)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(os.path.join(self.dir, "ansible-tmp"))
        self.vault_password_file = os.path.join(self.dir, "vault-password")
        with open(self.vault_password_file, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_hex(16) + "\n")
        os.chmod(self.vault_password_file, 0o600)
        self.ca_store = trust_store(self.dir, emulator.ready["ca_file"]) if args.trust == "store" else None
        self.env = ansible_env(self.dir, self.vault_password_file, args.ansible_bin, args.collections_path,
                               args.gc_freeze, self.ca_store)
        self.tenants = {}
        self.inventories = {}

    def prepare(self):
        self.control.reset()
        console = Console(self.control)
        wanted = {p.split("-")[0] for p in self.args.phases if p not in report.FLOOR_PHASES}
        if self.args.uri_max_tenants and self.n > self.args.uri_max_tenants:
            wanted.discard("uri")
        for flow in ("ours", "uri"):
            prefix, org_base = FLOWS[flow]
            if flow in wanted:
                tenants = seed_tenants(self.control, prefix, self.n, org_base)
            else:
                # Unseeded tenants still give the floor an inventory of the same shape.
                tenants = [{"host": "%s-%05d" % (prefix, i), "company_id": "%s%05d" % (prefix, i),
                            "public_key": "unused", "private_key": "unused", "org_id": org_base + i}
                           for i in range(1, self.n + 1)]
            self.tenants[flow] = tenants
            flow_dir = os.path.join(self.dir, flow)
            self.inventories[flow] = write_inventory(
                os.path.join(flow_dir, "inventory.yml"), tenants, self.emulator.ready, console,
                python=sys.executable, key_store_dir=os.path.join(flow_dir, "keys"),
                report_dir=os.path.join(flow_dir, "reports"), ca_path=self.ca_store is None)

    def run_phase(self, phase, playbook, flow):
        self.control.reset_stats()
        stem = os.path.join(self.dir, phase)
        cmd = [os.path.join(self.args.ansible_bin, "ansible-playbook"), playbook,
               "-i", self.inventories[flow], "-f", str(self.args.forks)]
        if phase.startswith("ours"):
            # The uri flow does the seed's procedure and no more: the comparison leaves out the stage
            # that reads the evidence of Umbrella's sync, which is measured as a stage of its own
            # (the mapping phase's evidence run).
            cmd += ["--skip-tags", "sync"]
        if self.args.batch_size:
            # Every phase's playbook batches on this variable, the floor and the uri flow included.
            cmd += ["-e", "psa_batch_size=%d" % self.args.batch_size]
        if self.args.profile or self.args.task_cpu:
            cmd = ([sys.executable, os.path.join(BENCH_DIR, "profile_flow.py"), "--out", stem + ".profile"]
                   + ([] if self.args.profile else ["--rusage-only"]) + ["--"] + cmd[1:])
        emulator_cpu_before = self.emulator.cpu_s
        load_before = os.getloadavg()[0]
        measurement = run_measured(cmd, self.env, self.dir, stem + ".out", stem + ".err")
        stats = self.control.stats()
        if self.args.profile or self.args.task_cpu:
            import profile_flow
            if self.args.profile:
                with open(stem + ".profile.txt", "w", encoding="utf-8") as handle:
                    handle.write(profile_flow.report(stem + ".profile", 30))
            with open(stem + ".tasks.txt", "w", encoding="utf-8") as handle:
                handle.write(profile_flow.by_task(stem + ".profile"))
            with open(stem + ".compiles.txt", "w", encoding="utf-8") as handle:
                handle.write(profile_flow.compiles(stem + ".profile", 40))
        entry = {
            "command": " ".join(os.path.relpath(c, REPO_ROOT) if os.path.isabs(c) else c for c in cmd),
            "measurement": measurement.as_dict(),
            # The machine's 1-minute load before and after: other work on it skews wall times.
            "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "emulator_cpu_s": round((self.emulator.cpu_s or 0) - (emulator_cpu_before or 0), 3),
            "tasks": task_summary(stem + ".out"),
            "requests": report.request_figures(stats, self.n),
        }
        if phase not in report.FLOOR_PHASES:
            entry["verification"] = verify_flow(self.control, self.tenants[flow], self.expectation,
                                                self.emulator.ready)
        print("  %-15s wall %7.1f s  CPU %7.1f s  rc=%d  requests/tenant %s%s" % (
            phase, measurement.wall_s, measurement.cpu_s, measurement.returncode,
            entry["requests"]["per_tenant"],
            "" if "verification" not in entry else
            ("  verified" if entry["verification"]["verified"] else "  NOT VERIFIED")), flush=True)
        if measurement.returncode != 0:
            for failure in entry["tasks"].get("failures", [])[:3]:
                print("    failed: %(host)s / %(task)s: %(msg)s" % failure, flush=True)
            print("    output: %s.out, %s.err" % (stem, stem), flush=True)
        return entry

    def run(self):
        self.prepare()
        phases = {}
        tasks_per_tenant = self.args.floor_tasks
        for phase in PHASES:
            if phase not in self.args.phases:
                continue
            if phase.startswith("ours"):
                phases[phase] = self.run_phase(phase, OURS_PLAYBOOK, "ours")
                if phase == "ours-fresh":
                    tasks_per_tenant = phases[phase]["tasks"].get("tasks_per_host_typical") or tasks_per_tenant
            elif phase.startswith("uri"):
                if self.args.uri_max_tenants and self.n > self.args.uri_max_tenants:
                    continue
                phases[phase] = self.run_phase(phase, URI_PLAYBOOK, "uri")
            else:
                playbook = floor_generator.write(os.path.join(self.dir, "floor.yml"), tasks_per_tenant)
                phases[phase] = self.run_phase(phase, playbook, "ours")
                phases[phase]["floor_tasks_per_tenant"] = tasks_per_tenant
        return {"tenants": self.n, "tasks_per_tenant": tasks_per_tenant, "phases": phases,
                "ratios": report.ratios(phases)}


def run_mapping_phase(args, emulator, control):
    """The mapping phase: benchmarks/mapping_scale.py's measurement on this run's emulator, reset first."""
    control.reset()
    work = os.path.join(args.work_dir, MAPPING_PHASE)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    load_before = os.getloadavg()[0]
    figures = mapping_scale.measure(control, emulator.ready, args.collections_path, work, args.mapping_customers)
    # The machine's 1-minute load before and after, as for the other phases.
    figures["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    for label in ("fresh", "converged", "evidence"):
        run = figures[label]
        print("  mapping-%-9s wall %7.1f s  requests %d (%d company lookups)  writes %d%s" % (
            label, run["wall_s"], run["requests"], run["company_lookups"], run["writes"],
            "" if run["returncode"] == 0 else "  rc=%d" % run["returncode"]), flush=True)
    for problem in figures["problems"]:
        print("    mapping: %s" % problem, flush=True)
    return figures


def mapping_targets(figures):
    """The mapping phase's goals, in the shape of report.targets() (reported, never asserted)."""
    converged = figures["converged"]
    return [{"target": "mapping %d customers: converged run zero writes" % figures["customers"],
             "value": converged["writes"], "met": converged["returncode"] == 0 and converged["writes"] == 0},
            {"target": "mapping %d customers: every customer mapped" % figures["customers"],
             "value": figures["mapped"], "met": figures["mapped"] == figures["customers"]}]


def ansible_version(ansible_bin):
    try:
        import ansible.release
        return ansible.release.__version__
    except ImportError:
        return None


def _stop_on_sigterm(signum, frame):
    # Unwind through the `with EmulatorProcess` block, so the emulator is stopped too.
    raise KeyboardInterrupt


def main(argv=None):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    os.makedirs(args.work_dir, exist_ok=True)
    os.makedirs(args.results_dir, exist_ok=True)
    if args.stage:
        args.collections_path = stage_collection(args.work_dir)
    if not os.path.isdir(os.path.join(args.collections_path, "ansible_collections", "msp", "umbrella_psa")):
        sys.exit("the collection is not staged under %s: run `make collection` or pass --stage" % args.collections_path)
    started = datetime.datetime.now(datetime.timezone.utc)
    expectation = load_expectation()
    print("benchmark: tenants %s, forks %d, batch size %s, phases %s, gc_freeze %s, trust %s" % (
        ",".join(map(str, args.tenants)), args.forks, args.batch_size or "all", ",".join(args.phases),
        "on" if args.gc_freeze else "off", args.trust), flush=True)
    runs = []
    with EmulatorProcess(REPO_ROOT, args.work_dir, profile="extended") as emulator:
        control = ControlClient(emulator.ready["url"], emulator.ready["ca_file"])
        # No tenant rounds when only the mapping phase was asked for.
        for n in args.tenants if set(args.phases) & set(PHASES) else []:
            print("N=%d" % n, flush=True)
            runs.append(Round(args, emulator, control, expectation, n).run())
        mapping = None
        if MAPPING_PHASE in args.phases:
            print("mapping: %d customers" % args.mapping_customers, flush=True)
            mapping = run_mapping_phase(args, emulator, control)
    result = {
        "started_at": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "forks": args.forks,
        "batch_size": args.batch_size,
        "gc_freeze": args.gc_freeze,
        "trust": args.trust,
        "phases_run": args.phases,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "ansible_core": ansible_version(args.ansible_bin), "platform": platform.platform()},
        "runs": runs,
    }
    result["targets"] = report.targets(runs, args.batch_size)
    result["figures"] = report.growth_figures(runs)
    if mapping is not None:
        result["mapping"] = mapping
        result["targets"] += mapping_targets(mapping)
    path = os.path.join(args.results_dir, started.strftime("%Y%m%dT%H%M%SZ") + ".json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=2, sort_keys=True)
    print()
    print(report.markdown(result))
    if mapping is not None:
        print()
        print(mapping_scale.markdown(mapping))
    print()
    print("results: %s" % path)
    failed = any(entry["measurement"]["returncode"] != 0
                 or not entry.get("verification", {"verified": True})["verified"]
                 for run in runs for entry in run["phases"].values()) or bool(mapping and mapping["problems"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
