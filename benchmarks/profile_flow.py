#!/usr/bin/env python
"""ansible-playbook under cProfile, its forked workers included.

Each task of each host runs in a WorkerProcess forked from ansible-playbook; that is where action
plugins (and so this collection's engines and HTTP clients) run. A profile of the main process
alone shows only the strategy loop, so every worker writes its own profile here, and ``--report``
merges them.

Profiles count CPU time (``time.process_time``), not wall time: ten workers sharing two cores
spend most of their wall time waiting for a core, and a wall-clock profile charges that wait to
whatever function happened to be running. Every worker also records what it cost the machine
(``getrusage``: user and system seconds, minor page faults); ``--by-task`` sums both per task.
``--rusage-only`` records the costs without the profiler, whose own overhead inflates them.

    python benchmarks/profile_flow.py --out DIR [--rusage-only] -- <ansible-playbook arguments>
    python benchmarks/profile_flow.py --report DIR [--top 25] [--by-task]
"""

import argparse
import cProfile
import glob
import io
import json
import os
import pstats
import resource
import sys
import time


def _worker_stem(out_dir, task):
    # The task's name in the file name lets --by-task sum the workers of each task.
    name = "".join(c if c.isalnum() else "_" for c in task.get_name())[:80]
    return os.path.join(out_dir, "worker-%d-%s" % (os.getpid(), name))


def _write_rusage(stem):
    usage = resource.getrusage(resource.RUSAGE_SELF)  # a forked worker starts from zero
    with open(stem + ".rusage", "w", encoding="utf-8") as handle:
        json.dump({"user_s": usage.ru_utime, "system_s": usage.ru_stime, "minor_faults": usage.ru_minflt}, handle)


_COMPILES = {}


def _record_compiles():
    """Time every Jinja compilation (templates and conditionals) of this process, by source text.

    A worker is forked anew for every task and starts with nothing compiled, so each template the
    task meets is compiled again in every tenant's worker; this shows which ones cost the most.
    ansible-core 2.19 and later only (its templating engine).
    """
    try:
        from ansible._internal._templating._engine import TemplateEngine
    except ImportError:
        return

    def timed(original):
        def compile_timed(self, source, options):
            started = time.process_time()
            try:
                return original(self, source, options)
            finally:
                entry = _COMPILES.setdefault(str(source), [0, 0.0])
                entry[0] += 1
                entry[1] += time.process_time() - started
        return compile_timed

    TemplateEngine._compile_template = timed(TemplateEngine._compile_template)
    TemplateEngine._compile_expression = timed(TemplateEngine._compile_expression)


def _write_compiles(stem):
    if _COMPILES:
        with open(stem + ".compiles", "w", encoding="utf-8") as handle:
            json.dump(_COMPILES, handle)


def _profile_workers(out_dir, with_profiler=True):
    from ansible.executor.process import worker

    _record_compiles()

    original = worker.WorkerProcess._run

    def profiled_run(self):
        _COMPILES.clear()  # a forked worker inherits what ansible-playbook compiled before the fork
        profiler = cProfile.Profile(time.process_time) if with_profiler else None
        if profiler:
            profiler.enable()
        try:
            return original(self)
        finally:
            stem = _worker_stem(out_dir, self._task)
            if profiler:
                profiler.disable()
                profiler.dump_stats(stem + ".prof")
            _write_rusage(stem)
            _write_compiles(stem)

    worker.WorkerProcess._run = profiled_run


def run_profiled(out_dir, playbook_args, with_profiler=True):
    os.makedirs(out_dir, exist_ok=True)
    _profile_workers(out_dir, with_profiler)
    from ansible.cli.playbook import main as playbook_main

    profiler = cProfile.Profile(time.process_time) if with_profiler else None
    if profiler:
        profiler.enable()
    try:
        playbook_main(["ansible-playbook"] + playbook_args)
    except SystemExit as exit_:
        return exit_.code or 0
    finally:
        if profiler:
            profiler.disable()
            profiler.dump_stats(os.path.join(out_dir, "main-%d.prof" % os.getpid()))
        # ansible-playbook's own CPU, its workers excluded: what the strategy loop, the forks and
        # the result handling cost, apart from what the workers do and what their exits cost.
        _write_rusage(os.path.join(out_dir, "main-%d" % os.getpid()))
    return 0


def _stats_text(files, sort, top):
    stream = io.StringIO()
    stats = pstats.Stats(*files, stream=stream)
    stats.files = []  # one header line per merged file would bury the table
    stats.strip_dirs().sort_stats(sort).print_stats(top)
    return stream.getvalue()


