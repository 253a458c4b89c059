#!/usr/bin/env python
"""Benchmark: map thousands of Umbrella customers to ConnectWise companies in one task, twice.

Starts the bundled emulator (profile ``extended``), seeds one tenant with N Umbrella customers and
N ConnectWise companies, writes an N-line mapping CSV that maps every customer onto its own company,
then runs one ``msp.umbrella_psa.umbrella_psa_company_mapping`` task twice with ansible-playbook:

  fresh      every customer gets its company (one PUT each)
  converged  the same again: nothing to write
  evidence   one ``msp.umbrella_psa.cw_umbrella_sync_info`` task reading back, with the same mapping file
             as its expected companies, what Umbrella's sync wrote: before any sync, every company is
             missing and looked up in ``identifier in (...)`` batches; nothing else grows with N

For each run it prints the wall time of the ansible-playbook process, the requests the emulator
served by method and by route (the batched ``identifier in (...)`` company lookups among them), and
the module's own request count. The converged run must write nothing; the script exits non-zero
otherwise, or when the console does not hold the mapping.

    python benchmarks/mapping_scale.py [--customers 5000] [--keep]

Companies are seeded with the emulator's control route ``POST /_emulator/connectwise/{company}/
bulk-companies`` ``{"count": N, "prefix": "CUST"}``. ``benchmarks/run.py`` runs the same measurement
as its ``mapping`` phase (``measure`` and ``markdown`` below).
"""

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)
sys.path.insert(0, BENCH_DIR)

from benchlib.emulator import ControlClient, EmulatorProcess  # noqa: E402

ORG_ID = 4100001
COMPANY_ID = "mapscale"
CW_PUBLIC_KEY = "MapScalePublic01"
CW_PRIVATE_KEY = "MapScalePrivate1"
CLIENT_ID = "00000000-0000-4000-8000-00000000beef"
TOKEN_ROUTE = "POST /auth/v2/token"
COMPANY_ROUTE = "GET /company/companies"

PLAYBOOK = """---
- name: Map every customer of the console in one task
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: mapping
      msp.umbrella_psa.umbrella_psa_company_mapping:
        base_url: "{{ umbrella_url }}"
        api_key: "{{ umbrella_api_key }}"
        api_secret: "{{ umbrella_api_secret }}"
        org_id: "{{ umbrella_org_id }}"
        ca_path: "{{ ca_file }}"
        mappings_file: "{{ mappings_file }}"
        connectwise:
          site: "{{ cw_site }}"
          company_id: "{{ cw_company_id }}"
          public_key: "{{ cw_public_key }}"
          private_key: "{{ cw_private_key }}"
          client_id: "{{ cw_client_id }}"
          ca_path: "{{ ca_file }}"
      register: outcome

    - name: save the result
      ansible.builtin.copy:
        content: "{{ outcome | to_json }}"
        dest: "{{ result_file }}"
        mode: "0600"
"""


# The evidence of Umbrella's sync, read with the bootstrap key, the mapping file naming the expected companies.
EVIDENCE_PLAYBOOK = """---
- name: Read back the evidence of Umbrella's sync
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: evidence
      msp.umbrella_psa.cw_umbrella_sync_info:
        site: "{{ cw_site }}"
        company_id: "{{ cw_company_id }}"
        public_key: "{{ cw_public_key }}"
        private_key: "{{ cw_private_key }}"
        client_id: "{{ cw_client_id }}"
        ca_path: "{{ ca_file }}"
        expected_companies: "{{ mappings_file }}"
      register: outcome

    - name: save the result
      ansible.builtin.copy:
        content: "{{ outcome | to_json }}"
        dest: "{{ result_file }}"
        mode: "0600"
"""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--customers", type=int, default=5000, help="customers and companies to seed (5000)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (printed at the end)")
    return parser.parse_args(argv)


def stage(work):
    """A private staged copy of the collection, so no other user of build/ is disturbed."""
    target = os.path.join(work, "collections", "ansible_collections", "msp", "umbrella_psa")
    subprocess.run([os.path.join(REPO_ROOT, "scripts", "stage-collection"), target], check=True)
    return os.path.join(work, "collections")


