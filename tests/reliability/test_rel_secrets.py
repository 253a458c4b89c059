"""No secret leaks from a run, whatever the verbosity or outcome; the key store is private and sealed.

Three runs are captured whole (stdout, stderr, per-tenant reports, every file the run wrote outside the
encrypted key store): `--check --diff -vvvv`, a provisioning run with `-vvvv --diff`, and a run that
fails halfway (500 forever from the moment the tenant's new key exists). The secrets searched for are
every one the emulator knows (its state file, read after it stops): every ConnectWise private key
(bootstrap and integration) and temporary token, every Umbrella API secret and every Umbrella bearer
token it issued.
"""

import json
import subprocess
import time

import pytest
from ansible.errors import AnsibleError
from ansible.parsing.vault import VaultLib, VaultSecret

from rel_support import record_figure
from role.harness import PLAYBOOK, VAULT_PASSWORD, Tenants, file_mode
from support.ansible_runner import BIN_DIR, REPO_ROOT, ansible_env
from support.emulator import EmulatorProcess

SECRET_FIELDS = {"privateKey", "private_key", "apiSecret", "api_secret", "accessToken", "access_token"}


def _walk_secrets(node, found):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in SECRET_FIELDS and isinstance(value, str) and len(value) >= 8:
                found.add(value)
            else:
                _walk_secrets(value, found)
    elif isinstance(node, list):
        for value in node:
            _walk_secrets(value, found)


def _failed_results(stdout, limit=1200):
    """Every failed result of the text callback's output: the ``fatal:``/``failed:`` line and, at
    -vvv and above where the result is printed indented over many lines, the lines up to the next
    blank one; each cut to ``limit`` characters."""
    blocks, current = [], None
    for line in stdout.splitlines():
        if line.startswith(("fatal:", "failed:")):
            current = [line]
            blocks.append(current)
        elif current is not None and line.strip():
            current.append(line)
        else:
            current = None
    return ["\n".join(block)[:limit] for block in blocks]


def _explain(leak_runs, name, tail=1500):
    """What went wrong in a captured run, for an assertion message: every failed result, the recap
    and the end of stderr, with every secret the emulator knows masked (this test exists because
    such output might hold one; the message must not carry it on into the test log)."""
    tenants = leak_runs["tenants"]
    stdout = (tenants.dir / ("%s.stdout" % name)).read_text(errors="replace")
    stderr = (tenants.dir / ("%s.stderr" % name)).read_text(errors="replace")
    lines = _failed_results(stdout)
    recap = stdout.rfind("PLAY RECAP")
    lines.append(stdout[recap:] if recap >= 0 else "no recap; stdout (end):\n" + stdout[-tail:])
    lines.append("stderr (end):\n" + stderr[-tail:])
    text = "%s run:\n%s" % (name, "\n".join(lines))
    for secret in leak_runs["secrets"]:
        text = text.replace(secret, "********")
    return text


def _capture(tenants, name, *args, wait_for=None):
    """Run the playbook (text callback), stdout/stderr to files; ``wait_for(proc)`` runs while it runs."""
    out, err = tenants.dir / ("%s.stdout" % name), tenants.dir / ("%s.stderr" % name)
    command = [str(BIN_DIR / "ansible-playbook"), PLAYBOOK, "-i", str(tenants.inventory),
               "-e", "@%s" % tenants._vars_file(None), *args]  # pylint: disable=protected-access
    with open(out, "w") as stdout, open(err, "w") as stderr:
        proc = subprocess.Popen(command, cwd=str(REPO_ROOT), env=ansible_env(tenants.env(False), json_output=False),
                                stdout=stdout, stderr=stderr)
        if wait_for:
            wait_for(proc)
        proc.wait(600)
    return proc.returncode


@pytest.fixture(scope="module")
def leak_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("secrets")
    state_file = tmp / "emulator-state.json"
    with EmulatorProcess(profile="extended", state_file=state_file) as emu:
        tenants = Tenants(emu, tmp / "run")
        for number in range(2):
            tenants.add("sec%d" % number, "sec%d" % number, 660000 + number)
        codes = {"check": _capture(tenants, "check", "--check", "--diff", "-vvvv")}
        codes["provision"] = _capture(tenants, "provision", "--diff", "-vvvv")
        # A third tenant whose run breaks once its new key exists on the server.
        tenants.add("sec2", "sec2", 660002)
        emu.control.set_faults({"latency_ms": [150, 150]})

        def break_after_key(proc):
            deadline = time.monotonic() + 300
            while proc.poll() is None and time.monotonic() < deadline:
                if tenants.integration_keys("sec2"):
                    # 500 is not retried: the run fails at once instead of spending retry_max_time.
                    emu.control.set_faults({"forever": {"status": 500}})
                    return
                time.sleep(0.05)

        codes["halfway"] = _capture(tenants, "halfway", "--diff", "-vvvv", "--limit", "sec2",
                                    wait_for=break_after_key)
        emu.control.clear_faults()
        broke_with_key = bool(tenants.integration_keys("sec2"))
        psa_sec2 = tenants.umbrella_psa("sec2")
    secrets = set()
    _walk_secrets(json.loads(state_file.read_text()), secrets)
    yield {"tenants": tenants, "codes": codes, "secrets": secrets, "broke_with_key": broke_with_key,
           "psa_sec2": psa_sec2}


