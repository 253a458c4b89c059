# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Connection option specs: environment fallbacks, clients built from them (one factory), docs that match them."""

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.msp.umbrella_psa.plugins.doc_fragments import connectwise as cw_doc
from ansible_collections.msp.umbrella_psa.plugins.doc_fragments import transport as transport_doc
from ansible_collections.msp.umbrella_psa.plugins.doc_fragments import umbrella as umbrella_doc
from ansible_collections.msp.umbrella_psa.plugins.module_utils import umbrella
from ansible_collections.msp.umbrella_psa.plugins.module_utils import umbrella_psa_company_mapping
from ansible_collections.msp.umbrella_psa.plugins.module_utils.common_args import (
    CONNECTWISE_ARGSPEC,
    UMBRELLA_ARGSPEC,
)
from ansible_collections.msp.umbrella_psa.plugins.module_utils.connectwise import ConnectWiseClient
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import build_client, build_clients
from ansible_collections.msp.umbrella_psa.plugins.module_utils.json_client import NoRunCache

CW_ENV = {'CW_SITE': 'cw.example.test:8443', 'CW_COMPANY_ID': 'acme', 'CW_PUBLIC_KEY': 'pub',
          'CW_PRIVATE_KEY': 'env-private', 'CW_CLIENT_ID': 'client-guid'}
UMBRELLA_ENV = {'UMBRELLA_API_KEY': 'k', 'UMBRELLA_API_SECRET': 'env-secret', 'UMBRELLA_ORG_ID': '77'}


def validate(spec, params):
    result = ArgumentSpecValidator(spec).validate(params)
    return result


TRANSPORT = ('VALIDATE_CERTS', 'ALLOW_PLAIN_HTTP', 'CA_PATH', 'TIMEOUT', 'RETRY_MAX_TIME')


@pytest.fixture
def no_env(monkeypatch):
    for name in list(CW_ENV) + list(UMBRELLA_ENV) + ['CW_API_VERSION', 'CW_CODEBASE', 'UMBRELLA_BASE_URL'] + [
            '%s_%s' % (prefix, option) for prefix in ('CW', 'UMBRELLA') for option in TRANSPORT]:
        monkeypatch.delenv(name, raising=False)


def test_required_connectwise_options_come_from_the_environment(monkeypatch, no_env):
    for name, value in CW_ENV.items():
        monkeypatch.setenv(name, value)
    result = validate(CONNECTWISE_ARGSPEC, {})
    assert not result.error_messages
    params = result.validated_parameters
    assert params['site'] == 'cw.example.test:8443' and params['private_key'] == 'env-private'
    assert params['api_version'] == '2025.1' and params['timeout'] == 30.0 and params['retry_max_time'] == 120.0
    assert 'env-private' in result._no_log_values  # pylint: disable=protected-access
    client = build_client('connectwise', params)
    assert client.origin == 'https://cw.example.test:8443'
    assert client.timeout == 30.0 and client.api_version == '2025.1'
    # Without a run cache a client shares nothing beyond itself.
    assert isinstance(client.cache, NoRunCache) and client.cache.lasting is False


def test_every_connection_option_a_pipeline_sets_has_its_environment_variable(monkeypatch, no_env, tmp_path):
    ca_file = tmp_path / 'ca.pem'
    for name, value in dict(CW_ENV, CW_CA_PATH=str(ca_file), CW_TIMEOUT='7', CW_RETRY_MAX_TIME='9',
                            CW_VALIDATE_CERTS='false', CW_API_VERSION='2024.1', CW_CODEBASE='v2024_1/',
                            UMBRELLA_BASE_URL='https://api.umbrellagov.com', UMBRELLA_CA_PATH=str(ca_file),
                            UMBRELLA_ALLOW_PLAIN_HTTP='true').items():
        monkeypatch.setenv(name, value)
    cw = validate(CONNECTWISE_ARGSPEC, {}).validated_parameters
    assert (cw['ca_path'], cw['timeout'], cw['retry_max_time'], cw['validate_certs']) == (str(ca_file), 7.0, 9.0, False)
    assert (cw['api_version'], cw['codebase'], cw['allow_plain_http']) == ('2024.1', 'v2024_1/', False)
    umbrella_params = validate(UMBRELLA_ARGSPEC, dict((k.lower(), v) for k, v in (('API_KEY', 'k'), ('API_SECRET', 's'))))
    params = umbrella_params.validated_parameters
    assert (params['base_url'], params['ca_path'], params['allow_plain_http']) == (
        'https://api.umbrellagov.com', str(ca_file), True)
    # The task's own value wins over the environment's.
    assert validate(CONNECTWISE_ARGSPEC, {'timeout': 3}).validated_parameters['timeout'] == 3.0


def test_missing_connectwise_options_are_reported(no_env):
    result = validate(CONNECTWISE_ARGSPEC, {'site': 'x'})
    message = ' '.join(result.error_messages)
    for name in ('company_id', 'public_key', 'private_key', 'client_id'):
        assert name in message


def test_umbrella_options_from_the_environment(monkeypatch, no_env):
    for name, value in UMBRELLA_ENV.items():
        monkeypatch.setenv(name, value)
    result = validate(UMBRELLA_ARGSPEC, {'validate_certs': False})
    assert not result.error_messages
    client = build_client('umbrella', result.validated_parameters)
    assert client.org_id == '77' and client.base_url == umbrella.DEFAULT_BASE_URL
    assert client._session.verify is False  # pylint: disable=protected-access
    assert 'env-secret' in result._no_log_values  # pylint: disable=protected-access


def test_the_factory_hands_one_run_cache_to_every_client_of_an_engine(monkeypatch, no_env):
    """The company mapping's two clients, one from the nested ``connectwise`` options, share the cache."""
    for name, value in list(CW_ENV.items()) + list(UMBRELLA_ENV.items()):
        monkeypatch.setenv(name, value)
    result = validate(umbrella_psa_company_mapping.ARGUMENT_SPEC, {'mappings': []})
    assert not result.error_messages
    cache = NoRunCache()
    clients = build_clients(umbrella_psa_company_mapping, result.validated_parameters, cache)
    assert sorted(clients) == ['client', 'connectwise_client']
    assert isinstance(clients['client'], umbrella.UmbrellaClient) and clients['client'].org_id == '77'
    assert isinstance(clients['connectwise_client'], ConnectWiseClient)
    assert clients['connectwise_client'].origin == 'https://cw.example.test:8443'
    assert clients['client'].cache is cache and clients['connectwise_client'].cache is cache


def test_specs_are_independent_copies():
    assert CONNECTWISE_ARGSPEC['timeout'] is not UMBRELLA_ARGSPEC['timeout']


@pytest.mark.parametrize('fragment, spec', [(cw_doc, CONNECTWISE_ARGSPEC), (umbrella_doc, UMBRELLA_ARGSPEC)])
def test_doc_fragment_matches_the_argument_spec(fragment, spec):
    """The vendor's fragment and the transport fragment, as every module lists them, document the spec."""
    options = yaml.safe_load(fragment.ModuleDocFragment.DOCUMENTATION)['options']
    transport = yaml.safe_load(transport_doc.ModuleDocFragment.DOCUMENTATION)['options']
    assert not set(options) & set(transport)
    options.update(transport)
    assert sorted(options) == sorted(spec)
    for name, option in spec.items():
        doc = options[name]
        assert doc['type'] == option['type'], name
        assert doc.get('required', False) == option.get('required', False), name
        assert doc.get('default') == option.get('default'), name
        env = option.get('fallback', (None, []))[1]
        for variable in env:
            assert 'E(%s)' % variable in ' '.join(doc['description']), name
