# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # TLS and timeout options every module of both vendors shares; mirrors common_args._transport_options
    # (retry_max_time is there too, but documented per vendor: the two retry differently).
    DOCUMENTATION = r'''
options:
  validate_certs:
    description:
      - Whether to verify the TLS certificate of the server.
      - Set to V(false) for testing only; prefer O(ca_path) for a private certificate authority.
      - V(false) is warned about once per run and connection (C(psa_cw_validate_certs) and
        C(psa_umbrella_validate_certs) in the role).
      - If not set, the value of the environment variable E(CW_VALIDATE_CERTS) (ConnectWise modules) or
        E(UMBRELLA_VALIDATE_CERTS) (Umbrella modules) is used.
    type: bool
    default: true
  allow_plain_http:
    description:
      - Whether an V(http://) URL is accepted. Plain HTTP sends every key and secret in clear, so it is refused
        unless this is V(true), for a lab or the bundled emulator started with C(--plain-http) only; it is then
        warned about once per run and connection.
      - C(psa_allow_plain_http) in the role.
      - If not set, the value of the environment variable E(CW_ALLOW_PLAIN_HTTP) (ConnectWise modules) or
        E(UMBRELLA_ALLOW_PLAIN_HTTP) (Umbrella modules) is used.
    type: bool
    default: false
  ca_path:
    description:
      - A PEM file of certificate authorities that sign the server certificate, used instead of the default
        bundle (E(REQUESTS_CA_BUNDLE) or E(CURL_CA_BUNDLE) when set, else the certifi bundle that C(requests)
        uses), for example the CA file the bundled emulator writes.
      - A bundle is loaded once per process, the default one once per C(ansible-playbook) run.
      - If not set, the value of the environment variable E(CW_CA_PATH) (ConnectWise modules) or
        E(UMBRELLA_CA_PATH) (Umbrella modules) is used.
    type: path
  timeout:
    description:
      - Seconds to wait for the server to answer one request.
      - If not set, the value of the environment variable E(CW_TIMEOUT) (ConnectWise modules) or
        E(UMBRELLA_TIMEOUT) (Umbrella modules) is used.
    type: float
    default: 30
'''
