"""Check a flow's end state through the emulator's oracle (GET /_emulator/state) and the key itself.

A tenant is converged when ConnectWise holds the role with the required settings and customize
items, the member holding that role, exactly one integration key, and Umbrella's PSA integration
holds that very key pair, and the key authenticates (``GET /system/mySecurity`` with it answers as
the member).
"""

import base64

from benchlib.emulator import new_session

LEVELS = ("add", "edit", "delete", "inquire")
MAX_REPORTED = 10


class Expectation:
    """What the flows are asked to converge to (the role's defaults)."""

    def __init__(self, role_name, permissions, member_identifier, key_description, ticketing):
        self.role_name = role_name
        self.permissions = permissions
        self.member_identifier = member_identifier
        self.key_description = key_description
        self.ticketing = ticketing
        self.labels = sorted({label for p in permissions for label in p.get("allow", [])})


def _tenant_problems(tenant, cw, org, expect, site):
    problems = []
    roles = [r for r in cw["roles"] if r["name"].casefold() == expect.role_name.casefold()]
    if len(roles) != 1:
        return ["%d roles named %r" % (len(roles), expect.role_name)]
    role = roles[0]
    by_label = {(s["module"], s["function"]): s for s in role["settings"]}
    for wanted in expect.permissions:
        setting = by_label.get((wanted["module"], wanted["function"]))
        if setting is None:
            problems.append("no setting %s > %s" % (wanted["module"], wanted["function"]))
            continue
        for level in LEVELS:
            if setting[level + "Level"] != wanted.get(level, "None"):
                problems.append("%s > %s %s is %s, wanted %s" % (
                    wanted["module"], wanted["function"], level, setting[level + "Level"], wanted.get(level, "None")))
    labels = {item.get("label") for item in role["customize"] if item["customizeIdentifier"] == "SystemTableSetup"}
    problems += ["customize item %r missing" % label for label in expect.labels if label not in labels]

    members = [m for m in cw["members"] if m["identifier"].casefold() == expect.member_identifier.casefold()]
    if len(members) != 1:
        return problems + ["%d members %r" % (len(members), expect.member_identifier)]
    member = members[0]
    if member.get("securityRole") != role["id"] or member.get("inactiveFlag"):
        problems.append("member %r does not hold role %r actively" % (member["identifier"], role["name"]))

    keys = [k for k in cw["api_keys"] if k["memberId"] == member["id"]]
    if len(keys) != 1 or keys[0]["description"] != expect.key_description:
        return problems + ["member has %d keys (wanted one, %r)" % (len(keys), expect.key_description)]
    key = keys[0]

    psa = org["psa"] if org else {}
    connectwise = psa.get("connectwise") or {}
    if psa.get("psa") != "connectwise" or not psa.get("enabled"):
        state = "enabled" if psa.get("enabled") else "disabled"
        problems.append("Umbrella PSA integration is %s/%s" % (psa.get("psa"), state))
    if connectwise.get("companyId") != tenant["company_id"] or connectwise.get("site") != site:
        problems.append("Umbrella PSA integration points at %s/%s" % (connectwise.get("site"),
                                                                      connectwise.get("companyId")))
    if connectwise.get("publicKey") != key["publicKey"] or connectwise.get("privateKey") != key["privateKey"]:
        problems.append("Umbrella PSA integration does not hold the member's key")
    if psa.get("ticketing") != expect.ticketing:
        problems.append("Umbrella PSA ticketing is %s" % psa.get("ticketing"))
    return problems


def _authenticates(session, api_base, company_id, public_key, private_key, member_identifier):
    token = base64.b64encode(("%s+%s:%s" % (company_id, public_key, private_key)).encode()).decode()
    response = session.get(api_base + "/system/mySecurity", params={"pageSize": 1},
                           headers={"Authorization": "Basic " + token, "clientId": "benchmark-verify"}, timeout=30)
    if response.status_code != 200:
        return "the key Umbrella holds answers %d on /system/mySecurity" % response.status_code
    rows = response.json()
    if not rows or rows[0]["member"]["identifier"].casefold() != member_identifier.casefold():
        return "the key Umbrella holds does not act as member %r" % member_identifier
    return None


def verify_flow(control, tenants, expect, emulator_ready):
    """{"verified", "tenants", "failed_tenants", "problems": [first few]} for one flow's tenants."""
    state = control.state()
    site = emulator_ready["url"].split("://", 1)[1]
    session = new_session(emulator_ready["ca_file"])
    info = session.get("https://%s/login/companyinfo/%s" % (site, tenants[0]["company_id"]), timeout=30).json()
    api_base = "https://%s/%sapis/3.0" % (site, info["Codebase"])
    failed, reported = 0, []
    for tenant in tenants:
        cw = state["connectwise"].get(tenant["company_id"])
        org = state["umbrella"]["orgs"].get(str(tenant["org_id"]))
        problems = _tenant_problems(tenant, cw, org, expect, site) if cw else ["company missing"]
        if not problems:
            held = org["psa"]["connectwise"]
            problem = _authenticates(session, api_base, tenant["company_id"], held["publicKey"], held["privateKey"],
                                     expect.member_identifier)
            problems = [problem] if problem else []
        if problems:
            failed += 1
            if len(reported) < MAX_REPORTED:
                reported.append("%s: %s" % (tenant["host"], "; ".join(problems)))
    return {"verified": failed == 0, "tenants": len(tenants), "failed_tenants": failed, "problems": reported}
