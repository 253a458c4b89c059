"""Run real ansible-playbook / ansible processes against the staged collection.

The collection is staged once per test session into ``build/ansible_collections/msp/umbrella_psa``
(the same copy ``make`` uses), so what the tests exercise is the committed tree, loaded by Ansible
exactly as an installed collection would be.
"""

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_DIR = REPO_ROOT / "build"
COLLECTION_DIR = BUILD_DIR / "ansible_collections" / "msp" / "umbrella_psa"
BIN_DIR = Path(sys.executable).parent

CALLBACK_PLUGINS = REPO_ROOT / "tests" / "integration" / "callback_plugins"
# Set once the collection is staged for this test run; pytest-xdist workers inherit it, so that no
# worker re-stages (and pulls files from under) a playbook another worker is running.
STAGED_ENV = "MSP_UMBRELLA_PSA_STAGED"


def stage_collection(force=False):
    """Copy the working tree's collection files into build/ (once per test run unless forced)."""
    if os.environ.get(STAGED_ENV) and not force:
        return COLLECTION_DIR
    subprocess.run([str(REPO_ROOT / "scripts" / "stage-collection"), str(COLLECTION_DIR)], check=True)
    os.environ[STAGED_ENV] = "1"
    return COLLECTION_DIR


@dataclass
class AnsibleRun:
    returncode: int
    stdout: str
    stderr: str
    data: dict = field(default_factory=dict)

    def task_results(self, task_name, host=None):
        """Results of every task with this name (json callback), in play order; per host when given."""
        found = []
        for play in self.data.get("plays", []):
            for task in play.get("tasks", []):
                if task["task"]["name"] != task_name:
                    continue
                for hostname, result in task["hosts"].items():
                    if host is None or hostname == host:
                        found.append(result)
        return found

    def result(self, task_name, host=None):
        results = self.task_results(task_name, host)
        assert len(results) == 1, "expected one result for %r, got %d" % (task_name, len(results))
        return results[0]

    @property
    def stats(self):
        return self.data.get("stats", {})

    def explain(self, tail=2000):
        """What went wrong, for an assertion message.

        Every failed or unreachable result comes first, one line each (task, host, message): in a
        long run over many tenants they sit far before the end of the output, rescued ones too.
        Then the ends of stderr and stdout.
        """
        lines = []
        for play in self.data.get("plays", []):
            for task in play.get("tasks", []):
                for host, result in task.get("hosts", {}).items():
                    if result.get("failed") or result.get("unreachable"):
                        message = str(result.get("msg") or result.get("message") or result.get("stderr") or "")
                        lines.append("%s | %s | %s" % (task["task"]["name"], host, message[:600]))
        lines.append("rc %d; stats %s" % (self.returncode, json.dumps(self.stats, sort_keys=True)[:1500]))
        lines.append("stderr (end):\n" + self.stderr[-tail:])
        lines.append("stdout (end):\n" + self.stdout[-tail:])
        return "\n".join(lines)


def ansible_env(extra=None, json_output=True):
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(BUILD_DIR),
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
        "ANSIBLE_HOST_KEY_CHECKING": "false",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "PATH": str(BIN_DIR) + os.pathsep + env.get("PATH", ""),
    })
    if json_output:
        env["ANSIBLE_CALLBACK_PLUGINS"] = str(CALLBACK_PLUGINS)
        env["ANSIBLE_STDOUT_CALLBACK"] = "json_results"
    if extra:
        env.update(extra)
    return env


def run_playbook(playbook, *args, extra_vars=None, env=None, json_output=True, cwd=None, timeout=900):
    """Run ansible-playbook; with json_output the json callback's document is parsed into ``data``."""
    stage_collection()
    cmd = [str(BIN_DIR / "ansible-playbook"), str(playbook)]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    cmd += list(args)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ansible_env(env, json_output), check=False,
                          cwd=cwd or REPO_ROOT, timeout=timeout)
    data = {}
    if json_output and proc.stdout.strip():
        start = proc.stdout.find("{")
        data = json.loads(proc.stdout[start:]) if start >= 0 else {}
    return AnsibleRun(proc.returncode, proc.stdout, proc.stderr, data)


def run_adhoc(module, module_args, *args, env=None, timeout=300):
    """Run ``ansible localhost -m <module> -a <args>`` (one-line JSON output per host)."""
    stage_collection()
    cmd = [str(BIN_DIR / "ansible"), "localhost", "-c", "local", "-m", module, "-a", module_args, *args]
    e = ansible_env(env, json_output=False)
    e["ANSIBLE_LOAD_CALLBACK_PLUGINS"] = "true"
    e["ANSIBLE_CALLBACK_PLUGINS"] = str(CALLBACK_PLUGINS)
    e["ANSIBLE_STDOUT_CALLBACK"] = "json_results"
    proc = subprocess.run(cmd, capture_output=True, text=True, env=e, cwd=REPO_ROOT, timeout=timeout, check=False)
    data = {}
    if proc.stdout.strip():
        start = proc.stdout.find("{")
        data = json.loads(proc.stdout[start:]) if start >= 0 else {}
    return AnsibleRun(proc.returncode, proc.stdout, proc.stderr, data)
