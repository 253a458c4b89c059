# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where the collection writes a tenant's files: one path per (directory, tenant, suffix), kept inside.

A tenant's name is an inventory host name, which Ansible accepts with ``/``, ``..`` and control
characters; joined to a directory it could name any file of the controller. Such a name is refused,
not encoded: an encoded name would no longer match the file a person looks for, and no real
tenant needs one. A directory must be given as an absolute path: a relative or empty one would
depend on the directory ansible-playbook was started from (an empty one became ``/``).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import stat
import tempfile

# A file name holds at most 255 bytes; the longest the collection makes is the tenant's name, a suffix
# ("-company-mapping.csv") and, while it is written, a temporary file's affixes. 200 leaves room for them,
# so that a long name is refused before any request rather than when its key is stored.
MAX_NAME_BYTES = 200

# Characters a file name of a tenant may not hold: the path separator, NUL and the other control
# characters. A backslash is an ordinary character of a POSIX file name (the controller is POSIX).
_FORBIDDEN = frozenset(["/"] + [chr(code) for code in range(32)] + [chr(127)])


class TenantPathError(ValueError):
    """A tenant name or directory that cannot be turned into a path inside the directory."""


def check_tenant_name(tenant, variable="inventory_hostname"):
    """The tenant's name as a file name, or TenantPathError naming ``variable`` and the fix."""
    name = "" if tenant is None else str(tenant)
    if not name.strip():
        reason = "is empty"
    elif any(char in _FORBIDDEN for char in name):
        reason = "holds a / or a control character"
    elif name.startswith("."):
        reason = "starts with a dot (a hidden file, or a way out of the directory)"
    elif name != name.strip():
        reason = "starts or ends with a space"
    elif len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        reason = "is longer than %d bytes" % MAX_NAME_BYTES
    else:
        return name
    raise TenantPathError("%s %r %s: the collection names the tenant's files after it; rename the inventory host "
                          "(letters, digits, '-', '_' and inner dots)" % (variable, name, reason))


def check_directory(directory, variable):
    """An absolute, normalised directory, or TenantPathError naming ``variable`` and the fix."""
    text = "" if directory is None else os.path.expanduser(str(directory))
    if not text.strip():
        raise TenantPathError("%s is empty: set it to an absolute directory (for example <inventory dir>/keys)"
                              % variable)
    if "\x00" in text:
        raise TenantPathError("%s holds a NUL character: set it to an absolute directory" % variable)
    if not os.path.isabs(text):
        raise TenantPathError("%s %r is a relative path: set it to an absolute directory (a relative one would "
                              "depend on where ansible-playbook is started)" % (variable, text))
    return os.path.normpath(text)


def check_file(path, variable):
    """An absolute, normalised file path (an input such as a mapping file), or TenantPathError."""
    text = "" if path is None else os.path.expanduser(str(path))
    if "\x00" in text or not os.path.isabs(text) or text.endswith(os.sep):
        raise TenantPathError("%s %r is not an absolute file path: give the file's absolute path" % (variable, text))
    return os.path.normpath(text)


def tenant_file(directory, tenant, suffix, directory_variable, tenant_variable="inventory_hostname"):
    """``<directory>/<tenant><suffix>``, guaranteed to be a direct child of the directory."""
    base = check_directory(directory, directory_variable)
    name = check_tenant_name(tenant, tenant_variable) + (suffix or "")
    path = os.path.join(base, name)
    # Belt and braces: whatever the checks above let through, the file's parent is the directory.
    if os.path.dirname(path) != base or os.path.basename(path) != name:
        raise TenantPathError("%s %r would put a file outside %s (%s): rename the inventory host"
                              % (tenant_variable, tenant, directory_variable, base))
    return path


def ensure_directory(path, mode):
    """Create the directory with ``mode`` when it does not exist; an existing one is left as it is.

    Returns True when it was created here. The mode of a directory the collection did not create is
    the operator's choice (it may be their home or ``/``): never changed.
    """
    if os.path.isdir(path):
        return False
    parent = os.path.dirname(path)
    if parent and parent != path:
        ensure_directory(parent, mode)
    try:
        os.mkdir(path, mode)
    except FileExistsError:  # tenants running in parallel make the same new directory
        if os.path.isdir(path):
            return False
        raise
    # mkdir's mode is narrowed by the umask; the collection wants exactly this one on what it made.
    os.chmod(path, mode)
    return True


def write_atomically(path, data, mode):
    """Write ``data`` (bytes) to ``path`` through a temporary file of the same directory, then rename."""
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".%s." % os.path.basename(path), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:  # mkstemp opens it 0600
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def file_mode(path):
    """The permission bits of a regular file, or None when there is none at ``path``.

    Not followed: a symbolic link named like a tenant's file is no file of the collection's, and
    changing "its" mode would change the mode of whatever it points at.
    """
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return None
    return stat.S_IMODE(status.st_mode) if stat.S_ISREG(status.st_mode) else None
