"""Secrets holding template characters, kept in vault, through real provision_tenants runs; and the
message of the bootstrap key given as the integration key.

Each tenant's bootstrap private key and Umbrella secret hold ``{{``, ``{%``, ``}}`` and ``{#``; one
tenant keeps them in a host_vars file encrypted whole (``ansible-vault encrypt``), one as
``ansible-vault encrypt_string`` values, one refers to a vaulted variable (``{{ vault_... }}``). A
fourth, kept like the first, fails on purpose (a wrong Umbrella secret). The runs are captured whole
at ``-vvvv`` with the plan callback; no secret, nor any piece of one between its template
characters, may appear in any output, and the keys are used as written (the tenants converge).
"""

import json
import subprocess

import pytest
import yaml

from rel_support import vendor_writes
from role.harness import CLIENT_ID, PLAYBOOK, Tenants, results
from support.ansible_runner import BIN_DIR, REPO_ROOT, ansible_env
from support.emulator import EmulatorProcess

# Pieces between template characters are unique words, so that a piece quoted alone is found too.
CW_KEY = "Qk7{{wolf81}}heron{%lynx42%}otter}}moth{#wren"
UMBRELLA_SECRET = "Us9{%crane%}{{ viper }}finch}}{#gecko#}"
PIECES = ["wolf81", "heron", "lynx42", "otter", "moth", "wren", "crane", "viper", "finch", "gecko"]


def _vault(tenants, command, *args, text=None):
    return subprocess.run([str(BIN_DIR / "ansible-vault"), command, "--vault-password-file", str(tenants.password_file),
                           *args],
                          input=text, capture_output=True, text=True, check=True).stdout


def _seed(tenants, host, company_id, org_id, api_secret=UMBRELLA_SECRET):
    seeded = tenants.emulator.control.create_tenant(
        name=host, connectwise={"company_id": company_id, "client_id": CLIENT_ID, "private_key": CW_KEY},
        umbrella={"org_id": org_id, "api_key": "umbrella-key-%s" % org_id, "api_secret": UMBRELLA_SECRET})
    public = {"psa_cw_company_id": company_id, "psa_cw_public_key": seeded["connectwise"]["public_key"],
              "psa_cw_client_id": CLIENT_ID, "psa_umbrella_api_key": "umbrella-key-%s" % org_id,
              "psa_umbrella_org_id": str(org_id)}
    tenants.hosts[host] = {"company_id": company_id, "org_id": org_id, "cw": seeded["connectwise"], "vars": public}
    return public, {"psa_cw_private_key": CW_KEY, "psa_umbrella_api_secret": api_secret}


def _encrypt_string(tenants, name, value):
    return _vault(tenants, "encrypt_string", "--name", name, "--", value)


@pytest.fixture(scope="module")
def secret_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hold-secrets")
    with EmulatorProcess(profile="extended") as emu:
        tenants = Tenants(emu, tmp / "run")
        host_vars = tenants.inventory / "host_vars"
        # 1. a host_vars directory: clear variables, and the secrets in a file encrypted whole.
        public, secrets = _seed(tenants, "whole", "tplwhole", 570001)
        (host_vars / "whole").mkdir()
        (host_vars / "whole" / "main.yml").write_text(yaml.safe_dump(public))
        (host_vars / "whole" / "vault.yml").write_text(yaml.safe_dump(secrets))
        _vault(tenants, "encrypt", str(host_vars / "whole" / "vault.yml"))
        # 2. encrypt_string values in a clear file.
        public, secrets = _seed(tenants, "inline", "tplinline", 570002)
        (host_vars / "inline.yml").write_text(yaml.safe_dump(public) + "".join(
            _encrypt_string(tenants, name, value) for name, value in secrets.items()))
        # 3. the usual indirection: psa_cw_private_key: "{{ vault_cw_private_key }}", the value in a vaulted file.
        public, secrets = _seed(tenants, "indirect", "tplindirect", 570003)
        (host_vars / "indirect").mkdir()
        (host_vars / "indirect" / "main.yml").write_text(yaml.safe_dump(dict(
            public, psa_cw_private_key="{{ vault_cw_private_key }}",
            psa_umbrella_api_secret="{{ vault_umbrella_api_secret }}")))
        (host_vars / "indirect" / "vault.yml").write_text(yaml.safe_dump(
            {"vault_cw_private_key": CW_KEY, "vault_umbrella_api_secret": UMBRELLA_SECRET}))
        _vault(tenants, "encrypt", str(host_vars / "indirect" / "vault.yml"))
        # 4. kept like 1, with a wrong Umbrella secret (also full of template characters): fails.
        public, secrets = _seed(tenants, "failing", "tplfailing", 570004, api_secret="Wr0ng{{" + UMBRELLA_SECRET)
        (host_vars / "failing").mkdir()
        (host_vars / "failing" / "main.yml").write_text(yaml.safe_dump(public))
        (host_vars / "failing" / "vault.yml").write_text(yaml.safe_dump(secrets))
        _vault(tenants, "encrypt", str(host_vars / "failing" / "vault.yml"))
        (tenants.inventory / "hosts.yml").write_text(yaml.safe_dump({"tenants": {"hosts": {
            host: None for host in ("whole", "inline", "indirect", "failing")}}}))

        outputs, codes = {}, {}
        for name, args in (("check", ["--check", "--diff"]), ("apply", ["--diff"])):
            plan = tenants.dir / ("%s-plan.md" % name)
            env = ansible_env(dict(tenants.env(False), ANSIBLE_CALLBACKS_ENABLED="msp.umbrella_psa.plan",
                                   PSA_PLAN_FILE=str(plan)), json_output=False)
            proc = subprocess.run([str(BIN_DIR / "ansible-playbook"), PLAYBOOK, "-i", str(tenants.inventory),
                                   "-e", "@%s" % tenants._vars_file(None), "-vvvv", *args],  # pylint: disable=protected-access
                                  cwd=str(REPO_ROOT), env=env, capture_output=True, text=True, timeout=900,
                                  check=False)
            codes[name] = proc.returncode
            outputs[name + ".stdout"], outputs[name + ".stderr"] = proc.stdout, proc.stderr
            outputs[plan.name] = plan.read_text() if plan.exists() else ""
        emu.control.reset_stats()
        quiet = tenants.run()
        yield {"tenants": tenants, "codes": codes, "outputs": outputs, "quiet": quiet,
               "quiet_stats": emu.control.stats()}


