# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Every module of the collection: check mode and diff are computed by the shared engine.
    DOCUMENTATION = r'''
options: {}
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
    support: full
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: all
'''

    # Read-only modules: nothing to predict, nothing to diff.
    INFO_MODULE = r'''
options: {}
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
    support: N/A
    details:
      - This action does not modify state.
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: all
'''

    ACTIONGROUP_CONNECTWISE = r'''
options: {}
attributes:
  action_group:
    description: Use C(group/msp.umbrella_psa.connectwise) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - msp.umbrella_psa.connectwise
'''

    ACTIONGROUP_UMBRELLA = r'''
options: {}
attributes:
  action_group:
    description: Use C(group/msp.umbrella_psa.umbrella) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - msp.umbrella_psa.umbrella
'''
