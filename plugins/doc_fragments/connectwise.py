# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Connection options of every ConnectWise module; with the transport fragment, mirrors
    # common_args.CONNECTWISE_ARGSPEC.
    DOCUMENTATION = r'''
options:
  site:
    description:
      - The ConnectWise PSA API host, as V(host), V(host:port) or V(https://host[:port]), without a path.
      - ConnectWise cloud partners use the API host of their region, for example V(api-na.myconnectwise.net),
        V(api-eu.myconnectwise.net), V(api-au.myconnectwise.net), V(api-aus.myconnectwise.net) or
        V(api-za.myconnectwise.net); on-premises servers use their own host name.
      - An V(http://) URL is refused unless O(allow_plain_http=true). A URL holding a user name or password is
        refused, and never shown.
      - If not set, the value of the E(CW_SITE) environment variable is used.
    type: str
    required: true
  company_id:
    description:
      - The company identifier typed on the ConnectWise login screen (the V(Company) field), for example V(acme).
      - If not set, the value of the E(CW_COMPANY_ID) environment variable is used.
    type: str
    required: true
  public_key:
    description:
      - Public key of an API key pair of the ConnectWise API member the tasks act as
        (System > Members > API Members > the member > API Keys).
      - If not set, the value of the E(CW_PUBLIC_KEY) environment variable is used.
    type: str
    required: true
  private_key:
    description:
      - Private key of the same API key pair. ConnectWise shows it only once, when the key is created.
      - Keep it in Ansible Vault or pass it through the environment.
      - If not set, the value of the E(CW_PRIVATE_KEY) environment variable is used.
    type: str
    required: true
  client_id:
    description:
      - The C(clientId) GUID that identifies the integration to ConnectWise, sent as the C(clientId) header
        on every request. Register one for your integration at U(https://developer.connectwise.com/ClientID).
      - If not set, the value of the E(CW_CLIENT_ID) environment variable is used.
    type: str
    required: true
  api_version:
    description:
      - The ConnectWise API version requested in the C(Accept) header
        (C(application/vnd.connectwise.com+json; version=...)).
      - If not set, the value of the E(CW_API_VERSION) environment variable is used.
    type: str
    default: '2025.1'
  codebase:
    description:
      - The codebase part of the API URL, for example V(v2025_1/) or V(v4_6_release/).
      - When not set, it is read once per run from the unauthenticated
        C(https://{site}/login/companyinfo/{company_id}) endpoint.
      - If not set, the value of the E(CW_CODEBASE) environment variable is used.
    type: str
  retry_max_time:
    description:
      - Total seconds the task may spend retrying a request that ConnectWise rate-limits (429, honouring
        C(Retry-After)) or that fails with 502, 503, 504 or a connection error.
      - If not set, the value of the E(CW_RETRY_MAX_TIME) environment variable is used.
      - When this budget is spent the task fails with a message naming the request and the last answer.
      - A write that the server may already have applied is not sent again blindly. A C(PATCH) that only replaces
        fields is, since applying it twice changes nothing, and so is the extension's customize list C(PATCH), whose
        list is a set. After a creating C(POST) whose answer was lost, the module looks for what it would have made
        (a role by name, a member by identifier) and creates it only if it is not there; an API key whose answer was
        lost is deleted and created again, since its private half was in that answer. Any other C(PATCH) that adds or
        removes fails instead.
    type: float
    default: 120
'''
