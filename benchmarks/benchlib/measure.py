"""Run one command and measure what it costs: wall time, CPU of the whole process tree, memory.

CPU time is the user+system time of every process of the tree (ansible-playbook, its forked
workers, the module interpreters they start), taken from ``getrusage(RUSAGE_CHILDREN)`` around
the run: a process's children are counted once they have been waited for, and Ansible waits for
all of its own.

Memory is sampled from ``/proc``: the sum over the live tree (a run with ten forks is ten processes
at once), the root's own (``ansible-playbook``, the controller, which holds the run's state and
which every worker is forked from) and the largest single process (which may be a worker: its RSS
counts the pages it still shares with ansible-playbook). Not ``ru_maxrss``: Linux carries the
peak of the process that spawned a command into the command's own ``ru_maxrss``, across the
exec, so for a run started by this harness it reported the harness's memory, not the run's.
"""

import os
import resource
import subprocess
import threading
import time
from dataclasses import asdict, dataclass

PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass
class Measurement:
    returncode: int
    wall_s: float
    cpu_user_s: float
    cpu_system_s: float
    tree_rss_peak_kib: int
    tree_pss_peak_kib: int
    tree_processes_peak: int
    # Page faults of the tree that needed no disk: forked workers copying pages of ansible-playbook
    # they touch (copy-on-write) and memory they allocate; most of a run's system CPU time.
    minor_page_faults: int = 0
    # The root process alone (ansible-playbook): the controller's own peak.
    root_rss_peak_kib: int = 0
    # The largest single process of the tree at any sample.
    largest_process_rss_peak_kib: int = 0

    @property
    def cpu_s(self):
        return self.cpu_user_s + self.cpu_system_s

    def as_dict(self):
        data = asdict(self)
        data["cpu_s"] = round(self.cpu_s, 3)
        return data


def _children_map():
    """{parent pid: [child pids]} of every process visible in /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the fields start after the last ')'.
        fields = stat[stat.rfind(b")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def _tree(root):
    children = _children_map()
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, ()))
    return found


def _memory_kib(pid):
    """(RSS, PSS) of one process in KiB; PSS splits pages shared by forked workers fairly."""
    rss = pss = 0
    try:
        with open("/proc/%d/smaps_rollup" % pid, encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
        return rss, pss
    except OSError:
        pass
    try:
        with open("/proc/%d/statm" % pid, encoding="ascii") as handle:
            rss = int(handle.read().split()[1]) * PAGE_KIB
    except OSError:
        return 0, 0
    return rss, rss


class TreeMemorySampler:
    """Polls the memory of a process tree in a background thread and keeps the peaks."""

    def __init__(self, root_pid, interval=0.2):
        self.root_pid = root_pid
        self.interval = interval
        self.rss_peak = self.pss_peak = self.processes_peak = self.root_rss_peak = self.largest_rss_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tree-memory-sampler", daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join()

    def _run(self):
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self):
        pids = _tree(self.root_pid)
        rss = pss = 0
        for pid in pids:
            one_rss, one_pss = _memory_kib(pid)
            rss += one_rss
            pss += one_pss
            self.largest_rss_peak = max(self.largest_rss_peak, one_rss)
            if pid == self.root_pid:
                self.root_rss_peak = max(self.root_rss_peak, one_rss)
        self.rss_peak = max(self.rss_peak, rss)
        self.pss_peak = max(self.pss_peak, pss)
        self.processes_peak = max(self.processes_peak, len(pids))


def run_measured(cmd, env, cwd, stdout_path, stderr_path, sample_interval=0.2):
    """Run ``cmd`` to completion (output to files) and return its Measurement."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with open(stdout_path, "wb") as stdout, open(stderr_path, "wb") as stderr:
        process = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=stdout, stderr=stderr)
    sampler = TreeMemorySampler(process.pid, sample_interval)
    sampler.start()
    try:
        process.wait()
    finally:
        wall = time.perf_counter() - started
        sampler.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Measurement(
        returncode=process.returncode,
        wall_s=round(wall, 3),
        cpu_user_s=round(after.ru_utime - before.ru_utime, 3),
        cpu_system_s=round(after.ru_stime - before.ru_stime, 3),
        tree_rss_peak_kib=sampler.rss_peak,
        tree_pss_peak_kib=sampler.pss_peak,
        tree_processes_peak=sampler.processes_peak,
        minor_page_faults=after.ru_minflt - before.ru_minflt,
        root_rss_peak_kib=sampler.root_rss_peak,
        largest_process_rss_peak_kib=sampler.largest_rss_peak,
    )
