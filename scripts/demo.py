"""``make demo``: provision the example tenants against the bundled emulator, twice.

1. start the emulator (``python -m emulator``) on a free loopback port;
2. seed it with the example inventory's tenants, their credentials read from the inventory itself
   (decrypted with the demo-only vault password), so the two can never disagree;
3. write ``.demo/emulator-vars.yml`` (site, base URL, CA, key store and report directories), which
   is passed with ``-e @`` so that the inventory stays static while the port changes;
4. run ``msp.umbrella_psa.provision_tenants`` and show its summary (every tenant ``awaiting first sync``);
5. ``public`` profile: do, through the emulator's control API, what the reports ask a person to do in
   ConnectWise and in each Umbrella console, each act printed as the person would do it (never a secret);
   the key pair goes into ``.demo/inventory/host_vars``, vault-encrypted with the demo-only password;
6. run Umbrella's sync of every console once (the daily sync, on demand through the control API);
7. run the playbook again: every tenant ``verified``, by the evidence Umbrella wrote into ConnectWise (on
   ``public`` this evidence closes the console step); ``public`` runs once more; the last run must change
   nothing;
8. stop the emulator.

Everything the demo writes goes under ``.demo/`` (git-ignored), or under ``--work-dir``. The collection
comes from the staged copy under build/, or from ``--collections-path`` (for example a path the built
tarball was installed into with ``ansible-galaxy collection install -p``).
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

# Each console's customers, already in Umbrella, and the ConnectWise company each belongs to (the companies
# every emulated ConnectWise holds).
CUSTOMERS = {"Contoso Ltd": "Contoso", "Fabrikam Inc": "Fabrikam", "Northwind Traders": "Northwind"}
GUIDE_SETTINGS = [
    {"module": "Companies", "function": "Company Maintenance", "inquire": "All"},
    {"module": "Companies", "function": "Configurations", "add": "All", "edit": "All", "inquire": "All"},
    {"module": "Service Desk", "function": "Service Tickets", "add": "All", "edit": "All", "inquire": "All"},
    {"module": "System", "function": "Table Setup", "add": "All", "edit": "All", "inquire": "All"},
]
GUIDE_CUSTOMIZE = ["Company / Configuration", "Service / Priority", "Service / Service Board"]
# A row of the summary's table (printed as a YAML block, so indented): tenant, status, changes, steps, sync.
SUMMARY_ROW = re.compile(r"^\s*(\S+)\s+(created|changed|unchanged|manual steps|FAILED)\s+\d+\s+\d+\s+(.+)$")

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = REPO_ROOT / "examples"
INVENTORY = EXAMPLES / "inventory"
VAULT_PASSWORD_FILE = EXAMPLES / "demo-only-vault-password"
DEMO_DIR = REPO_ROOT / ".demo"
BUILD_DIR = REPO_ROOT / "build"
COLLECTION_DIR = BUILD_DIR / "ansible_collections" / "msp" / "umbrella_psa"
BIN_DIR = Path(sys.executable).parent
RECAP_LINE = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


def load_tenants():
    """The example tenants' credentials, vault values decrypted with the demo-only password."""
    vault = VaultLib([("default", VaultSecret(VAULT_PASSWORD_FILE.read_bytes().strip()))])

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!vault", lambda loader, node: vault.decrypt(loader.construct_scalar(node)).decode())
    hosts = yaml.safe_load((INVENTORY / "hosts.yml").read_text())["tenants"]["hosts"]
    tenants = {}
    for name in hosts:
        tenants[name] = yaml.load((INVENTORY / "host_vars" / ("%s.yml" % name)).read_text(), Loader=Loader)
    return tenants


def start_emulator(profile, demo_dir):
    ready_file = demo_dir / "emulator-ready.json"
    ready_file.unlink(missing_ok=True)
    log = open(demo_dir / "emulator.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--profile", profile, "--port", "0",
         "--ready-file", str(ready_file), "--tls-dir", str(demo_dir / "tls")],
        cwd=str(REPO_ROOT), stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 30
    while not ready_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            stop_emulator(process)
            sys.exit("The emulator did not start; see %s" % (demo_dir / "emulator.log"))
        time.sleep(0.05)
    return process, json.loads(ready_file.read_text())


