#!/usr/bin/env python
"""Benchmark: map thousands of Umbrella customers to ConnectWise companies in one task, twice.

Starts the bundled emulator (profile ``extended``), seeds one tenant with N Umbrella customers and
N ConnectWise companies, writes an N-line mapping CSV, then runs one
``msp.umbrella_psa.umbrella_psa_company_mapping`` task twice with ansible-playbook:

  fresh      every customer gets its company (one PUT each)
  converged  the same again: nothing to write

For each run it prints the wall time of the ansible-playbook process, the requests the emulator
served by method and by route, and the module's own request count. The converged run must write
nothing; the script exits non-zero otherwise, or when the console does not hold the mapping.

    python benchmarks/mapping_scale.py [--customers 5000] [--keep]

Companies are seeded with the emulator's control route ``POST /_emulator/connectwise/{company}/
bulk-companies`` ``{"count": N, "prefix": "CUST"}`` when the emulator offers it; otherwise the
customers are spread over the companies every emulated ConnectWise company starts with, and the
script says so (the company lookup is then a single batch).
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
SEEDED_COMPANIES = ["Contoso", "Fabrikam", "Northwind", "AdventureWorks"]
TOKEN_ROUTE = "POST /auth/v2/token"

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
    """Identifiers of the companies to map to: ``count`` new ones when the emulator can seed them."""
    response = control.session.post(control.url + "/_emulator/connectwise/%s/bulk-companies" % COMPANY_ID,
                                    json={"count": count, "prefix": "CUST"}, timeout=300)
    if response.status_code == 201:
        listed = response.json().get("identifiers")
        return listed or ["CUST%d" % (n + 1) for n in range(count)], True
    return list(SEEDED_COMPANIES), False


def write_mappings(path, customers, companies):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer", "company"])
        for n, customer in enumerate(customers):
            writer.writerow([customer["customerName"], companies[n % len(companies)]])


def run_once(label, collections, work, variables, control):
    result_file = os.path.join(work, "result-%s.json" % label)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    playbook = os.path.join(work, "mapping.yml")
    control.reset_stats()
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), playbook,
               "-e", json.dumps(dict(variables, result_file=result_file))]
    started = time.monotonic()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    stats = control.stats()
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit("%s run failed (exit %d)" % (label, proc.returncode))
    with open(result_file, encoding="utf-8") as handle:
        result = json.load(handle)
    writes = sum(n for route, n in stats["by_route"].items() if not route.startswith("GET ") and route != TOKEN_ROUTE)
    print("\n## %s: %.1f s wall, %d requests, %d writes, changed=%s" % (
        label, wall, stats["total"], writes, result.get("changed")))
    print("by method: %s" % json.dumps(stats["by_method"], sort_keys=True))
    for route, count in sorted(stats["by_route"].items()):
        print("  %6d  %s" % (count, route))
    print("module counted: %s; summary: %s" % (json.dumps(result.get("requests")), json.dumps(result.get("summary"))))
    return result, writes


def main(argv=None):
    args = parse_args(argv)
    work = tempfile.mkdtemp(prefix="mapping-scale-")
    try:
        collections = stage(work)
        with EmulatorProcess(REPO_ROOT, work, profile="extended") as emulator:
            ready = emulator.ready
            control = ControlClient(ready["url"], ready["ca_file"])
            tenant = control.add_tenant({
                "name": COMPANY_ID,
                "connectwise": {"company_id": COMPANY_ID, "public_key": CW_PUBLIC_KEY, "private_key": CW_PRIVATE_KEY},
                "umbrella": {"org_id": ORG_ID, "api_key": "mapscale-key"}})
            started = time.monotonic()
            customers = control._call("POST", "/umbrella/%d/customers" % ORG_ID, {"count": args.customers})
            companies, bulk = seed_companies(control, args.customers)
            seeded = time.monotonic() - started
            print("# seeded in %.1f s: %d Umbrella customers, %s" % (
                seeded, len(customers), "%d ConnectWise companies" % len(companies) if bulk else
                "no ConnectWise companies (the emulator has no bulk-companies control route): the customers are "
                "spread over the %d companies every emulated ConnectWise company starts with" % len(companies)))
            mappings_file = os.path.join(work, "mapping.csv")
            write_mappings(mappings_file, customers, companies)
            with open(os.path.join(work, "mapping.yml"), "w", encoding="utf-8") as handle:
                handle.write(PLAYBOOK)
            variables = {"umbrella_url": ready["url"], "umbrella_api_key": tenant["umbrella"]["apiKey"],
                         "umbrella_api_secret": tenant["umbrella"]["apiSecret"], "umbrella_org_id": str(ORG_ID),
                         "ca_file": ready["ca_file"], "mappings_file": mappings_file, "cw_site": ready["url"],
                         "cw_company_id": COMPANY_ID, "cw_public_key": CW_PUBLIC_KEY,
                         "cw_private_key": CW_PRIVATE_KEY, "cw_client_id": CLIENT_ID}

            fresh, _fresh_writes = run_once("fresh", collections, work, variables, control)
            converged, converged_writes = run_once("converged", collections, work, variables, control)

            state = control.state()["umbrella"]["orgs"][str(ORG_ID)]["customers"]
            mapped = sum(1 for c in state if c.get("connectwiseCompanyId"))
            problems = []
            if mapped != len(customers):
                problems.append("the console holds %d mappings, expected %d" % (mapped, len(customers)))
            if converged_writes or converged.get("changed"):
                problems.append("the converged run wrote %d times (changed=%s)"
                                % (converged_writes, converged.get("changed")))
            if not fresh.get("changed"):
                problems.append("the fresh run reported no change")
            if problems:
                raise SystemExit("; ".join(problems))
            print("\nOK: %d customers mapped; the converged run made zero writes." % mapped)
    finally:
        if args.keep:
            print("work directory kept: %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