def _written(pattern):
    # A worker still writing its profile when the run ended leaves an empty file behind.
    return sorted(path for path in glob.glob(pattern) if os.path.getsize(path) > 0)


def report(out_dir, top):
    workers = _written(os.path.join(out_dir, "worker-*.prof"))
    mains = _written(os.path.join(out_dir, "main-*.prof"))
    parts = []
    for label, files in (("main process (strategy, results, callbacks)", mains),
                         ("workers (%d task executions)" % len(workers), workers)):
        if not files:
            continue
        for sort in ("tottime", "cumulative"):
            parts.append("=== %s, by %s ===\n%s" % (label, sort, _stats_text(files, sort, top)))
    return "\n".join(parts)


def _read_rusage(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except ValueError:  # a worker cut short mid-write
        return None


def by_task(out_dir):
    """CPU per task name, largest first: which tasks of the flow cost the most, and in what."""
    totals = {}
    for path in sorted(glob.glob(os.path.join(out_dir, "worker-*.rusage"))):
        usage = _read_rusage(path)
        if usage is None:
            continue
        task = os.path.basename(path)[:-len(".rusage")].split("-", 2)[-1]
        entry = totals.setdefault(task, {"runs": 0, "user_s": 0.0, "system_s": 0.0, "minor_faults": 0})
        entry["runs"] += 1
        for key in ("user_s", "system_s", "minor_faults"):
            entry[key] += usage[key]
    lines = ["%9s %6s %8s %8s %8s %8s  %s" % ("CPU s", "runs", "ms/run", "user ms", "sys ms", "faults", "task")]
    for task, entry in sorted(totals.items(), key=lambda item: -(item[1]["user_s"] + item[1]["system_s"])):
        lines.append(_by_task_line(task, entry))
    mains = [usage for usage in map(_read_rusage, sorted(glob.glob(os.path.join(out_dir, "main-*.rusage")))) if usage]
    if mains:
        entry = {"runs": len(mains), **{key: sum(usage[key] for usage in mains) for key in ("user_s", "system_s", "minor_faults")}}
        lines.append(_by_task_line("(ansible-playbook itself, its workers excluded)", entry))
    return "\n".join(lines) + "\n"


def compiles(out_dir, top):
    """The Jinja sources compiled in the workers, costliest first: count and CPU per source."""
    totals = {}
    for path in glob.glob(os.path.join(out_dir, "worker-*.compiles")):
        try:
            with open(path, encoding="utf-8") as handle:
                recorded = json.load(handle)
        except ValueError:  # a worker cut short mid-write
            continue
        for source, (count, seconds) in recorded.items():
            entry = totals.setdefault(source, [0, 0.0])
            entry[0] += count
            entry[1] += seconds
    lines = ["%9s %8s %8s  %s" % ("CPU s", "compiles", "ms each", "source (first 100 characters)")]
    ranked = sorted(totals.items(), key=lambda item: -item[1][1])
    for source, (count, seconds) in ranked[:top]:
        lines.append("%9.2f %8d %8.2f  %s" % (seconds, count, 1000 * seconds / count, " ".join(source.split())[:100]))
    lines.append("%9.2f %8d %8s  (all %d sources)" % (sum(e[1] for e in totals.values()), sum(e[0] for e in totals.values()), "", len(totals)))
    return "\n".join(lines) + "\n"


def _by_task_line(task, entry):
    runs, cpu = entry["runs"], entry["user_s"] + entry["system_s"]
    return "%9.2f %6d %8.1f %8.1f %8.1f %8d  %s" % (
        cpu, runs, 1000 * cpu / runs, 1000 * entry["user_s"] / runs, 1000 * entry["system_s"] / runs,
        entry["minor_faults"] // runs, task)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    rest = []
    if "--" in argv:
        rest = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="directory for the .prof files of a profiled run")
    parser.add_argument("--report", help="merge and print the profiles in this directory")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--by-task", action="store_true", help="with --report: worker CPU per task name")
    parser.add_argument("--compiles", action="store_true",
                        help="with --report: the Jinja sources the workers compiled, costliest first")
    parser.add_argument("--rusage-only", action="store_true",
                        help="with --out: record each worker's CPU and page faults without profiling it")
    args = parser.parse_args(argv)
    if args.report:
        if args.compiles:
            sys.stdout.write(compiles(args.report, args.top))
        else:
            sys.stdout.write(by_task(args.report) if args.by_task else report(args.report, args.top))
        return 0
    if not args.out or not rest:
        parser.error("give --out DIR -- <ansible-playbook arguments>, or --report DIR")
    return run_profiled(args.out, rest, with_profiler=not args.rusage_only)


if __name__ == "__main__":
    sys.exit(main())