def stop_emulator(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Control:
    """The emulator's control API: what the demo seeds, and what a person or Umbrella itself does."""

    def __init__(self, ready):
        import requests

        self.url = ready["url"] + "/_emulator/"
        self.session = requests.Session()
        self.session.trust_env = False  # loopback only, never through a proxy
        self.session.verify = ready["ca_file"]

    def post(self, path, body, expect=(200, 201)):
        response = self.session.post(self.url + path, json=body, timeout=60)
        if response.status_code not in expect:
            sys.exit("Emulator control %s failed: %s %s" % (path, response.status_code, response.text[:300]))
        return response.json()

    def get(self, path):
        response = self.session.get(self.url + path, timeout=60)
        response.raise_for_status()
        return response.json()


def seed(ready, tenants):
    """Create each tenant's ConnectWise company and Umbrella org, and the console's customers, through the control API."""
    control = Control(ready)
    customers = {}
    for name, tenant in tenants.items():
        body = {
            "name": name,
            "connectwise": {"company_id": tenant["psa_cw_company_id"], "public_key": tenant["psa_cw_public_key"],
                            "private_key": tenant["psa_cw_private_key"], "client_id": None},
            "umbrella": {"org_id": int(tenant["psa_umbrella_org_id"]), "api_key": tenant["psa_umbrella_api_key"],
                         "api_secret": tenant["psa_umbrella_api_secret"]},
        }
        control.post("tenants", body, expect=(201,))
        customers[name] = control.post("umbrella/%s/customers" % tenant["psa_umbrella_org_id"],
                                       {"names": list(CUSTOMERS)}, expect=(201,))
    return control, customers


def write_mappings(tenants, demo_dir):
    """extended: each tenant's mapping file, applied by the role's mapping stage (the console's mapping API)."""
    folder = demo_dir / "mappings"
    folder.mkdir(exist_ok=True)
    for name in tenants:
        (folder / ("%s.csv" % name)).write_text(
            "customer,company\n" + "".join("%s,%s\n" % item for item in CUSTOMERS.items()))
    return str(folder) + "/{{ inventory_hostname }}.csv"


def vault_value(text):
    """A value encrypted with the demo-only vault password, as ``!vault`` YAML."""
    vault = VaultLib([("default", VaultSecret(VAULT_PASSWORD_FILE.read_bytes().strip()))])
    lines = vault.encrypt(text).decode().splitlines()
    return "!vault |\n" + "".join("  %s\n" % line for line in lines)


def do_the_persons_steps(control, ready, tenants, customers, demo_dir):
    """public: what the reports ask a person to do, through the control API, said as the person would do it.

    The key pair the person created goes, vault-encrypted, into a second inventory source beside the example
    inventory (.demo/inventory), as the operator would put it into the tenant's host_vars.
    """
    inventory = demo_dir / "inventory"
    (inventory / "host_vars").mkdir(parents=True, exist_ok=True)
    (inventory / "hosts.yml").write_text(yaml.safe_dump({"tenants": {"hosts": {name: None for name in tenants}}}))
    site = ready["url"].split("://", 1)[1]
    print("\n=== What a person does by hand, from the reports ===")
    for name, tenant in tenants.items():
        company, org = tenant["psa_cw_company_id"], tenant["psa_umbrella_org_id"]
        control.post("connectwise/%s/roles/Umbrella/settings" % company,
                     {"settings": GUIDE_SETTINGS, "customize": GUIDE_CUSTOMIZE})
        print("- In ConnectWise %s: System › Security Roles › Umbrella → set the permissions and the Table Setup "
              "customize list the report lists → Save" % company)
        key = control.post("connectwise/%s/members/umbrella/keys" % company, {"description": "Cisco Umbrella"})
        created = [k["dateEntered"] for k in control.get("state")["connectwise"][company]["api_keys"]
                   if k["publicKey"] == key["publicKey"]][0]
        print("- In ConnectWise %s: System › Members › API Members › umbrella › API Keys → + 'Cisco Umbrella' → "
              "public key %s, created %s; the private key goes into the vault" % (company, key["publicKey"], created))
        (inventory / "host_vars" / ("%s.yml" % name)).write_text(
            "---\n# The key a person created for %s (written by scripts/demo.py).\n"
            "psa_integration_public_key: %s\npsa_integration_private_key: %s"
            "psa_integration_key_created_at: \"%s\"\n" % (name, key["publicKey"], vault_value(key["privateKey"]), created))
        control.post("umbrella/%s/psa" % org, {
            "psa": "connectwise", "enabled": True,
            "connectwise": {"site": site, "companyId": company, "publicKey": key["publicKey"],
                            "privateKey": key["privateKey"]},
            "ticketing": {"serviceBoard": tenant.get("psa_umbrella_service_board", "Umbrella Alerts"),
                          "queryThreshold": 10}})
        print("- In Umbrella console %s: MSP Settings › PSA Integration Details → ConnectWise, site %s, company %s, "
              "public key %s, private key (from the vault), board 'Umbrella Alerts', threshold 10 → Save"
              % (org, site, company, key["publicKey"]))
        for customer in customers[name]:
            control.post("umbrella/%s/customers/%s/connectwise" % (org, customer["customerId"]),
                         {"connectwiseCompanyId": CUSTOMERS[customer["customerName"]]})
        print("- In Umbrella console %s: Customer Management › %s → ConnectWise Company ID %s → Save"
              % (org, ", ".join(c["customerName"] for c in customers[name]),
                 ", ".join(CUSTOMERS[c["customerName"]] for c in customers[name])))
    return inventory


def sync_every_console(control, tenants):
    """Umbrella's daily sync of every console, now (the emulator runs it with the key each console holds)."""
    print("\n=== Umbrella syncs every console into ConnectWise (its daily sync, on demand) ===")
    for name, tenant in tenants.items():
        report = control.post("umbrella/%s/psa/sync" % tenant["psa_umbrella_org_id"], {})
        synced = [c["connectwiseCompanyId"] for c in report["customers"] if c.get("result") == "synced"]
        print("- Umbrella console %s (%s): %s; customers synced into ConnectWise: %s"
              % (tenant["psa_umbrella_org_id"], name, "ok" if report["ok"] else "FAILED %s" % report["errors"][:1],
                 ", ".join(synced) or "none"))


def sync_states(lines):
    """Each tenant's SYNC column in the summary of a run."""
    return dict((match.group(1), match.group(3).strip()) for match in map(SUMMARY_ROW.match, lines) if match)


def write_emulator_vars(ready, demo_dir, mapping_file=None):
    site = ready["url"].split("://", 1)[1]
    document = {
        "psa_cw_site": site,
        "psa_cw_ca_path": ready["ca_file"],
        "psa_umbrella_base_url": ready["url"],
        "psa_umbrella_ca_path": ready["ca_file"],
        "psa_key_store_dir": str(demo_dir / "keys"),
        "psa_report_dir": str(demo_dir / "reports"),
    }
    if mapping_file:
        document["psa_company_mapping_file"] = mapping_file
    path = demo_dir / "emulator-vars.yml"
    path.write_text("# Written by scripts/demo.py for this emulator start.\n" + yaml.safe_dump(document))
    return path


def run_playbook(title, vars_file, collections_path, *extra, inventories=(INVENTORY,)):
    print("\n=== %s ===" % title, flush=True)
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(collections_path),
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
        "ANSIBLE_VAULT_PASSWORD_FILE": str(VAULT_PASSWORD_FILE),
        "ANSIBLE_CALLBACK_RESULT_FORMAT": "yaml",
        "ANSIBLE_DISPLAY_SKIPPED_HOSTS": "false",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_FORKS": "10",
        # Keeps the forked workers sharing the controller's memory (docs/performance.md).
        "ANSIBLE_CALLBACKS_ENABLED": "msp.umbrella_psa.gc_freeze",
    })
    command = [str(BIN_DIR / "ansible-playbook"), "msp.umbrella_psa.provision_tenants",
               *[part for inventory in inventories for part in ("-i", str(inventory))], "-e", "@%s" % vars_file, *extra]
    # Run outside the repository, so that the collection can only come from collections_path.
    process = subprocess.Popen(command, cwd=str(vars_file.parent), env=env, stdout=subprocess.PIPE, text=True)
    lines = []
    for line in process.stdout:
        sys.stdout.write(line)
        lines.append(line.rstrip("\n"))
    process.wait()
    recap = {}
    for line in lines:
        match = RECAP_LINE.match(line)
        if match:
            recap[match.group(1)] = {"ok": int(match.group(2)), "changed": int(match.group(3)),
                                     "failed": int(match.group(5))}
    return process.returncode, recap, sync_states(lines)


