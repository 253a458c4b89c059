# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs msp.umbrella_psa.umbrella_psa_integration_info in-process on the controller (see engine_action.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.msp.umbrella_psa.plugins.plugin_utils.engine_action import EngineAction
from ansible_collections.msp.umbrella_psa.plugins.module_utils import umbrella_psa_integration_info as engine


class ActionModule(EngineAction):
    ENGINE = engine
