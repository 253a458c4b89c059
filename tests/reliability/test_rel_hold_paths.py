"""Names that become file paths, and the key store's mode, through real provision_tenants runs.

Every file the collection writes stays inside its directory whatever the tenant's name: a host named
``../x`` or ``a/../../b`` is refused before any request, one line naming the host; a relative key
store directory is refused; the mode of a directory the collection did not create is left alone; a
key store found readable by others is tightened to 0600 and the tenant's result says so.
"""

import json
import os
import stat

import pytest
import yaml

from rel_support import vendor_writes
from role.harness import Tenants, file_mode, results
from support.emulator import EmulatorProcess

HOSTILE_HOSTS = ["../x", "a/../../b", ".hidden", "tab\tname"]


@pytest.fixture(scope="module")
def emulator():
    with EmulatorProcess(profile="extended") as emu:
        yield emu


class InlineTenants(Tenants):
    """Every host's variables inline in hosts.yml: no host_vars file can be named after such hosts."""

    def write_inventory(self):
        (self.inventory / "hosts.yml").write_text(yaml.safe_dump(
            {"tenants": {"hosts": {host: tenant["vars"] for host, tenant in self.hosts.items()}}}, allow_unicode=True))


def _files_under(root):
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def test_a_host_name_that_would_leave_the_directory_is_refused_before_any_request(emulator, tmp_path):
    work = tmp_path / "work"
    tenants = InlineTenants(emulator, work)
    for number, host in enumerate(HOSTILE_HOSTS):
        tenants.add(host, "path%d" % number, 560000 + number)
    before = _files_under(tmp_path)
    emulator.control.reset_stats()
    run = tenants.run()
    stats = emulator.control.stats()
    assert run.returncode != 0
    outcome = results(run)
    for host in HOSTILE_HOSTS:
        message = outcome[host]["message"]
        assert outcome[host]["status"] == "failed", outcome[host]
        assert repr(host) in message and "rename the inventory host" in message, message
        assert "\n" not in message.strip(), message
    # Not a single request, let alone a write; no file anywhere but the run's own inputs (and lock
    # bookkeeping inside the key store directory).
    assert stats["by_route"] == {}, stats["by_route"]
    written = [name for name in _files_under(tmp_path) if name not in before and not name.startswith("work/extra-vars")]
    # The fleet report, under its fixed names in the reports directory, lists the failed tenants for CI.
    fleet = ["work/reports/fleet-junit.xml", "work/reports/fleet.json", "work/reports/fleet.md"]
    assert sorted(name for name in written if name.startswith("work/reports/")) == fleet, written
    assert all(name.startswith("work/keys/.locks/") or name in fleet for name in written), written
    failed = json.loads((work / "reports" / "fleet.json").read_text())["tenants"]
    assert sorted(failed) == sorted(HOSTILE_HOSTS) and {t["status"] for t in failed.values()} == {"failed"}
    assert not (tmp_path / "x.yml").exists() and not (work / "x.yml").exists() and not (tmp_path / "b.yml").exists()


@pytest.mark.parametrize("variable, value", [("psa_key_store_dir", "relative-keys"), ("psa_report_dir", ""),
                                             ("psa_company_mapping_file", "mappings/acme.csv")])
def test_an_empty_or_relative_path_is_refused_naming_the_variable(emulator, tmp_path, variable, value):
    tenants = Tenants(emulator, tmp_path)
    tenants.add("relative", "pathrel%d" % len(value), 560100 + len(value))
    emulator.control.reset_stats()
    run = tenants.run(extra={variable: value})
    assert run.returncode != 0
    message = results(run)["relative"]["message"]
    assert variable in message and ("absolute" in message or "empty" in message), message
    stats = emulator.control.stats()
    assert stats["by_route"] == {} and vendor_writes(stats) == {}, stats["by_route"]


def test_an_existing_directory_keeps_its_mode_and_a_store_found_open_is_tightened(emulator, tmp_path):
    tenants = Tenants(emulator, tmp_path)
    tenants.add("acme", "pathmode", 560201)
    # The operator's own directories, group-readable on purpose: only what the collection creates gets its mode.
    for directory in (tenants.key_store, tenants.reports):
        directory.mkdir()
        os.chmod(directory, 0o750)
    first = tenants.run()
    assert first.returncode == 0, first.explain()
    store = tenants.key_store / "acme.yml"
    assert file_mode(store) == 0o600
    assert file_mode(tenants.key_store) == 0o750 and file_mode(tenants.reports) == 0o750
    # A store restored from a backup, readable by everyone.
    os.chmod(store, 0o644)
    planned = tenants.run("--check")
    assert planned.returncode == 0, planned.explain()
    line = "key store %s: mode 0644 %%stightened to 0600" % store
    assert line % "would be " in results(planned)["acme"]["changes"], results(planned)["acme"]
    assert file_mode(store) == 0o644  # check mode changes nothing
    fixed = tenants.run()
    assert fixed.returncode == 0, fixed.explain()
    assert line % "" in results(fixed)["acme"]["changes"], results(fixed)["acme"]
    assert stat.S_IMODE(os.stat(store).st_mode) == 0o600
    quiet = tenants.run()
    assert not any(change.startswith("key store") for change in results(quiet)["acme"]["changes"])
