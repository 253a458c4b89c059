# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""msp.umbrella_psa.cw_umbrella_sync_info in real ansible-playbook runs against the emulator.

The emulator runs Umbrella's side of the integration (emulator/umbrella_sync.py) over its own HTTPS
surface with the key the console holds, so what the module reads back was really written by the
integration member through its role: every permission taken away shows as the sync's 403 and as the
module's finding.
"""

import copy
import itertools

import pytest
import yaml

from support.ansible_runner import REPO_ROOT
from support.emulator import EmulatorProcess

from cw_security_helpers import (
    CLIENT_ID,
    PLAYBOOKS,
    member_key_for_role,
    rest,
    run_task,
    vendor_requests,
    writes,
)

PLAYBOOK = PLAYBOOKS / "cw_umbrella_sync_info" / "sync.yml"
TASK = "Evidence of the sync"
ROLE = "Umbrella Sync"
BOARD = "Umbrella Alerts"
THRESHOLD = 10
# The seed's role: what the collection gives the integration member.
SEED_PERMISSIONS = yaml.safe_load((REPO_ROOT / "roles" / "psa_integration" / "defaults" / "main.yml")
                                  .read_text(encoding="utf-8"))["psa_role_permissions"]
_org_ids = itertools.count(7300001)


@pytest.fixture(scope="module", params=["extended", "public"])
def emu(request):
    with EmulatorProcess(profile=request.param) as process:
        yield process


def extended_only(emu):
    if emu.profile != "extended":
        pytest.skip("reads the role's customize list through the extension (CX2)")


class Console:
    """A ConnectWise company with client companies, and an Umbrella console mapping customers to them.

    The console holds a key of the API member ``umbrella``, whose role has ``permissions``.
    """

    def __init__(self, emu, companies=3, unknown=(), permissions=SEED_PERMISSIONS):
        self.emu = emu
        self.org_id = next(_org_ids)
        self.company_id = "sync%d-%s" % (self.org_id, emu.profile[:3])
        created = emu.control.create_tenant(
            name="sync%d%s" % (self.org_id, emu.profile), umbrella={"org_id": self.org_id},
            connectwise={"company_id": self.company_id, "client_id": CLIENT_ID})
        seeded = created["connectwise"]
        self.cw = {"site": emu.url, "company_id": self.company_id, "public_key": seeded["public_key"],
                   "private_key": seeded["private_key"], "client_id": CLIENT_ID, "ca_path": emu.ca_file}
        self.identifiers = emu.control.request("POST", "connectwise/%s/bulk-companies" % self.company_id,
                                               {"count": companies, "prefix": "SYNC"}, expect=201).json()["identifiers"]
        self.role = rest(emu, self.cw, "POST", "/system/securityRoles", {"name": ROLE})
        self.set_role(permissions)
        self.key = member_key_for_role(emu, self.cw, self.role["id"], "umbrella")
        mapped = list(self.identifiers) + list(unknown)
        customers = emu.control.request("POST", "umbrella/%d/customers" % self.org_id,
                                        {"names": ["Customer of %s" % i for i in mapped]}, expect=201).json()
        self.customer_ids = {}
        for customer, identifier in zip(customers, mapped):
            self.customer_ids[identifier] = customer["customerId"]
            emu.control.request("POST", "umbrella/%d/customers/%d/connectwise" % (self.org_id, customer["customerId"]),
                                {"connectwiseCompanyId": identifier}, expect=200)
        emu.control.umbrella_psa_form(self.org_id, {
            "psa": "connectwise", "enabled": True,
            "connectwise": {"site": "api-na.myconnectwise.net", "companyId": self.company_id,
                            "publicKey": self.key["public_key"], "privateKey": self.key["private_key"]},
            "ticketing": {"serviceBoard": BOARD, "queryThreshold": THRESHOLD}})
        self.mapped = mapped

    def set_role(self, permissions):
        settings = [{"module": p["module"], "function": p["function"],
                     **{action: p.get(action, "None") for action in ("add", "edit", "delete", "inquire")}}
                    for p in permissions]
        customize = [label for p in permissions for label in p.get("allow") or []]
        self.emu.control.cw_role_settings(self.company_id, self.role["id"], settings=settings, customize=customize)

    def set_a_question_inactive(self):
        """Someone sets one of the integration's questions inactive (with the bootstrap key)."""
        (kind,) = rest(self.emu, self.cw, "GET", "/company/configurations/types")
        path = "/company/configurations/types/%d/questions" % kind["id"]
        question = rest(self.emu, self.cw, "GET", path)[0]
        rest(self.emu, self.cw, "PATCH", "%s/%d" % (path, question["id"]),
             [{"op": "replace", "path": "inactiveFlag", "value": True}])

    def sync(self):
        return self.emu.control.psa_sync(self.org_id)

    def evidence(self, *args, key=None, **options):
        options.setdefault("expected_companies", self.mapped)
        key = key or self.cw
        run, result = run_task(self.emu, PLAYBOOK, TASK, key, *args, **options)
        assert run.returncode == 0, result
        assert key["private_key"] not in run.stdout + run.stderr
        assert result["changed"] is False
        assert writes(self.emu) == 0
        return result


