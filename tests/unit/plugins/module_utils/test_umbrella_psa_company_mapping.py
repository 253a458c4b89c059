"""Unit tests of the umbrella_psa_company_mapping engine against small in-memory fakes of both vendors."""

import copy
import csv
import io
import os
import re
from urllib.parse import urlencode

import pytest

from ansible_collections.msp.umbrella_psa.plugins.module_utils import umbrella_psa_company_mapping as engine
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import EngineError
from ansible_collections.msp.umbrella_psa.plugins.module_utils.http import TransportError
from ansible_collections.msp.umbrella_psa.plugins.module_utils.umbrella import UmbrellaNotFound, UmbrellaUnsupported

MAPPINGS = "/admin/v2/psa/customers"


class FakeUmbrella:
    """Customer lists paged like Umbrella (page/limit, a short page ends) and UX2 mappings."""

    def __init__(self, names, mapped=None, extension=True, first_id=1001):
        self.customers = [{"customerId": first_id + n, "customerName": name, "seats": 10}
                          for n, name in enumerate(names)]
        self.mapped = dict(mapped or {})
        self.extension = extension
        self.calls = []
        self.request_count = 0
        self.fail_put_for = set()
        self.exhausted_after = None

    def ids(self):
        return {c["customerName"]: c["customerId"] for c in self.customers}

    @property
    def writes(self):
        return [c for c in self.calls if c[0] in ("PUT", "DELETE")]

    def _check(self, path, extension):
        if path.startswith("/admin/v2/psa/"):
            assert extension is True
            if not self.extension:
                raise UmbrellaUnsupported(404, "Not Found", "GET", path)

    def list(self, path, limit=100, params=None, extension=False):
        if path in engine.CUSTOMER_PATHS.values():
            items = copy.deepcopy(self.customers)
        else:
            assert path == MAPPINGS
            if not self.extension:
                self.request_count += 1  # the probe that answered 404
            self._check(path, extension)
            items = [{"customerId": k, "connectwiseCompanyId": v} for k, v in sorted(self.mapped.items())]
        pages = len(items) // limit + 1
        self.request_count += pages
        self.calls.extend(("GET", path, None) for _unused in range(pages))
        return items

    def put(self, path, body=None, extension=False):
        self.request_count += 1
        self.calls.append(("PUT", path, body))
        self._check(path, extension)
        customer_id = int(path.rsplit("/", 1)[1])
        if self.exhausted_after is not None and len(self.writes) > self.exhausted_after:
            raise TransportError("Umbrella PUT %s: gave up after 120 s of retries (last answer: 429)" % path)
        if customer_id in self.fail_put_for:
            raise UmbrellaNotFound(404, "Customer %d not found" % customer_id, "PUT", path)
        self.mapped[customer_id] = body["connectwiseCompanyId"]
        return {"customerId": customer_id, "connectwiseCompanyId": body["connectwiseCompanyId"]}

    def delete(self, path, extension=False):
        self.request_count += 1
        self.calls.append(("DELETE", path, None))
        self._check(path, extension)
        self.mapped.pop(int(path.rsplit("/", 1)[1]), None)


class FakeConnectWise:
    """/company/companies answering ``identifier in (...)`` conditions, case-insensitively."""

    def __init__(self, companies):
        self.companies = companies
        self.request_count = 0
        self.conditions = []

    def list(self, path, conditions=None, fields=None, order_by=None):
        assert path == "/company/companies" and fields == engine.COMPANY_FIELDS
        self.request_count += 1
        self.conditions.append(conditions)
        match = re.fullmatch(r"identifier in \((.*)\)", conditions)
        assert match, conditions
        wanted = set((double or single).casefold()
                     for double, single in re.findall(r'"([^"]*)"|\'([^\']*)\'', match.group(1)))
        return [copy.deepcopy(c) for c in self.companies if c["identifier"].casefold() in wanted]


def company(identifier, cid, status="Active", deleted=False):
    return {"id": cid, "identifier": identifier, "name": identifier + " Inc", "status": {"id": 1, "name": status},
            "deletedFlag": deleted}


