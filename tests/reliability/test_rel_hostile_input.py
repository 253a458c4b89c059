"""Hostile input, module by module, in two real ansible-playbook runs against the emulator.

One run holds the inputs that must work and match exactly (names at the vendor limits, quotes,
backslashes, %, condition-injection attempts, unicode, emoji); a second run holds the inputs that
must fail with a one-line error naming the field, before any write: its non-GET counter must stay 0.
A decoy role and member exist first, so that an injected condition that matched anything would show.
"""

import json

import pytest

from rel_support import PLAYBOOKS, closed_port, vendor_writes
from support.ansible_runner import run_playbook
from support.emulator import EmulatorProcess, cw_headers, new_session

CLIENT_ID = "0b7d7c3e-4d8a-4d55-9a0e-5f1f3e1c2b77"
COMPANY, OTHER = "hostile", "hostile2"
ORG, OTHER_ORG = "8800001", "8800002"
DECOY_ROLE, DECOY_MEMBER = "Decoy", "decoy"

# --- inputs that must work: (id, module, options, the exact name that must exist afterwards) ---------------
OK_CASES = [
    ("role-name-30-chars", "cw_security_role", {"name": "R" * 30}),
    ("role-double-quote", "cw_security_role", {"name": 'Umb "quoted" role'}),
    ("role-single-quote", "cw_security_role", {"name": "O'Brien role"}),
    ("role-backslash", "cw_security_role", {"name": "back\\slash\\"}),
    ("role-percent-underscore", "cw_security_role", {"name": "100% _role"}),
    ("role-inject-double", "cw_security_role", {"name": 'x" or name like "%'}),
    ("role-inject-single", "cw_security_role", {"name": "x' or name like '%"}),
    ("role-inject-like-decoy", "cw_security_role", {"name": "Deco_"}),
    ("role-unicode", "cw_security_role", {"name": "Rôle ünïcode 角色"}),
    ("role-emoji", "cw_security_role", {"name": "Umbrella ☂️🚀"}),
    # Neither quote can delimit these: the client reads the list and compares itself.
    ("role-both-quotes", "cw_security_role", {"name": "a\"b'c"}),
    ("role-control-char", "cw_security_role", {"name": "a\u0001b"}),
    ("member-identifier-15", "cw_api_member", {"identifier": "m" * 15, "name": "N" * 30}),
    ("member-inject-name", "cw_api_member", {"identifier": "inj1", "name": 'x" or name like "%'}),
    # The role of that exact name exists (made above); the decoy must not be the one chosen.
    ("member-role-by-injection-name", "cw_api_member",
     {"identifier": "injrole2", "name": "Inj role", "security_role": 'x" or name like "%'}),
    ("member-identifier-percent", "cw_api_member", {"identifier": "deco%", "name": "Percent"}),
    ("key-inject-description", "cw_api_key", {"member": "inj1", "description": 'x" or description like "%'}),
]

# Run a second time in the same play: found again by exactly that value, nothing changed.
AGAIN = [c for c in OK_CASES if c[0] not in ("key-inject-description",)]

