"""Drive ``msp.umbrella_psa.provision_tenants`` against a real emulator with a throw-away inventory.

Each test gets its own inventory directory (hosts.yml + host_vars), key store and report directory
under ``tmp_path``; the emulator's address, CA and those directories go in as extra vars, the way
``scripts/demo.py`` does it.
"""

import atexit
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml

from support.ansible_runner import BIN_DIR, REPO_ROOT, ansible_env, run_playbook
from support.emulator import cw_headers, new_session

PLAYBOOK = "msp.umbrella_psa.provision_tenants"
CLIENT_ID = "3f8e2a91-5b7c-4d2e-8a6f-1c9b0d7e4a21"
VAULT_PASSWORD = "role-tests-vault-password"
# ansible-core has no JSON stdout callback of its own; this one prints the ansible.posix.json shape.
CALLBACK_PLUGINS = Path(__file__).resolve().parents[1] / "callback_plugins"
RESULT_TASKS = ("Record the tenant's result", "Record the tenant's failure")


_private_root = None


def collections_path():
    """A staged copy of the collection owned by this test process.

    build/ is shared by every run of ``make`` and by each pytest-xdist worker, which restage it
    at will; a private copy keeps a long playbook run from seeing the tree vanish under it.
    """
    global _private_root
    if _private_root is None:
        root = tempfile.mkdtemp(prefix="psa-role-tests-")
        atexit.register(shutil.rmtree, root, True)
        subprocess.run([str(REPO_ROOT / "scripts" / "stage-collection"),
                        os.path.join(root, "ansible_collections", "msp", "umbrella_psa")], check=True)
        _private_root = root
    return _private_root