def test_never_before_the_first_sync(emu):
    console = Console(emu)
    result = console.evidence(security_role=ROLE)
    assert result["verdict"] == "never"
    assert result["companies"] == [] and result["configuration_types"] == [] and result["last_sync"] is None
    assert result["missing"] == console.identifiers
    assert result["findings"][0].startswith("No configuration was written by member 'umbrella'")
    # The seed's role lacks nothing the sync needs.
    assert not [line for line in result["findings"] if line.startswith("Umbrella cannot")]


def test_one_sync_then_syncing_with_every_mapped_customer(emu):
    console = Console(emu)
    console.emu.control.botnet_events(console.org_id, console.customer_ids[console.identifiers[0]], "laptop-7",
                                      THRESHOLD + 3)
    report = console.sync()
    assert report["ok"] is True, report["errors"]
    result = console.evidence(security_role=ROLE)
    assert result["verdict"] == "syncing", result["findings"]
    assert result["missing"] == [] and result["unexpected"] == []
    assert [c["identifier"] for c in result["companies"]] == console.identifiers
    assert all(c["fresh"] and c["updated_by"] == "umbrella" for c in result["companies"])
    assert result["last_sync"] == report["at"]
    assert [t["entered_by"] for t in result["configuration_types"]] == ["umbrella"]
    (ticket,) = result["tickets"][console.identifiers[0]]
    assert ticket["board"] == BOARD and "laptop-7" in ticket["summary"] and ticket["updated_by"] == "umbrella"
    if emu.profile == "extended":
        assert result["findings"] == []
    else:
        # The role's customize list has no public read: what is left to check by hand.
        assert result["findings"] == [
            "The Table Setup customize list of role '%s' was not checked (the server offers no way to read it; not "
            "part of the vendor's public API): check in ConnectWise, System › Security Roles › %s › Table Setup, "
            "that it allows Company / Configuration, Service / Priority, Service / Service Board" % (ROLE, ROLE)]
    assert result["clock"] == "server"

    # Check mode reads the same (nothing to predict: the module never writes).
    checked = console.evidence("--check", security_role=ROLE)
    assert {k: v for k, v in checked.items() if k != "server_time"} == \
        {k: v for k, v in result.items() if k != "server_time"}

    # The integration key itself reads the same evidence; it may not read its own role.
    own = console.evidence(key=console.key)
    assert own["verdict"] == "syncing"
    assert own["companies"] == result["companies"]
    assert own["findings"] == ["The role's permissions were not checked: this key may not read API members (403); "
                               "set security_role to the role member 'umbrella' holds"]


def test_an_unknown_company_id_is_missing(emu):
    console = Console(emu, unknown=["NO-SUCH-CO"])
    report = console.sync()
    assert {c["connectwiseCompanyId"]: c["result"] for c in report["customers"]}["NO-SUCH-CO"] == "no such company"
    result = console.evidence()
    assert result["verdict"] == "partial"
    assert result["missing"] == ["NO-SUCH-CO"]
    assert ("NO-SUCH-CO: no ConnectWise company has this identifier: the customer's ConnectWise Company ID in the "
            "Umbrella console links nothing; set it to the identifier of the customer's company") in result["findings"]


def _takeaways():
    for permission in SEED_PERMISSIONS:
        for action in ("add", "edit", "inquire"):
            if permission.get(action, "None") != "None":
                yield pytest.param(permission["module"], permission["function"], action, None,
                                   id="%s-%s" % (permission["function"], action))
        for label in permission.get("allow") or []:
            yield pytest.param(None, None, None, label, id=label)


# The sync's refused request for each permission taken away, and whether it shows on the first sync or
# only on the next one (an update, an open ticket, a question someone set inactive).
REFUSED = {
    ("Company Maintenance", "inquire"): (1, "GET /company/companies"),
    ("Configurations", "inquire"): (1, "GET /company/configurations"),
    ("Configurations", "add"): (1, "POST /company/configurations"),
    ("Configurations", "edit"): (2, "PATCH /company/configurations/{id}"),
    ("Table Setup", "inquire"): (1, "GET /company/configurations/types"),
    ("Table Setup", "add"): (1, "POST /company/configurations/types"),
    ("Table Setup", "edit"): (2, "PATCH /company/configurations/types/{id}/questions/{id}"),
    ("Service Tickets", "add"): (1, "POST /service/tickets"),
    ("Service Tickets", "inquire"): (2, "GET /service/tickets/{id}"),
    ("Service Tickets", "edit"): (2, "POST /service/tickets/{id}/notes"),
    "Company / Configuration": (1, "GET /company/configurations/types"),
    "Service / Service Board": (1, "GET /service/boards"),
    "Service / Priority": (1, "GET /service/priorities"),
}