# --- inputs that must fail before any write: (id, module, options, words the message must hold) -----------
BAD_CASES = [
    ("role-name-31-chars", "cw_security_role", {"name": "R" * 31}, ["name", "30"]),
    ("role-name-empty", "cw_security_role", {"name": ""}, ["name"]),
    ("role-name-whitespace", "cw_security_role", {"name": "   "}, ["name"]),
    ("role-name-leading-space", "cw_security_role", {"name": " Umbrella"}, ["name", "whitespace"]),
    ("role-unknown-level", "cw_security_role",
     {"name": "Lvl", "permissions": [{"module": "Companies", "function": "Company Maintenance", "inquire": "Everything"}]},
     ["inquire", "Everything"]),
    ("role-unknown-module", "cw_security_role",
     {"name": "Mod", "permissions": [{"module": "Companiez", "function": "Company Maintenance", "inquire": "All"}]},
     ["Companiez"]),
    ("role-unknown-function", "cw_security_role",
     {"name": "Fun", "permissions": [{"module": "Companies", "function": "Company Maintenence", "inquire": "All"}]},
     ["Company Maintenence"]),
    ("role-unknown-allow-item", "cw_security_role",
     {"name": "Alw",
      "permissions": [{"module": "System", "function": "Table Setup", "inquire": "All", "allow": ["Company / Nothing"]}]},
     ["Company / Nothing"]),
    ("member-identifier-16", "cw_api_member", {"identifier": "m" * 16}, ["identifier", "15"]),
    ("member-name-31", "cw_api_member", {"identifier": "longname", "name": "N" * 31}, ["name", "30"]),
    ("member-identifier-empty", "cw_api_member", {"identifier": ""}, ["identifier"]),
    ("member-identifier-whitespace", "cw_api_member", {"identifier": "  "}, ["identifier"]),
    ("member-role-missing", "cw_api_member", {"identifier": "norole", "name": "No role", "security_role": "No Such Role"},
     ["security role", "No Such Role"]),
    ("member-role-injection", "cw_api_member", {"identifier": "injrole", "name": "Inj role", "security_role": 'z" or name like "%'},
     ["security role"]),
    ("key-description-empty", "cw_api_key", {"member": "admin", "description": ""}, ["description"]),
    ("key-description-whitespace", "cw_api_key", {"member": "admin", "description": " \t "}, ["description"]),
    ("key-description-101", "cw_api_key", {"member": "admin", "description": "d" * 101}, ["description"]),
    ("key-member-missing", "cw_api_key", {"member": "nobody", "description": "Cisco Umbrella"}, ["nobody"]),
    ("key-member-injection", "cw_api_key", {"member": 'x" or identifier like "%', "description": "Cisco Umbrella"},
     ["member"]),
]
# Connection failures: (id, module, conn overrides (filled in by the fixture), words)
CONN_CASES = [
    ("cw-wrong-private-key", "cw_access_info", "wrong_private", ["401"]),
    ("cw-swapped-keys", "cw_access_info", "swapped", ["401"]),
    ("cw-other-companys-keys", "cw_access_info", "other_company", ["401"]),
    ("cw-unreachable", "cw_access_info", "closed_port", ["127.0.0.1"]),
    ("cw-non-resolving", "cw_access_info", "invalid_host", ["nonexistent.invalid"]),
    ("cw-untrusted-cert", "cw_access_info", "no_ca", ["ca_path"]),
    ("umbrella-wrong-secret", "umbrella_psa_integration", "umb_wrong_secret", ["401"]),
    ("umbrella-swapped-credentials", "umbrella_psa_integration", "umb_other_org", [ORG, "org_id"]),
    ("umbrella-wrong-child-org", "umbrella_psa_integration", "umb_unknown_org", ["9999999"]),
    ("umbrella-untrusted-cert", "umbrella_psa_integration", "umb_no_ca", ["ca_path"]),
    ("umbrella-unreachable", "umbrella_psa_integration", "umb_closed_port", ["127.0.0.1"]),
]


def _conn(kind, emu, cw, other_cw):
    port = closed_port()
    return {
        "wrong_private": {"private_key": cw["private_key"][::-1]},
        "swapped": {"public_key": cw["private_key"], "private_key": cw["public_key"]},
        "other_company": {"public_key": other_cw["public_key"], "private_key": other_cw["private_key"]},
        "closed_port": {"site": "127.0.0.1:%d" % port},
        "invalid_host": {"site": "nonexistent.invalid"},
        "no_ca": {"ca_path": ""},
        "umb_wrong_secret": {"api_secret": "not-the-secret"},
        "umb_other_org": {"api_key": "umb-key-%s" % OTHER_ORG, "api_secret": "umb-secret-%s" % OTHER_ORG},
        "umb_unknown_org": {"org_id": "9999999"},
        "umb_no_ca": {"ca_path": ""},
        "umb_closed_port": {"base_url": "https://127.0.0.1:%d" % port},
    }[kind]


def _case(case_id, module, options):
    return dict(options, id=case_id, module=module)


def _run(emu, tmp, cw, umb, cases, name):
    result_file = tmp / ("%s.json" % name)
    emu.control.reset_stats()
    run = run_playbook(PLAYBOOKS / "hostile.yml", extra_vars={"cw": cw, "umb": umb, "cases": cases,
                                                              "result_file": str(result_file)},
                       timeout=600)
    assert result_file.exists(), run.explain()
    return json.loads(result_file.read_text()), emu.control.stats(), run


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    with EmulatorProcess(profile="extended") as emu:
        seeded = {}
        for company, org in ((COMPANY, ORG), (OTHER, OTHER_ORG)):
            seeded[company] = emu.control.create_tenant(
                name=company, connectwise={"company_id": company, "client_id": CLIENT_ID},
                umbrella={"org_id": org, "api_key": "umb-key-%s" % org, "api_secret": "umb-secret-%s" % org})
        cwseed = seeded[COMPANY]["connectwise"]
        cw = {"site": emu.url.split("://", 1)[1], "company_id": COMPANY, "public_key": cwseed["public_key"],
              "private_key": cwseed["private_key"], "client_id": CLIENT_ID, "ca_path": emu.ca_file}
        other = seeded[OTHER]["connectwise"]
        umb = {"base_url": emu.url, "api_key": "umb-key-%s" % ORG, "api_secret": "umb-secret-%s" % ORG,
               "org_id": ORG, "ca_path": emu.ca_file}
        # The decoys an injected condition would match.
        session = new_session(emu.ca_file)
        headers = cw_headers(COMPANY, cw["public_key"], cw["private_key"], CLIENT_ID)
        for path, body in (("/system/securityRoles", {"name": DECOY_ROLE}),
                           ("/system/apiMembers", {"identifier": DECOY_MEMBER, "name": "Decoy member"})):
            answer = session.post(emu.cw_base + path, json=body, headers=headers, timeout=30)
            assert answer.status_code == 201, answer.text
        before = emu.control.state()["connectwise"][COMPANY]

        ok_cases = [_case(i, m, o) for i, m, o in OK_CASES] + [_case(i + "-again", m, o) for i, m, o in AGAIN]
        ok, ok_stats, ok_run = _run(emu, tmp, cw, umb, ok_cases, "ok")
        after_ok = emu.control.state()["connectwise"][COMPANY]

        bad_cases = [_case(i, m, o) for i, m, o, _w in BAD_CASES]
        bad_cases += [_case(i, m, {"conn": _conn(kind, emu, cw, other)}) for i, m, kind, _w in CONN_CASES]
        bad, bad_stats, bad_run = _run(emu, tmp, cw, umb, bad_cases, "bad")
        after_bad = emu.control.state()
        yield {"ok": ok, "bad": bad, "before": before, "after_ok": after_ok, "after_bad": after_bad,
               "ok_stats": ok_stats, "bad_stats": bad_stats, "bad_run": bad_run, "ok_run": ok_run}


