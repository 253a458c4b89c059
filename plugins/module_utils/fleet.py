# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet's results as documents: the JSON of the plan callback and of the fleet report, its markdown
and its JUnit XML.

One shape for both JSON files, ``{"tenants": {"<inventory host>": {"status", "changes", "manual_steps",
...}}}``, so that a plan and the run after it compare tenant by tenant. The input is the role's result
(``psa_integration_result``), which holds no secret; a public key quoted in a change or a step is still
shortened to its last four characters, as in the markdown plan.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import re
import xml.etree.ElementTree as ET

from ansible_collections.msp.umbrella_psa.plugins.module_utils.cw_umbrella_sync_info import parse_time

STATUSES = ("created", "changed", "unchanged", "manual", "failed")
SCHEMA_VERSION = 1
# The top-level "outcome" CI tests (docs/user-guide.md): a check run's changes are pending, a real
# run's are made.
NO_CHANGES = "no changes"
CHANGES_PENDING = "changes pending"
CHANGED = "changed"
FAILED = "failed"

_KEY = re.compile(r"^[A-Za-z0-9+/=_-]{8,}$")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")
# Characters XML 1.0 cannot hold at all (an error message may quote one).
_XML_INVALID = re.compile(u"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def text_of(value):
    return u"" if value is None else u"%s" % (value,)


def md(text):
    """Text as literal markdown: one line, with the characters markdown or HTML would act on escaped."""
    text = u" ".join(text_of(text).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def shorten_key(text, public_key):
    """Replace a public key quoted in ``text`` by its last four characters."""
    text = text_of(text)
    if public_key and _KEY.match(public_key):
        text = text.replace(public_key, u"\u2026" + public_key[-4:])
    return text


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)


def key_age_days(created_at, now):
    """Whole days since ``created_at`` (ISO 8601; an offset applied, none taken as UTC), or None when it is
    unknown or unreadable. ``now`` is naive UTC."""
    created = parse_time(text_of(created_at))
    if created is None:
        return None
    return max(0, (now - created.replace(tzinfo=None)).days)


def failed_result(host, failed_task="", message=""):
    """The result of a tenant that failed or was unreachable before the role recorded one."""
    return {"tenant": host, "status": "failed", "changes": [], "manual_steps": [], "report": "",
            "failed_task": failed_task, "message": message}


def tenant_entry(host, result, now):
    """One tenant's entry of the JSON documents, from its ``psa_integration_result``."""
    if not isinstance(result, dict) or not result:
        result = failed_result(host, "", "no result recorded")
    public_key = text_of(result.get("public_key"))
    status = result.get("status") if result.get("status") in STATUSES else "failed"
    created_at = text_of(result.get("key_created_at"))
    entry = {
        "status": status,
        "changes": [shorten_key(change, public_key) for change in result.get("changes") or []],
        "manual_steps": [shorten_key(step, public_key) for step in result.get("manual_steps") or []],
        "report": text_of(result.get("report")),
        "public_key_suffix": public_key[-4:] if _KEY.match(public_key) else "",
        "key_created_at": created_at,
        "key_age_days": key_age_days(created_at, now),
        "rotation_due": bool(result.get("rotation_due")),
        "sync": text_of(result.get("sync") or "not checked"),
        "sync_findings": [text_of(finding) for finding in result.get("sync_findings") or []],
        "synced_companies": [text_of(company) for company in result.get("synced_companies") or []],
        "last_sync": text_of(result.get("last_sync")),
    }
    if status == "failed":
        entry["failed_task"] = text_of(result.get("failed_task"))
        entry["message"] = shorten_key(result.get("message"), public_key)
    return entry


def outcome(entries, check_mode):
    """The run's outcome for CI: "failed", else "changes pending" (check) or "changed", else "no changes".

    Manual steps are not changes the playbook makes: they are counted in summary.manual and listed in
    "manual_steps" at the top level.
    """
    if any(entry["status"] == "failed" for entry in entries.values()):
        return FAILED
    if any(entry["changes"] for entry in entries.values()):
        return CHANGES_PENDING if check_mode else CHANGED
    return NO_CHANGES


def grouped_steps(entries):
    """Identical manual steps once each, with the tenants they apply to, in the order first met."""
    groups = {}
    order = []
    for host in sorted(entries):
        for step in entries[host]["manual_steps"]:
            if step not in groups:
                groups[step] = []
                order.append(step)
            if host not in groups[step]:
                groups[step].append(host)
    return [{"step": step, "tenants": groups[step]} for step in order]


def document(results, check_mode=False, now=None, kind="run"):
    """The JSON document of a run (``kind`` "run") or a plan (``kind`` "plan") from {host: result}."""
    now = now or now_utc()
    entries = dict((text_of(host), tenant_entry(text_of(host), result, now)) for host, result in results.items())
    check = bool(check_mode) or any(result.get("check_mode") in (True, "True", "true")
                                    for result in results.values() if isinstance(result, dict))
    summary = dict((status, 0) for status in STATUSES)
    for entry in entries.values():
        summary[entry["status"]] += 1
    summary["total"] = len(entries)
    summary["rotation_due"] = sum(1 for entry in entries.values() if entry["rotation_due"])
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": kind,
        "generated_at": now.strftime(_TIME_FORMAT),
        "check_mode": check,
        "outcome": outcome(entries, check),
        "summary": summary,
        "manual_steps": grouped_steps(entries),
        "tenants": dict(sorted(entries.items())),
    }


def ordered_hosts(doc):
    """Failed tenants first, then those with manual steps, then the rest, by name."""
    rank = {"failed": 0, "manual": 1}
    return sorted(doc["tenants"], key=lambda host: (rank.get(doc["tenants"][host]["status"], 2), host))