def test_no_secret_nor_piece_of_one_in_any_output(secret_runs):
    outputs = secret_runs["outputs"]
    assert all(outputs[name] for name in ("check.stdout", "apply.stdout", "check-plan.md", "apply-plan.md"))
    found = [(where, piece) for where, text in outputs.items()
             for piece in [CW_KEY, UMBRELLA_SECRET] + PIECES if piece in text]
    assert found == []


def test_the_keys_are_used_as_written(secret_runs):
    tenants = secret_runs["tenants"]
    assert secret_runs["codes"] == {"check": 2, "apply": 2}  # the failing tenant fails both
    outcome = results(secret_runs["quiet"])
    for host in ("whole", "inline", "indirect"):
        # Converged with the bootstrap key as written: a templated key would have been refused (401).
        assert outcome[host]["status"] == "unchanged", outcome[host]
        assert tenants.umbrella_psa(host)["psa"] == "connectwise", host
    failed = outcome["failing"]
    assert failed["status"] == "failed" and "401" in failed["message"] and "api_secret" in failed["message"], failed
    assert vendor_writes(secret_runs["quiet_stats"]) == {}


def test_the_plan_names_the_failure_without_the_secret(secret_runs):
    plan = secret_runs["outputs"]["apply-plan.md"]
    assert "### failing" in plan and "401" in plan, plan
    assert "### whole" in plan and "### inline" in plan and "### indirect" in plan, plan


def test_a_secret_that_cannot_be_templated_fails_naming_the_variable_only(tmp_path):
    with EmulatorProcess(profile="extended") as emu:
        tenants = Tenants(emu, tmp_path)
        tenants.add("clear", "tplclear", 570101)
        # In clear, not in vault, not !unsafe: Ansible would template it, and Jinja's error quoted it.
        tenants.set_vars("clear", psa_cw_private_key="Zq{{raven55}}jay{%kite77%}")
        emu.control.reset_stats()
        run = tenants.run()
        stats = emu.control.stats()
    assert run.returncode != 0
    message = results(run)["clear"]["message"]
    assert "psa_cw_private_key could not be templated" in message and "!unsafe" in message, message
    for piece in ("raven55", "jay", "kite77"):
        assert piece not in run.stdout + run.stderr, piece
    assert stats["by_route"] == {}, stats["by_route"]


def test_the_bootstrap_key_given_as_the_integration_key_is_named(tmp_path):
    with EmulatorProcess(profile="public") as emu:
        tenants = Tenants(emu, tmp_path)
        tenant = tenants.add("adm", "tpladmin", 570201)
        tenants.set_vars("adm", psa_integration_public_key=tenant["cw"]["public_key"],
                         psa_integration_private_key=tenant["cw"]["private_key"])
        run = tenants.run(json_output=False)
    assert run.returncode != 0
    assert "Unknown error" not in run.stdout + run.stderr
    assert tenant["cw"]["private_key"] not in run.stdout + run.stderr
    fatal = [line for line in run.stdout.splitlines() if line.startswith("fatal:")]
    message = json.loads(fatal[0].split("=> ", 1)[1])["msg"]
    assert message.startswith("ConnectWise GET /system/mySecurity with the integration key"), message
    assert "member 'admin'" in message and "bootstrap key (psa_cw_public_key)" in message, message
    assert "psa_integration_public_key and psa_integration_private_key" in message, message