class Tenants:
    """Tenants seeded in one emulator, and the inventory that describes them."""

    def __init__(self, emulator, tmp_path):
        self.emulator = emulator
        self.dir = tmp_path
        self.inventory = tmp_path / "inventory"
        (self.inventory / "host_vars").mkdir(parents=True)
        self.key_store = tmp_path / "keys"
        self.reports = tmp_path / "reports"
        self.password_file = tmp_path / "vault-password"
        self.password_file.write_text(VAULT_PASSWORD + "\n")
        self.hosts = {}
        self._runs = 0

    # -- seeding --------------------------------------------------------------------------------------
    def add(self, host, company_id, org_id, **host_vars):
        seeded = self.emulator.control.create_tenant(
            name="%s-%s" % (company_id, org_id),
            connectwise={"company_id": company_id, "client_id": CLIENT_ID},
            umbrella={"org_id": org_id, "api_key": "umbrella-key-%s" % org_id,
                      "api_secret": "umbrella-secret-%s" % org_id})
        cw = seeded["connectwise"]
        variables = {
            "psa_cw_company_id": company_id, "psa_cw_public_key": cw["public_key"],
            "psa_cw_private_key": cw["private_key"], "psa_cw_client_id": CLIENT_ID,
            "psa_umbrella_api_key": "umbrella-key-%s" % org_id,
            "psa_umbrella_api_secret": "umbrella-secret-%s" % org_id,
            "psa_umbrella_org_id": str(org_id),
        }
        variables.update(host_vars)
        self.hosts[host] = {"company_id": company_id, "org_id": org_id, "cw": cw, "vars": variables}
        self.write_inventory()
        return self.hosts[host]

    def set_vars(self, host, **host_vars):
        self.hosts[host]["vars"].update(host_vars)
        self.write_inventory()

    def write_inventory(self):
        (self.inventory / "hosts.yml").write_text(
            yaml.safe_dump({"tenants": {"hosts": {host: None for host in self.hosts}}}, allow_unicode=True))
        for host, tenant in self.hosts.items():
            (self.inventory / "host_vars" / ("%s.yml" % host)).write_text(
                yaml.safe_dump(tenant["vars"], allow_unicode=True))

    # -- running ---------------------------------------------------------------------------------------
    def extra_vars(self):
        return {
            "psa_cw_site": self.emulator.url.split("://", 1)[1],
            "psa_cw_ca_path": self.emulator.ca_file,
            "psa_umbrella_base_url": self.emulator.url,
            "psa_umbrella_ca_path": self.emulator.ca_file,
            "psa_key_store_dir": str(self.key_store),
            "psa_report_dir": str(self.reports),
        }

    def env(self, json_output=True):
        env = {"ANSIBLE_VAULT_PASSWORD_FILE": str(self.password_file), "ANSIBLE_COLLECTIONS_PATH": collections_path()}
        if json_output:
            env.update({"ANSIBLE_CALLBACK_PLUGINS": str(CALLBACK_PLUGINS), "ANSIBLE_STDOUT_CALLBACK": "json_results"})
        return env

    def _vars_file(self, extra):
        self._runs += 1
        path = self.dir / ("extra-vars-%d.json" % self._runs)
        path.write_text(json.dumps(dict(self.extra_vars(), **(extra or {}))))
        return path

    def run(self, *args, extra=None, json_output=True):
        """ansible-playbook over the inventory; returns the AnsibleRun."""
        return run_playbook(PLAYBOOK, "-i", str(self.inventory), "-e", "@%s" % self._vars_file(extra), *args,
                            env=self.env(json_output), json_output=json_output)

    def start(self, *args, extra=None):
        """The same command as a background process (its own process group), for kill tests."""
        command = [str(BIN_DIR / "ansible-playbook"), PLAYBOOK, "-i", str(self.inventory),
                   "-e", "@%s" % self._vars_file(extra), *args]
        return subprocess.Popen(command, cwd=str(REPO_ROOT), env=ansible_env(self.env(False), json_output=False),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    # -- what the emulator holds (the oracle) -----------------------------------------------------------
    def state(self):
        return self.emulator.control.state()

    def cw_state(self, host):
        return self.state()["connectwise"][self.hosts[host]["company_id"]]

    def integration_keys(self, host, member="umbrella", description="Cisco Umbrella"):
        return [k for k in self.cw_state(host)["api_keys"]
                if (k["memberIdentifier"] or "").lower() == member.lower() and k["description"] == description]

    def umbrella_psa(self, host):
        return self.state()["umbrella"]["orgs"][str(self.hosts[host]["org_id"])]["psa"]

    def authenticate(self, host, public_key, private_key):
        """GET /system/mySecurity with a key pair: (status, member identifier or None)."""
        session = new_session(self.emulator.ca_file)
        answer = session.get(self.emulator.cw_base + "/system/mySecurity",
                             headers=cw_headers(self.hosts[host]["company_id"], public_key, private_key, CLIENT_ID))
        if answer.status_code != 200:
            return answer.status_code, None
        records = answer.json()
        return 200, (records[0]["member"]["identifier"] if records else None)

    def writes(self, stats):
        """Vendor write requests in an emulator stats snapshot (token requests are reads of a kind)."""
        return {route: count for route, count in stats["by_route"].items()
                if not route.startswith("GET ") and "/auth/v2/token" not in route}


def task_name(task):
    """A task's own name, without the "<role> : " prefix the callback adds to role tasks."""
    return task["task"]["name"].rsplit(" : ", 1)[-1]


def results(run):
    """psa_integration_result of every tenant, from the json callback's output."""
    found = {}
    for name in RESULT_TASKS:
        for play in run.data.get("plays", []):
            for task in play.get("tasks", []):
                if task_name(task) != name:
                    continue
                for host, result in task["hosts"].items():
                    facts = result.get("ansible_facts") or {}
                    if "psa_integration_result" in facts:
                        found[host] = facts["psa_integration_result"]
    return found


def changed_tasks(run):
    """(task name, host) of every changed task result."""
    changed = []
    for play in run.data.get("plays", []):
        for task in play.get("tasks", []):
            for host, result in task["hosts"].items():
                if result.get("changed"):
                    changed.append((task_name(task), host))
    return changed


def file_mode(path):
    return os.stat(path).st_mode & 0o777
