"""``make docs``: the collection's reference documentation as an HTML site, built the way the Ansible docs are.

1. ``antsibull-docs sphinx-init`` writes a Sphinx project (conf.py, antsibull-docs.cfg) into DEST;
2. ``antsibull-docs collection`` writes one reStructuredText page per plugin and for the role into
   DEST/rst, failing on any documentation it cannot parse;
3. ``sphinx-build`` renders DEST/build/html, every warning an error.

The collection is read from ``ANSIBLE_COLLECTIONS_PATH`` (``make docs`` points it at build/). The pages
link to a few sections of the Ansible documentation (how action plugins run, common return values);
their addresses come from the small inventory below instead of the Ansible docs site's own, so the
build needs no network and a page that links anywhere else fails it.
"""

import argparse
import os
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

COLLECTION = "msp.umbrella_psa"
ANSIBLE_DOCS = "https://docs.ansible.com/projects/ansible/devel/"
# label -> (page and anchor under ANSIBLE_DOCS, title): every Ansible docs label the generated pages use.
ANSIBLE_LABELS = {
    "action_plugins": ("plugins/action.html#action-plugins", "Action plugins"),
    "callback_plugins": ("plugins/callback.html#callback-plugins", "Callback plugins"),
    "common_return_values": ("reference_appendices/common_return_values.html#common-return-values",
                             "Return Values"),
    "ansible_configuration_settings": ("reference_appendices/config.html#ansible-configuration-settings",
                                       "Ansible Configuration Settings"),
}
BIN = Path(sys.executable).parent


class BuildError(Exception):
    pass


def run(*command, cwd, quiet=False):
    """Run a tool of this virtualenv; with quiet, its output is shown only when it fails."""
    proc = subprocess.run([str(BIN / command[0]), *command[1:]], cwd=str(cwd), check=False, text=True,
                          capture_output=quiet)
    if proc.returncode:
        if quiet:
            sys.stdout.write(proc.stdout + proc.stderr)
        raise BuildError("%s failed (exit code %d), see above" % (" ".join(command[:2]), proc.returncode))


def write_inventory(path):
    """A Sphinx object inventory (version 2) holding ANSIBLE_LABELS."""
    lines = "".join("%s std:label -1 %s %s\n" % (label, uri, title)
                    for label, (uri, title) in sorted(ANSIBLE_LABELS.items()))
    header = ("# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n"
              "# The remainder of this file is compressed using zlib.\n")
    path.write_bytes(header.encode() + zlib.compress(lines.encode()))


def build(dest):
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    run("antsibull-docs", "sphinx-init", "--use-current", "--squash-hierarchy", "--dest-dir", ".",
        "--project", COLLECTION, "--copyright", "%s contributors" % COLLECTION,
        "--title", "%s documentation" % COLLECTION, COLLECTION, cwd=dest, quiet=True)
    write_inventory(dest / "ansible_devel.inv")
    with open(dest / "conf.py", "a", encoding="utf-8") as conf:
        conf.write("\n# Offline: the labels of the Ansible docs that the pages use (scripts/build_docs.py).\n"
                   "intersphinx_mapping = {'ansible_devel': (%r, %r)}\n" % (ANSIBLE_DOCS, str(dest / "ansible_devel.inv")))
    (dest / "rst").chmod(0o755)  # antsibull-docs refuses a destination others may write to
    run("antsibull-docs", "--config-file", "antsibull-docs.cfg", "collection", "--use-current", "--squash-hierarchy",
        "--fail-on-error", "--cleanup", "everything", "--dest-dir", "rst", COLLECTION, cwd=dest)
    run("sphinx-build", "-M", "html", "rst", "build", "-c", ".", "-W", "--keep-going", "-q", cwd=dest)
    return dest / "build" / "html"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, help="directory for the Sphinx project; the site goes to DEST/build/html")
    args = parser.parse_args()
    if not os.environ.get("ANSIBLE_COLLECTIONS_PATH"):
        sys.exit("Set ANSIBLE_COLLECTIONS_PATH to a directory holding ansible_collections/msp/umbrella_psa "
                 "(make docs does).")
    try:
        html = build(args.dest.resolve())
    except BuildError as exc:
        sys.exit(str(exc))
    print("HTML documentation: %s" % (html / "index.html"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
