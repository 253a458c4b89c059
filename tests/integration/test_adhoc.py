"""Ad hoc use: ``ansible localhost -m msp.umbrella_psa.cw_api_member -a '...'`` with the connection in CW_*."""

import json
import subprocess

import pytest

from support.ansible_runner import BIN_DIR, REPO_ROOT, ansible_env, stage_collection
from support.emulator import EmulatorProcess

CLIENT_ID = "7a1c0c55-7d55-4d4c-9a43-0d1f3e1a1a03"


@pytest.fixture(scope="module")
def connection_env():
    with EmulatorProcess(profile="extended") as emu:
        cw = emu.control.create_tenant(connectwise={"company_id": "adhoc", "client_id": CLIENT_ID})["connectwise"]
        env = ansible_env({
            "CW_SITE": emu.url.split("://", 1)[1], "CW_COMPANY_ID": "adhoc", "CW_PUBLIC_KEY": cw["public_key"],
            "CW_PRIVATE_KEY": cw["private_key"], "CW_CLIENT_ID": CLIENT_ID}, json_output=False)
        env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.builtin.default"
        yield {"env": env, "ca_file": emu.ca_file, "emulator": emu, "private_key": cw["private_key"]}


def adhoc(connection, module_args, *args):
    """Run the ad hoc command; return (exit code, the host's result as parsed from ``host | STATUS => {...}``)."""
    stage_collection()
    command = [str(BIN_DIR / "ansible"), "localhost", "-c", "local", "-m", "msp.umbrella_psa.cw_api_member",
               "-a", "%s ca_path=%s" % (module_args, connection["ca_file"]), *args]
    proc = subprocess.run(command, capture_output=True, text=True, env=connection["env"], cwd=REPO_ROOT,
                          timeout=300, check=False)
    output = proc.stdout
    assert connection["private_key"] not in output + proc.stderr
    marker = output.find("localhost | ")
    start = output.find("{", marker)
    assert marker >= 0 and start >= 0, output + proc.stderr
    return proc.returncode, json.loads(output[start:])


def test_adhoc_create_check_and_rerun(connection_env):
    args = "identifier=adhocbot name='Ad hoc Bot' security_role=Admin"
    code, predicted = adhoc(connection_env, args, "--check")
    assert code == 0 and predicted["changed"] is True and predicted["member"]["id"] == "<created in check mode>"

    code, created = adhoc(connection_env, args)
    assert code == 0 and created["changed"] is True and created["created"] is True
    assert created["member"]["securityRole"]["name"] == "Admin"

    code, again = adhoc(connection_env, args)
    assert code == 0 and again["changed"] is False and again["member"]["id"] == created["member"]["id"]


def test_adhoc_bad_input_exits_non_zero_with_the_field(connection_env):
    code, failed = adhoc(connection_env, "identifier=much-too-long-identifier name=X")
    assert code != 0 and failed["msg"].startswith("identifier: ")


def test_adhoc_without_connection_names_the_missing_options(connection_env):
    env = {k: v for k, v in connection_env["env"].items() if not k.startswith("CW_")}
    code, failed = adhoc(dict(connection_env, env=env), "identifier=adhocbot")
    assert code != 0
    for option in ("site", "company_id", "public_key", "private_key", "client_id"):
        assert option in failed["msg"]
