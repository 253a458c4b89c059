#!/usr/bin/env python
"""What one fork costs as the forking process grows: the kernel's share of every Ansible task.

ansible-playbook forks a worker for every task of every host, and holds state for every host of the
inventory, so it grows with the tenants. A fork copies the parent's page tables, and the child's exit
tears its own down: both in proportion to the parent's resident memory. This script measures it
without Ansible: a process grown with small Python objects to SIZE MiB resident forks children that
exit at once, and the system CPU of both sides is printed per fork.

    python benchmarks/fork_cost.py [--sizes 50,100,250] [--forks 200]
"""

import argparse
import os
import resource
import sys
import time


def _rss_mib():
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return 0


def measure(forks):
    """Per fork, in ms: the parent's system CPU, the children's system CPU, and wall time."""
    self_before = resource.getrusage(resource.RUSAGE_SELF)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    for _fork in range(forks):
        pid = os.fork()
        if pid == 0:
            os._exit(0)  # pylint: disable=protected-access  # the child does nothing but exit
        os.waitpid(pid, 0)
    wall = time.perf_counter() - started
    self_after = resource.getrusage(resource.RUSAGE_SELF)
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (1000.0 * (self_after.ru_stime - self_before.ru_stime) / forks,
            1000.0 * (children_after.ru_stime - children_before.ru_stime) / forks,
            1000.0 * wall / forks)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="70,100,230,250",
                        help="resident MiB to grow to before measuring, comma-separated")
    parser.add_argument("--forks", type=int, default=200)
    args = parser.parse_args(argv)
    print("| resident MiB | parent sys ms/fork | child sys ms/fork (its exit) | wall ms/fork |")
    print("|---:|---:|---:|---:|")
    held = []
    for size in sorted(int(s) for s in args.sizes.split(",")):
        while _rss_mib() < size:
            # Small strings, as Ansible's per-host state is many small objects.
            held.append([str(i) * 10 for i in range(len(held) * 13000, (len(held) + 1) * 13000)])
        parent_ms, child_ms, wall_ms = measure(args.forks)
        print("| %d | %.2f | %.2f | %.2f |" % (_rss_mib(), parent_ms, child_ms, wall_ms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
