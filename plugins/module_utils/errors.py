# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The root of every error this collection explains to the user in one line.

Transport failures (``http.TransportError``), vendor answers (``ConnectWiseError``, ``UmbrellaError``),
unquotable condition values and engine refusals (``EngineError``) all derive from ``PsaError``, so an
entry point catches one type and shows its message without a traceback; anything else is a bug.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class PsaError(Exception):
    """An expected failure whose ``str()`` is one line that names what to fix and holds no secret."""
