"""ConnectWise list semantics: conditions, orderBy, fields, navigable and forward-only paging, counts."""

import re

import pytest

from conftest import assert_cw_error, seed_tenant


@pytest.fixture(scope="module")
def people(extended_emulator):
    """A company with a handful of members whose fields exercise the conditions grammar."""
    tenant = seed_tenant(extended_emulator)
    role = tenant.post("/system/securityRoles", {"name": "Umbrella"}).json()
    rows = [
        ("alpha", "Alpha One", True, role["id"]),
        ("beta", 'Quote " Double', False, None),
        ("gamma", "Quote ' Single", False, role["id"]),
        ("delta", "Back\\slash", False, None),
        ("inject", 'x" or name like "%', False, None),
    ]
    for identifier, name, inactive, role_id in rows:
        body = {"identifier": identifier, "name": name, "inactiveFlag": inactive}
        if role_id:
            body["securityRole"] = {"id": role_id}
        assert tenant.post("/system/apiMembers", body).status_code == 201
    tenant.role_id = role["id"]
    return tenant


def identifiers(tenant, conditions, **params):
    response = tenant.get("/system/apiMembers", dict(params, conditions=conditions, pageSize=1000))
    assert response.status_code == 200, response.text
    return sorted(m["identifier"] for m in response.json())


def test_both_quote_kinds(people):
    assert identifiers(people, 'identifier="alpha"') == ["alpha"]
    assert identifiers(people, "identifier='ALPHA'") == ["alpha"]
    assert identifiers(people, "name='Quote \" Double'") == ["beta"]
    assert identifiers(people, 'name="Quote \' Single"') == ["gamma"]
    assert identifiers(people, 'name="Back\\slash"') == ["delta"]


def test_injection_attempt_is_a_literal(people):
    assert identifiers(people, "name='x\" or name like \"%'") == ["inject"]
    assert identifiers(people, "name='nobody\" or name like \"%'") == []


def test_in_like_contains_and_or_not_parentheses(people):
    assert identifiers(people, 'identifier in ("alpha", "gamma", "zeta")') == ["alpha", "gamma"]
    assert identifiers(people, 'identifier not in ("alpha", "gamma")') == sorted(
        ["admin", "beta", "delta", "inject"])
    assert identifiers(people, 'name like "Quote%"') == ["beta", "gamma"]
    assert identifiers(people, 'name like "%one"') == ["alpha"]
    assert identifiers(people, 'name contains "slash"') == ["delta"]
    assert identifiers(people, '(identifier="alpha" or identifier="beta") and inactiveFlag=false') == ["beta"]
    assert identifiers(people, 'identifier="alpha" or identifier="beta" and inactiveFlag=true') == ["alpha"]
    assert identifiers(people, 'not (name like "Quote%") and identifier != "admin"') == sorted(
        ["alpha", "delta", "inject"])


def test_nested_fields_numbers_and_null(people):
    assert identifiers(people, "securityRole/id=%d" % people.role_id) == ["alpha", "gamma"]
    assert identifiers(people, 'securityRole/name="umbrella" and inactiveFlag=true') == ["alpha"]
    assert "beta" in identifiers(people, "securityRole=null")
    assert identifiers(people, "id > 1 and id <= 3") == ["alpha", "beta"]
    assert identifiers(people, "_info/dateEntered > [2000-01-01T00:00:00Z] and identifier='beta'") == ["beta"]
    assert identifiers(people, "_info/dateEntered < [2000-01-01T00:00:00Z]") == []


@pytest.mark.parametrize("conditions", [
    'identifier="open', "identifier=", "identifier = 'a' and", "(identifier='a'", "identifier ~ 'a'",
    "nosuchfield='a'", "identifier in ()"])
def test_malformed_conditions_are_400(people, conditions):
    assert_cw_error(people.get("/system/apiMembers", {"conditions": conditions}), 400, "InvalidObject")


def test_count_honours_conditions(people):
    assert people.get("/system/apiMembers/count", {"conditions": 'name like "Quote%"'}).json() == {"count": 2}
    assert people.get("/system/apiMembers/count").json() == {"count": 6}


def test_order_by_and_fields(people):
    ordered = people.get("/system/apiMembers", {"orderBy": "identifier desc",
                                                "fields": "id,identifier,securityRole/name"})
    names = [m["identifier"] for m in ordered.json()]
    assert names == sorted(names, key=str.casefold, reverse=True)
    assert all(set(m) <= {"id", "identifier", "securityRole"} for m in ordered.json())
    alpha = next(m for m in ordered.json() if m["identifier"] == "alpha")
    assert alpha["securityRole"] == {"name": "Umbrella"}
    assert_cw_error(people.get("/system/apiMembers", {"orderBy": "identifier sideways"}), 400)


def _links(response):
    return {rel: url for url, rel in re.findall(r'<([^>]+)>;\s*rel="(\w+)"', response.headers.get("Link", ""))}


@pytest.fixture(scope="module")
def crowd(extended_emulator):
    tenant = seed_tenant(extended_emulator)
    extended_emulator.control.cw_bulk_members(tenant.company_id, 2600)
    return tenant


def test_navigable_paging_misses_and_repeats_nothing(crowd):
    seen = []
    url = crowd.base + "/system/apiMembers?pageSize=1000&conditions=" + "inactiveFlag%3Dfalse"
    pages = 0
    while url:
        response = crowd.get(url)
        assert response.status_code == 200
        seen += [m["id"] for m in response.json()]
        url = _links(response).get("next")
        pages += 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 2601
    assert crowd.get("/system/apiMembers/count").json() == {"count": 2601}


def test_link_header_relations(crowd):
    middle = crowd.get("/system/apiMembers", {"page": 2, "pageSize": 100})
    links = _links(middle)
    assert set(links) == {"first", "prev", "next", "last"}
    assert "page=27" in links["last"] and "page=1" in links["first"] and "page=3" in links["next"]
    back = crowd.get(links["prev"])
    assert [m["id"] for m in back.json()] == list(range(1, 101))
    assert len(crowd.get("/system/apiMembers").json()) == 25
    assert len(crowd.get("/system/apiMembers", {"pageSize": 5000}).json()) == 1000
    assert_cw_error(crowd.get("/system/apiMembers", {"page": 0}), 400)
    last = crowd.get("/system/apiMembers", {"page": 27, "pageSize": 100})
    assert "next" not in _links(last) and len(last.json()) == 1


def test_forward_only_paging(crowd):
    headers = crowd.headers(**{"pagination-type": "forward-only"})
    url, seen = crowd.base + "/system/apiMembers?pageSize=700", []
    while url:
        response = crowd.get(url, headers=headers)
        assert response.status_code == 200
        assert set(_links(response)) <= {"next"}
        seen += [m["id"] for m in response.json()]
        url = _links(response).get("next")
    assert seen == sorted(set(seen)) and len(seen) == 2601