COMPANIES = [company("Contoso", 2), company("Fabrikam", 3), company("Northwind", 4),
             company("OldCo", 5, status="Inactive"), company("GoneCo", 6, deleted=True)]


def params(mappings=None, **overrides):
    base = {"mappings": mappings, "mappings_file": None, "prune": False, "customer_source": "managed",
            "inactive_company_statuses": ["Inactive"], "on_unsupported": "fail", "manual_steps_file": None,
            "connectwise": {}}
    base.update(overrides)
    return base


def run(umbrella, connectwise, check_mode=False, **options):
    return engine.run(params(**options), check_mode=check_mode, client=umbrella, connectwise_client=connectwise)


# --- verification -------------------------------------------------------------------------------------------


def test_every_problem_is_reported_together_before_any_write():
    umbrella = FakeUmbrella(["Alpha", "Beta", "Gamma", "Twin", "Twin", "Delta"])
    connectwise = FakeConnectWise(COMPANIES)
    mappings = [
        {"customer": "Alpha", "company": "Contoso"},          # fine
        {"customer": "Alpah", "company": "Contoso"},          # unknown customer, close match Alpha
        {"customer": "Beta", "company": "Contosso"},          # unknown company
        {"customer": "Gamma", "company": "OldCo"},            # inactive company
        {"customer": "1001", "company": "Fabrikam"},          # Alpha again, by id
        {"customer": "Twin", "company": "Contoso"},           # two customers share the name
        {"customer": " Beta", "company": "GoneCo"},           # whitespace and a deleted company
        {"customer": "Delta", "company": 'both"quote\'s'},    # cannot be put in a condition
    ]
    with pytest.raises(EngineError) as failure:
        run(umbrella, connectwise, mappings=mappings)
    errors = failure.value.result["errors"]
    assert [e.split(":")[0] for e in errors] == [
        "mappings[1].customer", "mappings[2].company", "mappings[3].company", "mappings[4].customer",
        "mappings[5].customer", "mappings[6].customer", "mappings[6].company", "mappings[7].company"]
    assert "close matches: 'Alpha'" in errors[0]
    assert "no ConnectWise company with identifier 'Contosso'" in errors[1]
    assert "status 'Inactive'" in errors[2]
    assert "mapped already by mappings[0]" in errors[3]
    assert "names 2 Umbrella customers (ids 1004, 1005)" in errors[4]
    assert "leading or trailing whitespace" in errors[5]
    assert "is deleted" in errors[6]
    assert "cannot be looked up: the value holds both quote characters" in errors[7]
    assert len(errors) == 8
    assert "8 problems" in failure.value.msg and "nothing was changed" in failure.value.msg
    assert umbrella.writes == []
    # The unquotable identifier never reached ConnectWise; the others went in one batch.
    assert connectwise.request_count == 1


def test_company_lookups_are_batched_not_one_request_per_mapping():
    names = ["Customer %04d" % n for n in range(1500)]
    companies = [company("COMPANY-WITH-A-LONGISH-ID-%04d" % n, n + 10) for n in range(1500)]
    umbrella = FakeUmbrella(names)
    connectwise = FakeConnectWise(companies)
    mappings = [{"customer": name, "company": companies[n]["identifier"].lower()} for n, name in enumerate(names)]
    result = run(umbrella, connectwise, mappings=mappings)

    expected_batches = engine.identifier_batches(sorted(c["identifier"].lower() for c in companies))
    assert 1 < connectwise.request_count == len(expected_batches) <= 12
    assert all(len(urlencode({"conditions": c})) <= engine.CONDITIONS_BUDGET for c in connectwise.conditions)
    assert result["requests"]["connectwise"] == connectwise.request_count
    # Written as ConnectWise spells the identifier, not as the mapping did.
    assert umbrella.mapped[1001] == "COMPANY-WITH-A-LONGISH-ID-0000"


