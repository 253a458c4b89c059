"""The example pipelines (docs/examples/) as far as they can be checked without GitHub or GitLab.

1. Each file validates against its vendor's published schema (the copies check-jsonschema ships), and
   a deliberately broken copy does not, so the check is known to bite.
2. Every shell block parses (``bash -n``).
3. The plan job's own commands run locally against the emulator, with the pipeline's variables:
   the vault password file step and the ``--check --diff`` step of the GitHub workflow, and the
   ``before_script`` and ``script`` of GitLab's plan job. Left out: installing ansible-core and the
   collection (the staged collection stands in), and posting the plan, which needs the vendor's API.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from role.harness import VAULT_PASSWORD, Tenants, collections_path
from support.ansible_runner import REPO_ROOT, ansible_env
from support.emulator import EmulatorProcess

BIN = Path(sys.executable).parent
EXAMPLES = REPO_ROOT / "docs" / "examples"
GITHUB = EXAMPLES / "github-actions.yml"
GITLAB = EXAMPLES / "gitlab-ci.yml"
SCHEMAS = {GITHUB: "vendor.github-workflows", GITLAB: "vendor.gitlab-ci"}
# What each pipeline's installation does here: the staged collection on ANSIBLE_COLLECTIONS_PATH.
INSTALL_COMMANDS = ("apt-get ", "pip install", "ansible-galaxy collection install")


def check_jsonschema(schema, path):
    return subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", schema, str(path)],
                          capture_output=True, text=True, check=False, timeout=120)


def load(path):
    return yaml.safe_load(path.read_text())


@pytest.mark.parametrize("path", [GITHUB, GITLAB], ids=lambda p: p.name)
def test_pipeline_validates_against_the_published_schema(path):
    proc = check_jsonschema(SCHEMAS[path], path)
    assert proc.returncode == 0 and "ok -- validation done" in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.parametrize("path, broken", [
    (GITHUB, lambda doc: doc["jobs"]["plan"].update({"run-on": doc["jobs"]["plan"].pop("runs-on")})),
    (GITLAB, lambda doc: doc["plan"].update(resource_group=7)),
], ids=["github-actions.yml", "gitlab-ci.yml"])
def test_the_schema_check_rejects_a_broken_pipeline(path, broken, tmp_path):
    document = load(path)
    broken(document)
    copy = tmp_path / path.name
    copy.write_text(yaml.safe_dump(document))
    proc = check_jsonschema(SCHEMAS[path], copy)
    assert proc.returncode != 0 and "Schema validation errors" in proc.stdout


def shell_blocks():
    blocks = [("github " + (step.get("name") or step.get("uses")), step["run"])
              for job in load(GITHUB)["jobs"].values() for step in job["steps"] if "run" in step]
    gitlab = load(GITLAB)
    blocks.append(("gitlab default", "\n".join(gitlab["default"]["before_script"] + gitlab["default"]["after_script"])))
    blocks += [("gitlab " + name, "\n".join(job["script"])) for name, job in gitlab.items()
               if isinstance(job, dict) and "script" in job]
    return blocks


def test_every_shell_block_parses():
    blocks = shell_blocks()
    assert len(blocks) >= 10
    for name, script in blocks:
        proc = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True, check=False)
        assert proc.returncode == 0, "%s: %s" % (name, proc.stderr)


@pytest.fixture(scope="module")
def emulator():
    with EmulatorProcess(profile="extended") as emu:
        yield emu


def workspace(emulator, tmp_path, prefix, org_base):
    """A checkout of an inventory repository: inventory/ with two tenants, shared settings in group_vars."""
    tenants = Tenants(emulator, tmp_path)
    tenants.add("north", "%s-north" % prefix, org_base + 1)
    tenants.add("south", "%s-south" % prefix, org_base + 2)
    settings = {k: v for k, v in tenants.extra_vars().items() if k not in ("psa_key_store_dir", "psa_report_dir")}
    (tenants.inventory / "group_vars").mkdir()
    (tenants.inventory / "group_vars" / "tenants.yml").write_text(yaml.safe_dump(settings))
    return tenants


def job_env(extra):
    """The runner's environment: ansible on PATH, the staged collection installed, no test callback."""
    env = ansible_env(json_output=False)
    env["ANSIBLE_COLLECTIONS_PATH"] = collections_path()
    env.pop("ANSIBLE_VAULT_PASSWORD_FILE", None)
    env.update(extra)
    return env


def bash(script, cwd, env):
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False, timeout=900)