def print_recap(title, recap):
    print("  %s: %s" % (title, ", ".join("%s changed=%d failed=%d" % (host, r["changed"], r["failed"])
                                         for host, r in sorted(recap.items()))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=("extended", "public"), default="extended")
    parser.add_argument("--collections-path", type=Path, default=None,
                        help="where Ansible finds msp.umbrella_psa (default: the staged copy under build/)")
    parser.add_argument("--work-dir", type=Path, default=DEMO_DIR,
                        help="for the emulator's files, the key store and the reports (default: .demo/)")
    args = parser.parse_args()
    demo_dir = args.work_dir.resolve()
    collections_path = args.collections_path.resolve() if args.collections_path else BUILD_DIR

    if args.collections_path is None and not COLLECTION_DIR.exists():
        subprocess.run([str(REPO_ROOT / "scripts" / "stage-collection"), str(COLLECTION_DIR)], check=True)
    # A fresh emulator holds no keys: start from an empty key store, no old reports and no old key vars.
    for stale in ("keys", "reports", "inventory", "mappings"):
        shutil.rmtree(demo_dir / stale, ignore_errors=True)
    demo_dir.mkdir(parents=True, exist_ok=True)

    tenants = load_tenants()
    process, ready = start_emulator(args.profile, demo_dir)
    try:
        print("Emulator (%s profile) at %s; collections from %s" % (args.profile, ready["url"], collections_path))
        control, customers = seed(ready, tenants)
        public = args.profile == "public"
        # extended: the role's mapping stage sets each customer's ConnectWise Company ID; public: a person does.
        vars_file = write_emulator_vars(ready, demo_dir, None if public else write_mappings(tenants, demo_dir))
        runs = [("first run", run_playbook("First run: provision %d tenants" % len(tenants), vars_file,
                                           collections_path))]
        inventories = (INVENTORY,)
        if public:
            reports = sorted((demo_dir / "reports").glob("*.md"))
            print("\nThe public profile is what real ConnectWise and Umbrella offer today: the steps left for a "
                  "person are in %s" % ", ".join(report.name for report in reports))
            inventories = (INVENTORY, do_the_persons_steps(control, ready, tenants, customers, demo_dir))
        sync_every_console(control, tenants)
        runs.append(("second run", run_playbook("Second run: the same inventory, after Umbrella's sync", vars_file,
                                                collections_path, inventories=inventories)))
        if public:
            # The second run closed the console step on the evidence and removed the reports.
            runs.append(("third run", run_playbook("Third run: nothing left to do", vars_file, collections_path,
                                                   inventories=inventories)))
    finally:
        stop_emulator(process)

    print("\n=== Recap ===")
    for title, (_rc, recap, _sync) in runs:
        print_recap(title.ljust(10), recap)
    failed = [title for title, (rc, _recap, _sync) in runs if rc]
    if failed:
        print("A run failed: %s." % ", ".join(failed))
        return 1
    print("Umbrella's sync before it ran: %s" % ", ".join("%s %s" % item for item in sorted(runs[0][1][2].items())))
    final_sync = runs[-1][1][2]
    print("Umbrella's sync at the end:    %s" % ", ".join("%s %s" % item for item in sorted(final_sync.items())))
    changed = sum(r["changed"] for r in runs[-1][1][1].values())
    print("Last run: %d changes%s." % (changed, "" if changed else " - converged"))
    unverified = sorted(name for name in tenants if final_sync.get(name) != "verified")
    if unverified:
        print("Not verified by Umbrella's sync: %s." % ", ".join(unverified))
    return 1 if changed or unverified else 0


if __name__ == "__main__":
    sys.exit(main())
