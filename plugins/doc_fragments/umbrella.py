# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Connection options of every Umbrella module; with the transport fragment, mirrors
    # common_args.UMBRELLA_ARGSPEC.
    DOCUMENTATION = r'''
options:
  base_url:
    description:
      - The Umbrella API base URL, without a path.
      - Use V(https://api.umbrellagov.com) for Umbrella for Government.
      - If not set, the value of the E(UMBRELLA_BASE_URL) environment variable is used.
      - An V(http://) URL is refused unless O(allow_plain_http=true). A URL holding a user name or password is
        refused, and never shown.
    type: str
    default: https://api.umbrella.com
  api_key:
    description:
      - The key of an Umbrella API key of the MSP or MSSP console (Admin > API Keys).
      - The key needs the scopes the task uses; one parent-console key serves all its child organizations
        through O(org_id).
      - If not set, the value of the E(UMBRELLA_API_KEY) environment variable is used.
    type: str
    required: true
  api_secret:
    description:
      - The secret of that API key. Umbrella shows it only once, when the key is created.
      - Keep it in Ansible Vault or pass it through the environment.
      - If not set, the value of the E(UMBRELLA_API_SECRET) environment variable is used.
    type: str
    required: true
  org_id:
    description:
      - The organization ID of a child organization to act on, sent as the C(X-Umbrella-OrgId) header.
      - Leave unset to act on the API key's own organization.
      - If not set, the value of the E(UMBRELLA_ORG_ID) environment variable is used.
    type: str
  retry_max_time:
    description:
      - Total seconds the task may spend retrying a request that Umbrella rate-limits (429, retried after
        about a second with jitter, growing) or that fails with 502, 503, 504 or a connection error.
      - If not set, the value of the E(UMBRELLA_RETRY_MAX_TIME) environment variable is used.
      - When this budget is spent the task fails with a message naming the request and the last answer.
      - A write that the server may already have applied (a C(POST) or C(PATCH)) is not sent again; the token request is,
        since it writes nothing.
    type: float
    default: 120
notes:
  - The access token is requested once per API key and shared by every task of the same process until
    shortly before it expires; Umbrella allows 20 token requests a minute per key.
'''
