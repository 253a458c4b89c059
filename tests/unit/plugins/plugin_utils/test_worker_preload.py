"""What ansible-playbook preloads before forking is what its workers then find loaded.

Each case runs in a process of its own, single-threaded as ansible-playbook is when it forks a
worker, with the collection loader installed as the Ansible CLI installs it; the "worker" is a
multiprocessing process forked from it, as Ansible's are. It records every plugin source a loader
had to import while it asked for the plugins the role uses.
"""

import json
import os
import subprocess
import sys

import ansible_collections

SCRIPT = """
import json, multiprocessing, os, sys
import jinja2.lexer
from ansible.plugins.loader import PluginLoader, init_plugin_loader

init_plugin_loader([sys.argv[1]])
from ansible_collections.msp.umbrella_psa.plugins.plugin_utils import worker_preload

mode = sys.argv[2]
if mode == "preload":
    worker_preload.preload_for_workers()
reader, writer = os.pipe()


def worker():
    report = {"imported": [], "found": []}
    original = PluginLoader._load_module_source

    def recording(self, *args, **kwargs):
        report["imported"].append(os.path.basename(kwargs.get("path") or args[-1]))
        return original(self, *args, **kwargs)

    PluginLoader._load_module_source = recording
    try:
        if mode == "preload-in-worker":
            worker_preload.preload_for_workers()
            report["imported_by_preload"], report["imported"] = report["imported"], []
        for loader, names in worker_preload.PRELOADED:
            report["found"] += [loader.get(name) is not None for name in names]
        # Any of Ansible's own filters, not only the one named in PRELOADED.
        report["found"].append(worker_preload.filter_loader.get("ansible.builtin.urlsplit") is not None)
        # A condition of the worker's own: Jinja's lexer is built anew unless it was before the fork.
        lexer_init = jinja2.lexer.Lexer.__init__
        report["lexers_built"] = 0

        def counting(self, *args, **kwargs):
            report["lexers_built"] += 1
            return lexer_init(self, *args, **kwargs)

        jinja2.lexer.Lexer.__init__ = counting
        condition = worker_preload.trust_as_template("{{ [1] | length > 0 }}")
        report["condition"] = worker_preload.Templar(loader=worker_preload.DataLoader()).template(condition)
    except Exception as exc:
        report["error"] = repr(exc)
    os.write(writer, json.dumps(report).encode())


process = multiprocessing.get_context("fork").Process(target=worker)
process.start()
process.join()
os.close(writer)
with os.fdopen(reader) as pipe:
    sys.stdout.write(pipe.read())
"""


def collections_root():
    """The directory holding the ansible_collections tree this test imports the collection from."""
    for path in ansible_collections.__path__:
        if os.path.isdir(os.path.join(path, "msp", "umbrella_psa")):
            return os.path.dirname(path)
    raise AssertionError("msp.umbrella_psa is not under %s" % list(ansible_collections.__path__))


def forked_worker(mode):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    done = subprocess.run([sys.executable, "-c", SCRIPT, collections_root(), mode], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert "error" not in report, report["error"]
    assert report["found"] and all(report["found"]), json.dumps(report)
    return report


def test_without_a_preload_every_worker_imports_the_plugins_itself():
    report = forked_worker("none")
    assert report["condition"] is True and report["lexers_built"] == 1
    imported = report["imported"]
    assert "key_store.py" in imported, imported  # the collection's lookup
    assert "core.py" in imported, imported  # Ansible's filters and tests


def test_after_the_preload_a_forked_worker_imports_none_of_them():
    report = forked_worker("preload")
    assert report["imported"] == []
    # Its first template finds Jinja's lexer built.
    assert report["condition"] is True and report["lexers_built"] == 0


def test_the_preload_does_nothing_in_a_worker():
    report = forked_worker("preload-in-worker")
    assert report["imported_by_preload"] == []
    assert "key_store.py" in report["imported"]