def seed_companies(control, count):
    """Identifiers of ``count`` new ConnectWise companies (``CUST1`` ..), seeded in one control call."""
    seeded = control._call("POST", "/connectwise/%s/bulk-companies" % COMPANY_ID, {"count": count, "prefix": "CUST"})
    return seeded["identifiers"]


def write_mappings(path, customers, companies):
    """One line per customer; customer n maps onto company n (distinct companies when there are as many)."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer", "company"])
        for n, customer in enumerate(customers):
            writer.writerow([customer["customerName"], companies[n % len(companies)]])


def run_once(label, collections, work, variables, control, playbook_name="mapping.yml"):
    """One ansible-playbook run of the mapping (or evidence) task: its figures (wall time, requests by route,
    result)."""
    result_file = os.path.join(work, "result-%s.json" % label)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    playbook = os.path.join(work, playbook_name)
    control.reset_stats()
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), playbook,
               "-e", json.dumps(dict(variables, result_file=result_file))]
    started = time.monotonic()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    stats = control.stats()
    result = {}
    if os.path.exists(result_file):
        with open(result_file, encoding="utf-8") as handle:
            result = json.load(handle)
    by_route = stats["by_route"]
    figures = {
        "returncode": proc.returncode,
        "wall_s": round(wall, 2),
        "requests": stats["total"],
        "by_method": stats["by_method"],
        "by_route": by_route,
        "writes": sum(n for route, n in by_route.items() if not route.startswith("GET ") and route != TOKEN_ROUTE),
        # The batched ``identifier in (...)`` lookups of the ConnectWise companies.
        "company_lookups": sum(n for route, n in by_route.items() if route.startswith(COMPANY_ROUTE)),
        "changed": result.get("changed"),
        "module_requests": result.get("requests"),
        "summary": result.get("summary"),
        "verdict": result.get("verdict"),
        "missing": len(result.get("missing") or []),
    }
    if proc.returncode != 0:
        figures["output_tail"] = (proc.stdout[-2000:] + proc.stderr[-2000:]).strip()
    return figures


def print_run(label, figures):
    print("\n## %s: %.1f s wall, %d requests (%d company lookups), %d writes, changed=%s" % (
        label, figures["wall_s"], figures["requests"], figures["company_lookups"], figures["writes"],
        figures["changed"]))
    print("by method: %s" % json.dumps(figures["by_method"], sort_keys=True))
    for route, count in sorted(figures["by_route"].items()):
        print("  %6d  %s" % (count, route))
    print("module counted: %s; summary: %s" % (json.dumps(figures["module_requests"]),
                                               json.dumps(figures["summary"])))


def measure(control, ready, collections, work, customers):
    """Seed one tenant with ``customers`` Umbrella customers and as many ConnectWise companies, map each
    customer onto its own company (fresh run), then run the same task again (converged run).

    ``control`` is a benchlib ControlClient of a running ``extended`` emulator whose address and CA are
    ``ready``; ``collections`` holds ansible_collections/msp/umbrella_psa. Returns the figures, with
    ``problems`` listing what did not hold (empty when the mapping converged and the rerun wrote nothing).
    """
    tenant = control.add_tenant({
        "name": COMPANY_ID,
        "connectwise": {"company_id": COMPANY_ID, "public_key": CW_PUBLIC_KEY, "private_key": CW_PRIVATE_KEY},
        "umbrella": {"org_id": ORG_ID, "api_key": "mapscale-key"}})
    started = time.monotonic()
    seeded = control._call("POST", "/umbrella/%d/customers" % ORG_ID, {"count": customers})
    companies = seed_companies(control, customers)
    seed_s = time.monotonic() - started
    mappings_file = os.path.join(work, "mapping.csv")
    write_mappings(mappings_file, seeded, companies)
    for name, text in (("mapping.yml", PLAYBOOK), ("evidence.yml", EVIDENCE_PLAYBOOK)):
        with open(os.path.join(work, name), "w", encoding="utf-8") as handle:
            handle.write(text)
    variables = {"umbrella_url": ready["url"], "umbrella_api_key": tenant["umbrella"]["apiKey"],
                 "umbrella_api_secret": tenant["umbrella"]["apiSecret"], "umbrella_org_id": str(ORG_ID),
                 "ca_file": ready["ca_file"], "mappings_file": mappings_file, "cw_site": ready["url"],
                 "cw_company_id": COMPANY_ID, "cw_public_key": CW_PUBLIC_KEY,
                 "cw_private_key": CW_PRIVATE_KEY, "cw_client_id": CLIENT_ID}

    fresh = run_once("fresh", collections, work, variables, control)
    converged = run_once("converged", collections, work, variables, control)
    evidence = run_once("evidence", collections, work, variables, control, "evidence.yml")

    state = control.state()["umbrella"]["orgs"][str(ORG_ID)]["customers"]
    mapped = {c["customerId"]: c.get("connectwiseCompanyId") for c in state if c.get("connectwiseCompanyId")}
    problems = []
    for label, figures in (("fresh", fresh), ("converged", converged), ("evidence", evidence)):
        if figures["returncode"] != 0:
            tail = figures.get("output_tail", "")[-500:]
            problems.append("the %s run failed (exit %d): %s" % (label, figures["returncode"], tail))
    expected = dict((c["customerId"], companies[n % len(companies)]) for n, c in enumerate(seeded))
    if mapped != expected:
        wrong = sum(1 for cid, company in expected.items() if mapped.get(cid) != company)
        problems.append("the console holds %d mappings, %d of %d customers not mapped to their company"
                        % (len(mapped), wrong, len(expected)))
    if converged["writes"] or converged["changed"]:
        problems.append("the converged run wrote %d times (changed=%s)" % (converged["writes"], converged["changed"]))
    if not fresh["changed"]:
        problems.append("the fresh run reported no change")
    # No sync has run: the evidence is "never", with every mapped company missing, and nothing written.
    if evidence["writes"] or evidence["verdict"] != "never" or evidence["missing"] != len(set(companies)):
        problems.append("the evidence run wrote %d times, verdict %s, %d companies missing" % (
            evidence["writes"], evidence["verdict"], evidence["missing"]))
    return {"customers": customers, "companies": len(set(companies)), "seed_s": round(seed_s, 2),
            "mapped": len(mapped), "fresh": fresh, "converged": converged, "evidence": evidence,
            "problems": problems}


def markdown(figures):
    """The mapping phase as a markdown table (benchmarks/run.py appends it to its report)."""
    lines = ["mapping: %d Umbrella customers onto %d distinct ConnectWise companies, one task, emulator "
             "profile extended" % (figures["customers"], figures["companies"]), "",
             "| run | wall s | requests | company lookups | by method | writes | changed |",
             "|---|---:|---:|---:|---|---:|---|"]
    for label in ("fresh", "converged", "evidence"):
        if label not in figures:
            continue
        run = figures[label]
        lines.append("| %s | %.1f | %d | %d | %s | %d | %s |" % (
            label, run["wall_s"], run["requests"], run["company_lookups"],
            " ".join("%s %d" % (m, run["by_method"][m]) for m in sorted(run["by_method"])), run["writes"],
            run["changed"]))
    if figures["problems"]:
        lines += ["", "mapping problems: " + "; ".join(figures["problems"])]
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    work = tempfile.mkdtemp(prefix="mapping-scale-")
    try:
        collections = stage(work)
        with EmulatorProcess(REPO_ROOT, work, profile="extended") as emulator:
            control = ControlClient(emulator.ready["url"], emulator.ready["ca_file"])
            figures = measure(control, emulator.ready, collections, work, args.customers)
        print("# seeded in %.1f s: %d Umbrella customers, %d ConnectWise companies" % (
            figures["seed_s"], figures["customers"], figures["companies"]))
        print_run("fresh", figures["fresh"])
        print_run("converged", figures["converged"])
        print_run("evidence", figures["evidence"])
        if figures["problems"]:
            raise SystemExit("; ".join(figures["problems"]))
        print("\nOK: %d customers mapped onto %d companies; the converged run made zero writes."
              % (figures["mapped"], figures["companies"]))
    finally:
        if args.keep:
            print("work directory kept: %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