def test_the_same_company_for_many_customers_is_looked_up_once():
    umbrella = FakeUmbrella(["C%d" % n for n in range(300)])
    connectwise = FakeConnectWise(COMPANIES)
    result = run(umbrella, connectwise, mappings=[{"customer": "C%d" % n, "company": "contoso" if n % 2 else "CONTOSO"}
                                                  for n in range(300)])
    assert connectwise.request_count == 1 and connectwise.conditions == ['identifier in ("CONTOSO")']
    assert result["summary"]["set"] == 300


# --- applying with the extension ----------------------------------------------------------------------------


def test_applies_only_changes_and_a_rerun_writes_nothing():
    umbrella = FakeUmbrella(["Alpha", "Beta", "Gamma"], mapped={1001: "Contoso", 1002: "Northwind"})
    connectwise = FakeConnectWise(COMPANIES)
    mappings = [{"customer": "Alpha", "company": "Contoso"}, {"customer": "Beta", "company": "fabrikam"},
                {"customer": 1003, "company": "Northwind"}]
    result = run(umbrella, connectwise, mappings=mappings)
    assert result["changed"] is True and result["extension"] is True
    assert [w[:3] for w in umbrella.writes] == [
        ("PUT", MAPPINGS + "/1002", {"connectwiseCompanyId": "Fabrikam"}),
        ("PUT", MAPPINGS + "/1003", {"connectwiseCompanyId": "Northwind"})]
    assert result["diff"] == {"before": {"Beta (1002)": "Northwind", "Gamma (1003)": None},
                              "after": {"Beta (1002)": "Fabrikam", "Gamma (1003)": "Northwind"}}
    assert result["summary"] == {"mapped": 3, "unchanged": 1, "set": 2, "removed": 0, "unmanaged": 0}

    umbrella.calls.clear()
    again = run(umbrella, connectwise, mappings=mappings)
    assert again["changed"] is False and umbrella.writes == [] and again["changes"] == []
    assert again["diff"] == {"before": {}, "after": {}}


def test_prune_clears_unlisted_customers_and_without_prune_they_are_kept():
    mapped = {1001: "Contoso", 1002: "Fabrikam", 1003: "Northwind"}
    connectwise = FakeConnectWise(COMPANIES)
    kept = FakeUmbrella(["Alpha", "Beta", "Gamma"], mapped=mapped)
    result = run(kept, connectwise, mappings=[{"customer": "Alpha", "company": "Contoso"}])
    assert result["changed"] is False and result["summary"]["unmanaged"] == 2 and kept.writes == []

    pruned = FakeUmbrella(["Alpha", "Beta", "Gamma"], mapped=mapped)
    result = run(pruned, connectwise, mappings=[{"customer": "Alpha", "company": "Contoso"}], prune=True)
    assert [w[:2] for w in pruned.writes] == [("DELETE", MAPPINGS + "/1002"), ("DELETE", MAPPINGS + "/1003")]
    assert pruned.mapped == {1001: "Contoso"}
    assert result["summary"]["removed"] == 2
    assert result["diff"]["after"] == {"Beta (1002)": None, "Gamma (1003)": None}


def test_check_mode_predicts_the_real_run_without_writing():
    connectwise = FakeConnectWise(COMPANIES)
    mappings = [{"customer": "Alpha", "company": "Contoso"}, {"customer": "Beta", "company": "Fabrikam"}]
    predicted_umbrella = FakeUmbrella(["Alpha", "Beta", "Gamma"], mapped={1003: "Northwind"})
    predicted = run(predicted_umbrella, connectwise, check_mode=True, mappings=mappings, prune=True)
    assert predicted_umbrella.writes == [] and predicted_umbrella.mapped == {1003: "Northwind"}

    real_umbrella = FakeUmbrella(["Alpha", "Beta", "Gamma"], mapped={1003: "Northwind"})
    real = run(real_umbrella, connectwise, mappings=mappings, prune=True)
    assert len(real_umbrella.writes) == 3
    for key in ("changed", "changes", "diff", "summary"):
        assert predicted[key] == real[key], key


