# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Connection options of each vendor, shared by every module of that vendor, and their defaults.

The clients take their defaults from here (one place). They match doc_fragments/connectwise.py, umbrella.py and transport.py option for option; change them
together. Engines merge them into their ARGUMENT_SPEC:
``ARGUMENT_SPEC = dict(CONNECTWISE_ARGSPEC, name=dict(type='str', required=True), ...)``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback

DEFAULT_API_VERSION = '2025.1'
DEFAULT_BASE_URL = 'https://api.umbrella.com'
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRY_MAX_TIME = 120.0


def _transport_options(prefix):
    """TLS and timeout options, each with the environment fallback ``<prefix>_<OPTION>`` (CW_, UMBRELLA_)
    that a pipeline sets once for every task."""
    def env(name):
        return (env_fallback, ['%s_%s' % (prefix, name.upper())])
    return dict(
        validate_certs=dict(type='bool', default=True, fallback=env('validate_certs')),
        # Plain HTTP sends every key in clear: refused unless a lab says so (and then warned about).
        allow_plain_http=dict(type='bool', default=False, fallback=env('allow_plain_http')),
        ca_path=dict(type='path', fallback=env('ca_path')),
        timeout=dict(type='float', default=DEFAULT_TIMEOUT, fallback=env('timeout')),
        retry_max_time=dict(type='float', default=DEFAULT_RETRY_MAX_TIME, fallback=env('retry_max_time')),
    )


CONNECTWISE_ARGSPEC = dict(
    site=dict(type='str', required=True, fallback=(env_fallback, ['CW_SITE'])),
    company_id=dict(type='str', required=True, fallback=(env_fallback, ['CW_COMPANY_ID'])),
    # The public half of a key pair identifies the key; it is not a secret (no_log stated explicitly
    # because the name contains "key").
    public_key=dict(type='str', required=True, no_log=False, fallback=(env_fallback, ['CW_PUBLIC_KEY'])),
    private_key=dict(type='str', required=True, no_log=True, fallback=(env_fallback, ['CW_PRIVATE_KEY'])),
    client_id=dict(type='str', required=True, fallback=(env_fallback, ['CW_CLIENT_ID'])),
    api_version=dict(type='str', default=DEFAULT_API_VERSION, fallback=(env_fallback, ['CW_API_VERSION'])),
    codebase=dict(type='str', fallback=(env_fallback, ['CW_CODEBASE'])),
    **_transport_options('CW')
)

UMBRELLA_ARGSPEC = dict(
    base_url=dict(type='str', default=DEFAULT_BASE_URL, fallback=(env_fallback, ['UMBRELLA_BASE_URL'])),
    api_key=dict(type='str', required=True, no_log=False, fallback=(env_fallback, ['UMBRELLA_API_KEY'])),
    api_secret=dict(type='str', required=True, no_log=True, fallback=(env_fallback, ['UMBRELLA_API_SECRET'])),
    org_id=dict(type='str', fallback=(env_fallback, ['UMBRELLA_ORG_ID'])),
    **_transport_options('UMBRELLA')
)