def _age(entry):
    return "?" if entry["key_age_days"] is None else "%d d" % entry["key_age_days"]


def markdown(doc, title="PSA integration"):
    """The fleet report as markdown: counts, one row per tenant, failures, grouped manual steps, sync."""
    labels = {"created": "would create" if doc["check_mode"] else "created",
              "changed": "would change" if doc["check_mode"] else "changed",
              "unchanged": "unchanged", "manual": "manual steps", "failed": "FAILED"}
    summary = doc["summary"]
    check_note = " (check mode: nothing was written)" if doc["check_mode"] else ""
    lines = [u"## %s fleet report" % md(title), u"",
             u"Generated %s%s. Outcome: **%s**." % (doc["generated_at"], check_note, doc["outcome"]), u"",
             u"%d tenant(s): %s; %d key(s) due for rotation." % (
                 summary["total"], ", ".join("%d %s" % (summary[s], labels[s]) for s in STATUSES),
                 summary["rotation_due"]), u""]
    hosts = ordered_hosts(doc)
    if not hosts:
        return u"\n".join(lines + [u"No tenant recorded a result."]) + u"\n"
    lines += [u"| Tenant | Status | Key age | Rotation due | Sync | Changes | Manual steps |",
              u"| --- | --- | ---: | --- | --- | ---: | ---: |"]
    for host in hosts:
        entry = doc["tenants"][host]
        lines.append(u"| %s | %s | %s | %s | %s | %d | %d |" % (
            md(host), labels[entry["status"]], _age(entry), "yes" if entry["rotation_due"] else "no",
            md(entry["sync"]), len(entry["changes"]), len(entry["manual_steps"])))
    lines.append(u"")
    failed = [host for host in hosts if doc["tenants"][host]["status"] == "failed"]
    if failed:
        lines += [u"### Failed", u""]
        for host in failed:
            entry = doc["tenants"][host]
            lines.append(u"- **%s** at task %s: %s" % (
                md(host), md(entry.get("failed_task") or "?"), md(entry.get("message") or "")))
        lines.append(u"")
    if doc["manual_steps"]:
        lines += [u"### Manual steps pending", u""]
        for number, group in enumerate(doc["manual_steps"], start=1):
            lines.append(u"%d. %s" % (number, md(group["step"])))
            lines.append(u"   Tenants (%d): %s" % (len(group["tenants"]), ", ".join(md(h) for h in group["tenants"])))
        lines.append(u"")
    changed = [host for host in hosts if doc["tenants"][host]["changes"]]
    if changed:
        lines += [u"### Changes", u""]
        for host in changed:
            lines.append(u"- **%s**: %s" % (md(host), "; ".join(md(c) for c in doc["tenants"][host]["changes"])))
        lines.append(u"")
    # A stage that ran, or one that could not read the evidence and says why.
    synced = [host for host in hosts
              if doc["tenants"][host]["sync"] != "not checked" or doc["tenants"][host]["sync_findings"]]
    if synced:
        lines += [u"### Umbrella's sync", u""]
        for host in synced:
            entry = doc["tenants"][host]
            detail = u"%s, last sync %s, %d customer(s) synced" % (
                md(entry["sync"]), md(entry["last_sync"] or "never"), len(entry["synced_companies"]))
            findings = u"".join(u"; " + md(finding) for finding in entry["sync_findings"])
            lines.append(u"- **%s**: %s%s" % (md(host), detail, findings))
        lines.append(u"")
    return u"\n".join(lines).rstrip(u"\n") + u"\n"


def _xml_text(text):
    return _XML_INVALID.sub(u"\ufffd", text_of(text))


def junit(doc, suite="msp.umbrella_psa fleet"):
    """The fleet report as JUnit XML: one test case per tenant, a failure for each failed tenant.

    A tenant with manual steps passes (nothing failed) and lists them in its system-out, as it does its
    changes, key age and sync.
    """
    summary = doc["summary"]
    root = ET.Element("testsuites", name=suite, tests=str(summary["total"]), failures=str(summary["failed"]),
                      errors="0")
    tests = ET.SubElement(root, "testsuite", name=suite, tests=str(summary["total"]),
                          failures=str(summary["failed"]), errors="0", skipped="0", time="0",
                          timestamp=doc["generated_at"].rstrip("Z"))
    for host in sorted(doc["tenants"]):
        entry = doc["tenants"][host]
        case = ET.SubElement(tests, "testcase", classname="msp.umbrella_psa.tenants", name=_xml_text(host),
                             time="0")
        if entry["status"] == "failed":
            failure = ET.SubElement(case, "failure", type=_xml_text(entry.get("failed_task") or "failed"),
                                    message=_xml_text(entry.get("message") or "failed"))
            failure.text = _xml_text(u"%s: %s" % (entry.get("failed_task") or "?", entry.get("message") or ""))
        out = [u"status: %s" % entry["status"],
               u"key age: %s, rotation due: %s" % (_age(entry), "yes" if entry["rotation_due"] else "no"),
               u"sync: %s" % entry["sync"]]
        out += [u"change: %s" % change for change in entry["changes"]]
        out += [u"manual step %d: %s" % (n, step) for n, step in enumerate(entry["manual_steps"], start=1)]
        out += [u"sync finding: %s" % finding for finding in entry["sync_findings"]]
        ET.SubElement(case, "system-out").text = _xml_text(u"\n".join(out))
    if hasattr(ET, "indent"):  # Python 3.9 and later: one element a line, for people reading it too
        ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode").encode("utf-8") + b"\n"