def _names(company, kind):
    if kind == "roles":
        return [r["name"] for r in company["roles"]]
    return [m["identifier"] for m in company["members"]]


@pytest.mark.parametrize("case_id,module,options", OK_CASES, ids=[c[0] for c in OK_CASES])
def test_hostile_value_matches_exactly(hostile, case_id, module, options):
    outcome = hostile["ok"][case_id]
    assert not outcome.get("failed"), outcome.get("msg")
    assert outcome["changed"] is True
    company = hostile["after_ok"]
    if module == "cw_security_role":
        # Created under exactly that name, once, and no other role was touched.
        assert _names(company, "roles").count(options["name"]) == 1
        decoy = [r for r in company["roles"] if r["name"] == DECOY_ROLE]
        assert decoy == [r for r in hostile["before"]["roles"] if r["name"] == DECOY_ROLE]
    elif module == "cw_api_member":
        assert _names(company, "members").count(options["identifier"]) == 1
        if "security_role" in options:
            held = [m["securityRole"] for m in company["members"] if m["identifier"] == options["identifier"]]
            role = [r for r in company["roles"] if r["name"] == options["security_role"]]
            assert held == [role[0]["id"]], (held, role)  # the state holds the role id
        decoy = [m for m in company["members"] if m["identifier"] == DECOY_MEMBER]
        assert decoy == [m for m in hostile["before"]["members"] if m["identifier"] == DECOY_MEMBER]
    else:
        keys = [k for k in company["api_keys"] if k["description"] == options["description"]]
        assert len(keys) == 1 and keys[0]["memberIdentifier"] == options["member"]
        # The admin's bootstrap key (another description) is still there.
        assert any(k["description"] == "Bootstrap" for k in company["api_keys"])


@pytest.mark.parametrize("case_id", [c[0] for c in AGAIN])
def test_hostile_value_found_again_unchanged(hostile, case_id):
    outcome = hostile["ok"][case_id + "-again"]
    assert not outcome.get("failed"), outcome.get("msg")
    assert outcome["changed"] is False


def test_hostile_ok_run_created_only_the_asked_records(hostile):
    before, after = hostile["before"], hostile["after_ok"]
    roles = [o["name"] for _i, m, o in OK_CASES if m == "cw_security_role"]
    members = [o["identifier"] for _i, m, o in OK_CASES if m == "cw_api_member"]
    assert sorted(_names(after, "roles")) == sorted(_names(before, "roles") + roles)
    assert sorted(_names(after, "members")) == sorted(_names(before, "members") + members)
    assert len(after["api_keys"]) == len(before["api_keys"]) + 1


@pytest.mark.parametrize("case_id,module,options,words", BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_hostile_value_refused_naming_the_field(hostile, case_id, module, options, words):
    _assert_refused(hostile, case_id, words)


@pytest.mark.parametrize("case_id,module,kind,words", CONN_CASES, ids=[c[0] for c in CONN_CASES])
def test_hostile_connection_refused_clearly(hostile, case_id, module, kind, words):
    _assert_refused(hostile, case_id, words)


def _assert_refused(hostile, case_id, words):
    outcome = hostile["bad"][case_id]
    assert outcome.get("failed") is True, outcome
    message = outcome.get("msg", "")
    assert "\n" not in message.strip(), message
    assert "Traceback" not in message
    for word in words:
        assert word.lower() in message.lower(), (word, message)


def test_hostile_errors_wrote_nothing(hostile):
    assert vendor_writes(hostile["bad_stats"]) == {}, hostile["bad_stats"]["by_route"]
    assert hostile["after_bad"]["connectwise"][COMPANY] == hostile["after_ok"]
