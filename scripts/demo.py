"""``make demo``: provision the example tenants against the bundled emulator, twice.

1. start the emulator (``python -m emulator``) on a free loopback port;
2. seed it with the example inventory's tenants, their credentials read from the inventory itself
   (decrypted with the demo-only vault password), so the two can never disagree;
3. write ``.demo/emulator-vars.yml`` (site, base URL, CA, key store and report directories), which
   is passed with ``-e @`` so that the inventory stays static while the port changes;
4. run ``msp.umbrella_psa.provision_tenants`` and show its summary; run it again: with the
   ``extended`` profile the second run must change nothing; with ``public`` it shows the manual-step
   reports a person works through;
5. stop the emulator.

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


def seed(ready, tenants):
    """Create each tenant's ConnectWise company and Umbrella org through the control API."""
    import requests

    session = requests.Session()
    session.trust_env = False  # loopback only, never through a proxy
    session.verify = ready["ca_file"]
    for name, tenant in tenants.items():
        body = {
            "name": name,
            "connectwise": {"company_id": tenant["psa_cw_company_id"], "public_key": tenant["psa_cw_public_key"],
                            "private_key": tenant["psa_cw_private_key"], "client_id": None},
            "umbrella": {"org_id": int(tenant["psa_umbrella_org_id"]), "api_key": tenant["psa_umbrella_api_key"],
                         "api_secret": tenant["psa_umbrella_api_secret"]},
        }
        response = session.post(ready["url"] + "/_emulator/tenants", json=body, timeout=30)
        if response.status_code != 201:
            sys.exit("Seeding tenant %s failed: %s %s" % (name, response.status_code, response.text[:300]))


def write_emulator_vars(ready, demo_dir):
    site = ready["url"].split("://", 1)[1]
    document = {
        "psa_cw_site": site,
        "psa_cw_ca_path": ready["ca_file"],
        "psa_umbrella_base_url": ready["url"],
        "psa_umbrella_ca_path": ready["ca_file"],
        "psa_key_store_dir": str(demo_dir / "keys"),
        "psa_report_dir": str(demo_dir / "reports"),
    }
    path = demo_dir / "emulator-vars.yml"
    path.write_text("# Written by scripts/demo.py for this emulator start.\n" + yaml.safe_dump(document))
    return path


def run_playbook(title, vars_file, collections_path, *extra):
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
               "-i", str(INVENTORY), "-e", "@%s" % vars_file, *extra]
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
    return process.returncode, recap


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
    # A fresh emulator holds no keys: start from an empty key store and no old reports.
    for stale in ("keys", "reports"):
        shutil.rmtree(demo_dir / stale, ignore_errors=True)
    demo_dir.mkdir(parents=True, exist_ok=True)

    tenants = load_tenants()
    process, ready = start_emulator(args.profile, demo_dir)
    try:
        print("Emulator (%s profile) at %s; collections from %s" % (args.profile, ready["url"], collections_path))
        seed(ready, tenants)
        vars_file = write_emulator_vars(ready, demo_dir)
        first_rc, first = run_playbook("First run: provision %d tenants" % len(tenants), vars_file, collections_path)
        second_rc, second = run_playbook("Second run: the same inventory again", vars_file, collections_path)
    finally:
        stop_emulator(process)

    print("\n=== Recap ===")
    print_recap("first run ", first)
    print_recap("second run", second)
    if first_rc or second_rc:
        print("A run failed (exit codes %d, %d)." % (first_rc, second_rc))
        return 1
    if args.profile == "extended":
        changed = sum(r["changed"] for r in second.values())
        print("Second run: %d changes%s." % (changed, "" if changed else " - converged"))
        return 1 if changed else 0
    reports = sorted((demo_dir / "reports").glob("*.md"))
    print("The public profile is what real ConnectWise and Umbrella offer today: the steps left for a person are in")
    for report in reports:
        print("  %s" % (report.relative_to(REPO_ROOT) if report.is_relative_to(REPO_ROOT) else report))
    print("After doing them (and setting the vars the reports name), run the playbook again: it verifies and converges.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
