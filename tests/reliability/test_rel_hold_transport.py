"""The transport's settings as a careless operator writes them, in real ansible-playbook runs of the role.

Plain http:// refused naming the variable (and, allowed for a lab, warned about); a password in the
site never echoed; validate_certs: false warned about once per tenant, not once per task; a host name
that does not resolve failing at once rather than after retry_max_time.
"""

import re
import time

import pytest

from rel_support import record_figure, vendor_writes
from role.harness import Tenants, results
from support.emulator import EmulatorProcess

PASSWORD = "s3cret-in-the-site"


@pytest.fixture(scope="module")
def emulator():
    with EmulatorProcess(profile="extended") as emu:
        yield emu


def failure_messages(run):
    """Every failed task's message, by host."""
    found = {}
    for play in run.data.get("plays", []):
        for task in play.get("tasks", []):
            for host, result in task["hosts"].items():
                if result.get("failed") and not result.get("ignore_errors"):
                    found.setdefault(host, []).append(str(result.get("msg", "")))
    return found


def task_warnings(run, host):
    """Every warning the task results of a host carried, in order."""
    found = []
    for play in run.data.get("plays", []):
        for task in play.get("tasks", []):
            result = task["hosts"].get(host)
            if result:
                found.extend(str(w) for w in result.get("warnings") or [])
    return found


def one_tenant(emulator, tmp_path, name, number):
    tenants = Tenants(emulator, tmp_path)
    tenants.add(name, "hold%s%d" % (name, number), 880000 + number)
    return tenants


@pytest.mark.parametrize("variable", ["psa_cw_site", "psa_umbrella_base_url"])
def test_plain_http_is_refused_naming_the_variable(emulator, tmp_path, variable):
    tenants = one_tenant(emulator, tmp_path, "plain", 1 if variable == "psa_cw_site" else 2)
    address = emulator.url.split("://", 1)[1]
    value = "http://" + address
    emulator.control.reset_stats()
    run = tenants.run(extra={variable: value})
    stats = emulator.control.stats()
    assert run.returncode != 0, run.explain()
    messages = failure_messages(run)["plain"]
    refusal = [m for m in messages if "plain HTTP" in m]
    assert refusal, messages
    assert variable in refusal[0] and "psa_allow_plain_http" in refusal[0] and "\n" not in refusal[0]
    # Refused before the first write: nothing was sent in clear that could change anything.
    assert vendor_writes(stats) == {}, stats["by_route"]


@pytest.mark.parametrize("variable, value", [
    ("psa_cw_site", "admin:%s@{address}" % PASSWORD),
    ("psa_cw_site", "https://admin:%s@{address}" % PASSWORD),
    ("psa_umbrella_base_url", "https://admin:%s@{address}" % PASSWORD),
])
def test_a_password_in_the_site_is_refused_and_never_echoed(emulator, tmp_path, variable, value):
    tenants = one_tenant(emulator, tmp_path, "userinfo", 3 + len(value) + (0 if variable == "psa_cw_site" else 100))
    value = value.format(address=emulator.url.split("://", 1)[1])
    emulator.control.reset_stats()
    run = tenants.run(extra={variable: value})
    verbose = tenants.run("-vvv", extra={variable: value}, json_output=False)
    assert run.returncode != 0 and verbose.returncode != 0
    assert PASSWORD not in run.stdout + run.stderr
    assert PASSWORD not in verbose.stdout + verbose.stderr
    messages = failure_messages(run)["userinfo"]
    refusal = [m for m in messages if "user name or password" in m]
    assert refusal and variable in refusal[0] and "\n" not in refusal[0], messages
    assert vendor_writes(emulator.control.stats()) == {}


def test_validate_certs_false_is_warned_once_per_tenant(emulator, tmp_path):
    tenants = Tenants(emulator, tmp_path)
    hosts = ["insecure1", "insecure2"]
    for number, host in enumerate(hosts):
        tenants.add(host, "hold%s" % host, 880010 + number)
    run = tenants.run("-f", "2", extra={"psa_cw_validate_certs": False, "psa_umbrella_validate_certs": False})
    assert run.returncode == 0, run.explain()
    for host in hosts:
        warnings = task_warnings(run, host)
        cw = [w for w in warnings if w.startswith("ConnectWise") and "not verified" in w]
        umb = [w for w in warnings if w.startswith("Umbrella") and "not verified" in w]
        # One each, although the tenant's run holds several tasks of each vendor.
        assert len(cw) == 1 and "psa_cw_validate_certs" in cw[0], warnings
        assert len(umb) == 1 and "psa_umbrella_validate_certs" in umb[0], warnings
        assert tenants.hosts[host]["company_id"].lower() in cw[0].lower()
    # A verified run says nothing.
    quiet = tenants.run("-f", "2")
    assert quiet.returncode == 0
    assert not [w for h in hosts for w in task_warnings(quiet, h) if "not verified" in w]


def test_an_unresolvable_host_fails_at_once(emulator, tmp_path):
    tenants = one_tenant(emulator, tmp_path, "nxdomain", 20)
    started = time.monotonic()
    run = tenants.run(extra={"psa_cw_site": "api-nowhere.nonexistent.invalid"})
    elapsed = time.monotonic() - started
    assert run.returncode != 0
    messages = failure_messages(run)["nxdomain"]
    refusal = [m for m in messages if "does not resolve" in m]
    assert refusal and "api-nowhere.nonexistent.invalid" in refusal[0] and "psa_cw_site" in refusal[0], messages
    record_figure("hold-unresolvable-host", playbook_seconds=round(elapsed, 1), message=refusal[0])
    # The whole playbook (interpreter start, the role's first tasks) well under retry_max_time (120 s).
    assert elapsed < 60, elapsed


def test_plain_http_allowed_for_a_lab_converges_and_warns_once(tmp_path):
    with EmulatorProcess(profile="extended", extra_args=["--plain-http"]) as emu:
        assert emu.url.startswith("http://")
        tenants = Tenants(emu, tmp_path)
        tenants.add("lab", "holdlab", 880030)
        run = tenants.run(extra={"psa_cw_site": emu.url, "psa_allow_plain_http": True})
        assert run.returncode == 0, run.explain()
        assert results(run)["lab"]["status"] in ("created", "changed"), results(run)
        warnings = [w for w in task_warnings(run, "lab") if "plain HTTP" in w]
        assert len([w for w in warnings if w.startswith("ConnectWise")]) == 1, warnings
        assert len([w for w in warnings if w.startswith("Umbrella")]) == 1, warnings
        assert all(re.search(r"psa_allow_plain_http", w) for w in warnings)
