"""Stand-in for the pip bootstrap script that ansible-test downloads from its own file host.

ansible-test creates its virtualenvs without pip and then runs a downloaded ``get-pip.py``. Where
only the package registry is reachable, this script does the same job: it installs the pip that
ships with Python (``ensurepip``) and then lets that pip install the requested version from the
configured index. It is copied into ansible-test's cache by ``scripts/sanity``.
"""

import subprocess
import sys

IGNORED = {"--no-setuptools", "--no-wheel"}


def main():
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
    args = [arg for arg in sys.argv[1:] if arg not in IGNORED]
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet"] + args)


if __name__ == "__main__":
    main()