def test_a_failed_write_does_not_stop_the_others_and_is_reported():
    umbrella = FakeUmbrella(["Alpha", "Beta", "Gamma"])
    umbrella.fail_put_for = {1002}
    mappings = [{"customer": n, "company": "Contoso"} for n in ("Alpha", "Beta", "Gamma")]
    with pytest.raises(EngineError) as failure:
        run(umbrella, FakeConnectWise(COMPANIES), mappings=mappings)
    assert umbrella.mapped == {1001: "Contoso", 1003: "Contoso"}
    assert "1 of 3 mapping changes failed (2 applied): " in failure.value.msg
    assert "Beta (1002)" in failure.value.msg
    assert failure.value.result["changed"] is True
    assert [c["customer_id"] for c in failure.value.result["changes"]] == [1001, 1003]


def test_running_out_of_retries_stops_the_writes_and_says_how_far_it_got():
    umbrella = FakeUmbrella(["C%d" % n for n in range(10)])
    umbrella.exhausted_after = 3
    with pytest.raises(EngineError) as failure:
        run(umbrella, FakeConnectWise(COMPANIES), mappings=[{"customer": "C%d" % n, "company": "Contoso"}
                                                            for n in range(10)])
    assert len(umbrella.writes) == 4 and len(umbrella.mapped) == 3
    assert "1 of 10 mapping changes failed (3 applied, 6 not tried after the last failure; run again" \
        in failure.value.msg
    assert len(failure.value.result["changes"]) == 3


# --- without the extension ----------------------------------------------------------------------------------


def test_without_extension_report_writes_the_csv_once_and_summarises(tmp_path):
    names = ["Customer %02d" % n for n in range(25)]
    umbrella = FakeUmbrella(names, extension=False)
    steps_file = tmp_path / "steps.csv"
    mappings = [{"customer": name, "company": "Contoso"} for name in reversed(names)]
    options = dict(mappings=mappings, on_unsupported="report", manual_steps_file=str(steps_file))

    result = run(umbrella, FakeConnectWise(COMPANIES), **options)
    assert result["extension"] is False and result["changed"] is True and umbrella.writes == []
    rows = list(csv.reader(io.StringIO(steps_file.read_text())))
    assert rows[0] == ["customer name", "customer id", "field", "value"]
    assert rows[1] == ["Customer 00", "1001", "ConnectWise Company ID", "Contoso"]
    assert len(rows) == 26
    steps = result["manual_steps"]
    assert len(steps) == 21
    assert steps[0] == ("Umbrella console: Customer Management › Customer 00 (customer id 1001): "
                        "set ConnectWise Company ID to Contoso, then Save.")
    assert steps[20].startswith("And 5 more customers: work through %s" % steps_file)
    assert result["summary"]["unverified"] == 25

    again = run(umbrella, FakeConnectWise(COMPANIES), **options)
    assert again["changed"] is False and again["manual_steps"] == steps


def test_without_extension_prune_adds_clear_rows_and_check_mode_writes_no_file(tmp_path):
    umbrella = FakeUmbrella(["Alpha", "Beta"], extension=False)
    steps_file = tmp_path / "steps.csv"
    result = run(umbrella, FakeConnectWise(COMPANIES), check_mode=True, prune=True, on_unsupported="report",
                 mappings=[{"customer": "Alpha", "company": "Contoso"}], manual_steps_file=str(steps_file))
    assert not steps_file.exists() and result["changed"] is True
    assert result["manual_steps"] == [
        "Umbrella console: Customer Management › Alpha (customer id 1001): set ConnectWise Company ID to Contoso, "
        "then Save.",
        "Umbrella console: Customer Management › Beta (customer id 1002): clear ConnectWise Company ID (when it is "
        "set), then Save.",
        "The same steps are in %s." % steps_file]


def test_without_extension_the_steps_file_directory_is_made_when_first_written(tmp_path):
    steps_file = tmp_path / "reports" / "acme-company-mapping.csv"
    options = dict(mappings=[{"customer": "Alpha", "company": "Contoso"}], on_unsupported="report",
                   manual_steps_file=str(steps_file))
    checked = run(FakeUmbrella(["Alpha"], extension=False), FakeConnectWise(COMPANIES), check_mode=True, **options)
    assert checked["changed"] is True and not steps_file.parent.exists()
    result = run(FakeUmbrella(["Alpha"], extension=False), FakeConnectWise(COMPANIES), **options)
    assert result["changed"] is True and steps_file.read_text().splitlines()[1] == "Alpha,1001,ConnectWise Company ID,Contoso"
    assert oct(steps_file.parent.stat().st_mode & 0o777) == oct(0o755 & ~_umask())


