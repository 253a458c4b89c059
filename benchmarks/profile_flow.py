#!/usr/bin/env python
"""ansible-playbook under cProfile, its forked workers included.

Each task of each host runs in a WorkerProcess forked from ansible-playbook; that is where action
plugins (and so this collection's engines and HTTP clients) run. A profile of the main process
alone shows only the strategy loop, so every worker writes its own profile here, and ``--report``
merges them.

    python benchmarks/profile_flow.py --out DIR -- <ansible-playbook arguments>
    python benchmarks/profile_flow.py --report DIR [--top 25]
"""

import argparse
import cProfile
import glob
import io
import os
import pstats
import sys


def _profile_workers(out_dir):
    from ansible.executor.process import worker

    original = worker.WorkerProcess._run

    def profiled_run(self):
        profiler = cProfile.Profile()
        profiler.enable()
        try:
            return original(self)
        finally:
            profiler.disable()
            # The task's name in the file name lets --by-task sum the workers of each task.
            name = "".join(c if c.isalnum() else "_" for c in self._task.get_name())[:80]
            profiler.dump_stats(os.path.join(out_dir, "worker-%d-%s.prof" % (os.getpid(), name)))

    worker.WorkerProcess._run = profiled_run


def run_profiled(out_dir, playbook_args):
    os.makedirs(out_dir, exist_ok=True)
    _profile_workers(out_dir)
    from ansible.cli.playbook import main as playbook_main

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        playbook_main(["ansible-playbook"] + playbook_args)
    except SystemExit as exit_:
        return exit_.code or 0
    finally:
        profiler.disable()
        profiler.dump_stats(os.path.join(out_dir, "main-%d.prof" % os.getpid()))
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


def by_task(out_dir):
    """Worker seconds per task name, largest first: which tasks of the flow cost the most."""
    totals = {}
    for path in _written(os.path.join(out_dir, "worker-*.prof")):
        task = os.path.basename(path)[:-len(".prof")].split("-", 2)[-1]
        seconds, runs = totals.get(task, (0.0, 0))
        totals[task] = (seconds + pstats.Stats(path).total_tt, runs + 1)
    lines = ["%9s %6s  %s" % ("worker s", "runs", "task")]
    for task, (seconds, runs) in sorted(totals.items(), key=lambda item: -item[1][0]):
        lines.append("%9.2f %6d  %s" % (seconds, runs, task))
    return "\n".join(lines) + "\n"


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
    parser.add_argument("--by-task", action="store_true", help="with --report: worker seconds per task name")
    args = parser.parse_args(argv)
    if args.report:
        sys.stdout.write(by_task(args.report) if args.by_task else report(args.report, args.top))
        return 0
    if not args.out or not rest:
        parser.error("give --out DIR -- <ansible-playbook arguments>, or --report DIR")
    return run_profiled(args.out, rest)


if __name__ == "__main__":
    sys.exit(main())
