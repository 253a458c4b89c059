"""Stop a process and everything it started, the way a crash would."""

import os
import signal


def _children():
    """{parent pid: [child pids]} of every process, from /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, encoding="utf-8", errors="replace") as handle:
                # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    return children


def _tree(pid):
    tree, pending, children = [], [pid], _children()
    while pending:
        current = pending.pop()
        tree.append(current)
        pending.extend(children.get(current, []))
    return tree


def kill_tree(process):
    """SIGKILL a process started in its own session (a playbook), its process group and every
    descendant; wait for it.

    ansible-core's task workers leave the playbook's process group (setsid), so a signal to the group
    alone would leave them running the current task: the tree is frozen (SIGSTOP, so that nothing
    forks in between), then killed.
    """
    if process.poll() is None:
        frozen = set()
        for _round in range(3):
            for pid in set(_tree(process.pid)) - frozen:
                try:
                    os.kill(pid, signal.SIGSTOP)
                    frozen.add(pid)
                except ProcessLookupError:
                    pass
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for pid in frozen:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    process.wait()