def test_without_extension_a_directory_another_tenant_just_made_is_used(tmp_path, monkeypatch):
    # Tenants run in parallel: the directory may appear between this engine's check and its makedirs.
    steps_file = tmp_path / "reports" / "acme-company-mapping.csv"
    isdir = os.path.isdir

    def racing_isdir(path):
        # A check finds nothing; another tenant's worker makes the directory right after it.
        if path == str(steps_file.parent) and not isdir(path):
            os.mkdir(path)
            return False
        return isdir(path)

    monkeypatch.setattr(os.path, "isdir", racing_isdir)
    result = run(FakeUmbrella(["Alpha"], extension=False), FakeConnectWise(COMPANIES),
                 mappings=[{"customer": "Alpha", "company": "Contoso"}], on_unsupported="report",
                 manual_steps_file=str(steps_file))
    assert result["changed"] is True and steps_file.read_text().splitlines()[1] == "Alpha,1001,ConnectWise Company ID,Contoso"


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_without_extension_fail_carries_the_steps():
    umbrella = FakeUmbrella(["Alpha"], extension=False)
    with pytest.raises(EngineError) as failure:
        run(umbrella, FakeConnectWise(COMPANIES), mappings=[{"customer": "Alpha", "company": "Contoso"}])
    assert "does not offer the API" in failure.value.msg
    assert "(1) Umbrella console: Customer Management › Alpha (customer id 1001)" in failure.value.msg
    assert failure.value.result["extension"] is False


def test_without_a_steps_file_every_step_is_listed():
    names = ["C%02d" % n for n in range(30)]
    umbrella = FakeUmbrella(names, extension=False)
    result = run(umbrella, FakeConnectWise(COMPANIES), on_unsupported="report",
                 mappings=[{"customer": n, "company": "Contoso"} for n in names])
    assert len(result["manual_steps"]) == 30 and result["changed"] is False


# --- mapping files ------------------------------------------------------------------------------------------


def test_csv_mapping_file_names_its_lines_in_problems(tmp_path):
    path = tmp_path / "acme.csv"
    path.write_text("# customer mapping of acme\ncustomer,company,note\nAlpha,Contoso,first\n\nBeta,Nope\n")
    umbrella = FakeUmbrella(["Alpha", "Beta"])
    with pytest.raises(EngineError) as failure:
        run(umbrella, FakeConnectWise(COMPANIES), mappings_file=str(path))
    assert failure.value.result["errors"] == ["mappings_file line 5.company: no ConnectWise company with "
                                              "identifier 'Nope'"]


def test_yaml_mapping_file_and_numeric_values(tmp_path):
    path = tmp_path / "acme.yml"
    path.write_text("- {customer: Alpha, company: Contoso}\n- {customer: 1002, company: Fabrikam}\n")
    umbrella = FakeUmbrella(["Alpha", "Beta"])
    result = run(umbrella, FakeConnectWise(COMPANIES), mappings_file=str(path))
    assert umbrella.mapped == {1001: "Contoso", 1002: "Fabrikam"} and result["changed"] is True


@pytest.mark.parametrize("content, message", [
    ("company,customer_name\nA,B\n", "line 1: the header must name the columns customer and company"),
    ("", "the file is empty"),
])
def test_bad_csv_files_fail_before_any_request(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    umbrella = FakeUmbrella(["Alpha"])
    with pytest.raises(EngineError, match=message):
        run(umbrella, FakeConnectWise(COMPANIES), mappings_file=str(path))
    assert umbrella.calls == []


def test_relative_paths_are_refused():
    with pytest.raises(EngineError, match=r"mappings_file: 'mappings/acme.csv' is a relative path"):
        run(FakeUmbrella([]), FakeConnectWise([]), mappings_file="mappings/acme.csv")