@pytest.mark.parametrize("module, function, action, label", list(_takeaways()))
def test_each_permission_taken_away_is_the_syncs_403_and_the_modules_finding(emu, module, function, action, label):
    extended_only(emu)
    phase, refused = REFUSED[label if label is not None else (function, action)]
    reduced = copy.deepcopy(SEED_PERMISSIONS)
    for permission in reduced:
        if permission["function"] == function:
            permission[action] = "None"
        if label in (permission.get("allow") or []):
            permission["allow"].remove(label)
    console = Console(emu, permissions=SEED_PERMISSIONS if phase == 2 else reduced)
    ticketed = console.customer_ids[console.identifiers[0]]
    if phase == 2:
        emu.control.botnet_events(console.org_id, ticketed, "laptop-7", THRESHOLD + 1)
        assert console.sync()["ok"] is True
        console.set_role(reduced)
        if function == "Table Setup":
            console.set_a_question_inactive()
    emu.control.botnet_events(console.org_id, ticketed, "laptop-7", THRESHOLD + 2)
    report = console.sync()
    assert refused in [error["request"] for error in report["errors"]], report["errors"]
    assert {error["status"] for error in report["errors"]} == {403}

    result = console.evidence(security_role=ROLE)
    missing = "%s › %s %s" % (module, function, action) if label is None else "System › Table Setup allow: %s" % label
    lines = [line for line in result["findings"] if line.startswith("Umbrella cannot")]
    assert len(lines) == 1 and "role '%s' lacks %s (" % (ROLE, missing) in lines[0], result["findings"]
    assert refused in lines[0]


def test_a_revoked_key_fails_the_next_sync_and_a_day_later_the_evidence_is_stale(emu):
    console = Console(emu)
    assert console.sync()["ok"] is True
    member = rest(emu, console.cw, "GET", '/system/apiMembers?conditions=identifier="umbrella"')[0]
    for key in rest(emu, console.cw, "GET", "/system/apiMembers/%d/apiKeys" % member["id"]) \
            if emu.profile == "extended" else []:
        rest(emu, console.cw, "DELETE", "/system/apiMembers/%d/apiKeys/%d" % (member["id"], key["id"]))
    if emu.profile == "public":
        # No key API in the vendor's public surface: the member is deactivated instead, which ends its keys too.
        rest(emu, console.cw, "PATCH", "/system/apiMembers/%d" % member["id"],
             [{"op": "replace", "path": "inactiveFlag", "value": True}])
    failed = console.sync()
    assert failed["ok"] is False and {error["status"] for error in failed["errors"]} == {401}
    assert console.evidence()["verdict"] == "syncing"   # the last good sync is still within the day

    emu.control.advance_clock(30)
    assert console.sync()["ok"] is False
    result = console.evidence()
    assert result["verdict"] == "stale", result
    assert result["missing"] == console.identifiers
    assert ("%s: configuration last updated 1 day ago by umbrella: the sync has stopped; check the integration key "
            "and the role's Companies › Configurations level" % console.identifiers[0]) in result["findings"]


def test_requests_do_not_grow_with_the_number_of_customers(emu):
    counts = {}
    for customers in (3, 30):
        console = Console(emu, companies=customers)
        assert console.sync()["ok"] is True
        result = console.evidence(security_role=ROLE)
        assert result["verdict"] == "syncing"
        counts[customers] = (vendor_requests(emu), result["requests"])
    assert counts[3] == counts[30], counts
    # codebase, types, configurations, tickets, the role, its settings (and customize list, setup screens)
    assert counts[3][0] <= 8


def test_bad_input_fails_in_one_line_before_any_request(emu):
    console = Console(emu, companies=1)
    run, result = run_task(emu, PLAYBOOK, TASK, console.cw, max_age_hours=0)
    assert run.returncode != 0
    assert result["msg"] == ("max_age_hours: 0 must be a whole number of hours, at least 1 (Umbrella syncs daily; "
                             "26 allows for a late run)")
    run, result = run_task(emu, PLAYBOOK, TASK, console.cw, expected_companies=[{"name": "Contoso"}])
    assert run.returncode != 0 and result["msg"].startswith("expected_companies[0]: {'name': 'Contoso'} is neither")
    assert vendor_requests(emu) == 0