def assert_plan(tenants, plan_file, emulator, proc):
    assert plan_file.is_file(), proc.stdout[-3000:] + proc.stderr[-3000:]
    plan = plan_file.read_text().replace("\\", "")
    assert plan.startswith("## PSA integration plan\n")
    assert "2 tenant(s): 2 would create" in plan
    assert "| north | would create |" in plan and "| south | would create |" in plan
    assert tenants.writes(emulator.control.stats()) == {}
    # Both pipelines enable the plan and gc_freeze callbacks; Ansible only warns when one cannot load.
    assert "Skipping callback plugin" not in proc.stdout + proc.stderr
    for host in tenants.hosts.values():
        assert host["vars"]["psa_cw_private_key"] not in plan


def github_expressions(text, workspace_dir):
    """The ${{ }} expressions the plan job's variables use, as the runner fills them in."""
    values = {"github.workspace": str(workspace_dir), "secrets.PSA_VAULT_PASSWORD": VAULT_PASSWORD}
    filled = re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", lambda m: values[m.group(1)], text)
    assert "${{" not in filled
    return filled


def test_github_plan_job_runs_against_the_emulator(emulator, tmp_path):
    tenants = workspace(emulator, tmp_path, "gha", 981000)
    emulator.control.reset_stats()
    workflow = load(GITHUB)
    steps = {step.get("name"): step for step in workflow["jobs"]["plan"]["steps"]}
    runner_temp, github_env = tmp_path / "runner-temp", tmp_path / "github-env"
    runner_temp.mkdir()
    github_env.touch()
    env = job_env({k: github_expressions(str(v), tmp_path) for k, v in workflow["env"].items()})
    env.update(RUNNER_TEMP=str(runner_temp), GITHUB_ENV=str(github_env))

    vault_step = steps["Vault password file (0600, removed at the end of the job)"]
    step_env = dict(env, **{k: github_expressions(v, tmp_path) for k, v in vault_step["env"].items()})
    proc = bash(vault_step["run"], tmp_path, step_env)
    assert proc.returncode == 0, proc.stderr
    # Later steps see what a step appended to $GITHUB_ENV.
    env.update(line.split("=", 1) for line in github_env.read_text().splitlines())
    password_file = Path(env["ANSIBLE_VAULT_PASSWORD_FILE"])
    assert password_file.parent == runner_temp and password_file.read_text() == VAULT_PASSWORD + "\n"
    assert os.stat(password_file).st_mode & 0o777 == 0o600

    proc = bash(steps["Plan (--check --diff)"]["run"], tmp_path, env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert_plan(tenants, tmp_path / "plan.md", emulator, proc)
    assert not (tmp_path / "keys").exists()  # a plan writes no key store

    # The outcome step reads the plan's JSON into a step output the later steps test.
    github_output = tmp_path / "github-output"
    github_output.touch()
    proc = bash(steps["Plan outcome"]["run"], tmp_path, dict(env, GITHUB_OUTPUT=str(github_output)))
    assert proc.returncode == 0, proc.stderr
    assert github_output.read_text() == "outcome=changes pending\n"
    assert "steps.outcome.outputs.outcome == 'failed'" in steps["Fail the check when a tenant failed"]["if"]


def test_gitlab_plan_job_runs_against_the_emulator(emulator, tmp_path):
    tenants = workspace(emulator, tmp_path, "glci", 982000)
    emulator.control.reset_stats()
    pipeline = load(GITLAB)
    env = job_env({"CI_PROJECT_DIR": str(tmp_path), "PSA_VAULT_PASSWORD": VAULT_PASSWORD})
    env.update({k: str(v).replace("$CI_PROJECT_DIR", str(tmp_path)) for k, v in pipeline["variables"].items()})

    setup = [line for line in pipeline["default"]["before_script"] if not any(c in line for c in INSTALL_COMMANDS)]
    assert len(setup) == len(pipeline["default"]["before_script"]) - 3
    script = pipeline["plan"]["script"]
    posting = [line for line in script if "$CI_API_V4_URL" in line]
    assert len(posting) == 1  # the merge request note, which needs GitLab's API
    # after_script removes the vault password file; here only the one this job made.
    lines = ['trap \'rm -f "$ANSIBLE_VAULT_PASSWORD_FILE"\' EXIT'] + setup
    lines += [line for line in script if line not in posting]
    lines.insert(len(lines) - 1, 'echo "vault file: $ANSIBLE_VAULT_PASSWORD_FILE"; test -s "$ANSIBLE_VAULT_PASSWORD_FILE"')
    assert script[-1] == "exit $status"

    proc = bash("\n".join(lines), tmp_path, env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert_plan(tenants, tmp_path / "plan.md", emulator, proc)
    assert "Plan outcome: changes pending\n" in proc.stdout
    password_file = re.search(r"^vault file: (\S+)$", proc.stdout, re.M).group(1)
    assert password_file.startswith("/tmp/vault.") and not os.path.exists(password_file)