def _written_files(tenants):
    """Every file of the run's directory except the inputs (inventory, vault password, extra vars)
    and the encrypted key store: the outputs and reports."""
    skip = {tenants.password_file}
    for path in sorted(tenants.dir.rglob("*")):
        if not path.is_file() or path in skip or tenants.inventory in path.parents or path.name.startswith("extra-vars"):
            continue
        if tenants.key_store in path.parents:
            continue
        yield path


def test_failed_results_are_read_whole_from_verbose_output():
    output = ("TASK [x]\nok: [a]\nfatal: [b]: FAILED! => {\n    \"changed\": false,\n    \"msg\": \"boom\"\n}\n\n"
              "failed: [c] (item=1) => {\"msg\": \"one line\"}\n\nPLAY RECAP\n")
    assert _failed_results(output) == ['fatal: [b]: FAILED! => {\n    "changed": false,\n    "msg": "boom"\n}',
                                       'failed: [c] (item=1) => {"msg": "one line"}']


def test_the_failure_message_masks_every_known_secret(tmp_path):
    class Run:
        dir = tmp_path
    (tmp_path / "x.stdout").write_text('fatal: [a]: FAILED! => {"msg": "key s3cr3t-value-1 refused"}\n\nPLAY RECAP\n')
    (tmp_path / "x.stderr").write_text("token s3cr3t-value-2\n")
    text = _explain({"tenants": Run, "secrets": {"s3cr3t-value-1", "s3cr3t-value-2"}}, "x")
    assert "s3cr3t" not in text
    assert 'key ******** refused' in text and "token ********" in text and "PLAY RECAP" in text


def test_runs_had_the_expected_outcomes(leak_runs):
    codes = leak_runs["codes"]
    assert codes["check"] == 0, _explain(leak_runs, "check")
    assert codes["provision"] == 0, _explain(leak_runs, "provision")
    assert codes["halfway"] != 0 and leak_runs["broke_with_key"]
    # The key reached the store before the failure; Umbrella never got it.
    assert (leak_runs["tenants"].key_store / "sec2.yml").exists()
    assert leak_runs["psa_sec2"]["psa"] == "none"


def test_no_secret_in_any_output(leak_runs):
    tenants, secrets = leak_runs["tenants"], leak_runs["secrets"]
    # bootstrap keys of 3 companies, 3 integration keys, 3 Umbrella secrets, bearer tokens: at least 10.
    assert len(secrets) >= 10, len(secrets)
    files = list(_written_files(tenants))
    scanned = 0
    leaks = []
    for path in files:
        text = path.read_text(errors="replace")
        scanned += len(text)
        leaks += [(path.name, secret[:4] + "…") for secret in secrets if secret in text]
        assert "Bearer " not in text or "Bearer ********" in text, path.name
    record_figure("secrets-scan", files=[p.name for p in files], characters=scanned, secrets=len(secrets),
                  exit_codes=leak_runs["codes"])
    assert leaks == []
    names = {p.name for p in files}
    assert {"check.stdout", "provision.stdout", "halfway.stdout"} <= names


def test_key_store_is_private_and_sealed(leak_runs):
    tenants = leak_runs["tenants"]
    stores = sorted(p for p in tenants.key_store.glob("*") if p.name != ".locks")  # the tenants' locks
    assert [p.name for p in stores] == ["sec0.yml", "sec1.yml", "sec2.yml"], _explain(leak_runs, "provision")
    right = VaultLib([("default", VaultSecret(VAULT_PASSWORD.encode()))])
    wrong = VaultLib([("default", VaultSecret(b"not-the-run-password"))])
    for path in stores:
        assert file_mode(path) == 0o600, path
        text = path.read_text()
        assert not any(secret in text for secret in leak_runs["secrets"]), path.name
        document = __import__("yaml").safe_load(text)
        sealed = document["private_key_vault"]
        assert sealed.lstrip().startswith("$ANSIBLE_VAULT;")
        assert right.decrypt(sealed).decode() in leak_runs["secrets"]
        with pytest.raises(AnsibleError):
            wrong.decrypt(sealed)
