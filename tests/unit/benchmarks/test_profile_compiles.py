"""benchmarks/profile_flow.py: which Jinja sources the workers compiled, and at what cost."""

import importlib.util
import json
import os

import pytest

BENCH_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", "benchmarks")


def load_profile_flow():
    spec = importlib.util.spec_from_file_location("bench_profile_flow", os.path.join(BENCH_DIR, "profile_flow.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


profile_flow = load_profile_flow()


def write(path, recorded):
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(recorded, handle)


def test_report_sums_the_workers_and_ranks_by_cost(tmp_path):
    write(tmp_path / "worker-1-A.compiles", {"{{ cheap }}": [3, 0.003], "x | length > 0": [1, 0.004]})
    write(tmp_path / "worker-2-B.compiles", {"x | length > 0": [1, 0.006], "{{ cheap }}": [1, 0.001]})
    (tmp_path / "worker-3-C.compiles").write_text('{"cut short', encoding="utf-8")  # a worker ended mid-write

    lines = profile_flow.compiles(str(tmp_path), 10).splitlines()

    assert lines[1].split() == ["0.01", "2", "5.00", "x", "|", "length", ">", "0"]
    assert lines[2].split() == ["0.00", "4", "1.00", "{{", "cheap", "}}"]
    assert lines[-1].split() == ["0.01", "6", "(all", "2", "sources)"]


def test_report_keeps_the_top_sources_and_totals_all(tmp_path):
    write(tmp_path / "worker-1-A.compiles", {"{{ a }}": [1, 0.003], "{{ b }}": [1, 0.002], "{{ c }}": [1, 0.001]})

    lines = profile_flow.compiles(str(tmp_path), 1).splitlines()

    assert [line.split()[-2:] for line in lines[1:-1]] == [["a", "}}"]]
    assert "(all 3 sources)" in lines[-1] and lines[-1].split()[1] == "3"


def test_recorder_counts_every_compile_by_source():
    engine_module = pytest.importorskip("ansible._internal._templating._engine")  # ansible-core 2.19 and later
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template

    originals = (engine_module.TemplateEngine._compile_template, engine_module.TemplateEngine._compile_expression)
    profile_flow._COMPILES.clear()
    try:
        profile_flow._record_compiles()
        templar = Templar(loader=DataLoader(), variables={"who": "world", "items": [1]})
        assert templar.template(trust_as_template("hello {{ who }}")) == "hello world"
        assert templar.template(trust_as_template("hello {{ who }}")) == "hello world"
        assert templar.evaluate_conditional(trust_as_template("items | length > 0"))
    finally:
        engine_module.TemplateEngine._compile_template, engine_module.TemplateEngine._compile_expression = originals

    recorded = dict(profile_flow._COMPILES)
    profile_flow._COMPILES.clear()
    assert recorded["hello {{ who }}"][0] == 2
    assert recorded["items | length > 0"][0] == 1
    assert all(seconds >= 0 for count, seconds in recorded.values())
