#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: umbrella_psa_company_mapping
short_description: Map Cisco Umbrella customers to ConnectWise PSA companies, checked on both sides
version_added: 0.1.0
description:
  - Sets the I(ConnectWise Company ID) of every listed customer of a Cisco Umbrella MSP or MSSP console, for
    hundreds or thousands of customers in one task, and with O(prune=true) clears it on every customer not
    listed.
  - Before anything is written, the whole mapping is checked against both vendors' published APIs. The
    Umbrella customers are read in one paged list (O(customer_source)); the ConnectWise companies are looked up
    in a few batched queries (the C(identifier in) condition), never one request per customer. Unknown customers,
    customer names that several customers share, customers listed twice, and unknown, deleted or inactive
    companies are all reported together in one failure, each naming its entry (for example
    C(mappings[12].customer)).
  - The console gets each company identifier as ConnectWise spells it, whatever letter case the mapping uses.
  - B(Cisco publishes no API for the I(ConnectWise Company ID) field.) The module writes it through this
    collection's own extension contract (UX2, C(/admin/v2/psa/customers)), which Cisco does not publish; see the
    collection's C(docs/extension-api.md). On a server without it nothing can be read or written; the module
    returns the manual steps (O(on_unsupported)) and writes every step as a CSV file a person can work through
    (O(manual_steps_file)). The field cannot be verified without the extension, so the steps come back on every
    run.
  - Runs in-process on the controller through the action plugin of the same name; the module runs on a remote
    host only when the task's connection is not local (then the files named by O(mappings_file) and
    O(manual_steps_file) are read and written on that host).
author:
  - msp.umbrella_psa contributors (@msp-automation)
extends_documentation_fragment:
  - msp.umbrella_psa.umbrella
  - msp.umbrella_psa.transport
  - msp.umbrella_psa.attributes
  - msp.umbrella_psa.attributes.actiongroup_umbrella
notes:
  - The module talks to both vendors. The Umbrella connection options are at the top level, so
    C(module_defaults) of C(group/msp.umbrella_psa.umbrella) apply to it; the ConnectWise connection goes in
    O(connectwise), because both vendors have O(validate_certs), O(ca_path), O(timeout) and O(retry_max_time).
  - "Requests per run, with N customers in the console, C mappings and B batches of company identifiers (about
    270 short identifiers per batch): Umbrella N/100 + 1 pages of customers, (mapped customers)/100 + 1 pages
    of existing mappings, one PUT per changed mapping and one DELETE per pruned one; ConnectWise B requests
    (plus the codebase discovery unless O(connectwise.codebase) is set). A converged run writes nothing."
  - Cisco documents a rate limit of 350 requests per 30 minutes per API key for the general admin API. If a
    server applies it to the mapping extension too, a first mapping of thousands of customers needs several
    runs or a large O(retry_max_time); a converged run only reads.
options:
  connectwise:
    description:
      - The ConnectWise PSA connection the companies are looked up with. Only the published company list
        (C(/company/companies), I(Companies › Company Maintenance) inquire) is read.
      - When left out, every suboption comes from its environment variable.
    type: dict
    suboptions:
      site:
        description:
          - The ConnectWise PSA API host, as V(host), V(host:port) or V(https://host[:port]), without a path,
            for example V(api-na.myconnectwise.net).
          - If not set, the value of the E(CW_SITE) environment variable is used.
        type: str
        required: true
      company_id:
        description:
          - The company identifier typed on the ConnectWise login screen.
          - If not set, the value of the E(CW_COMPANY_ID) environment variable is used.
        type: str
        required: true
      public_key:
        description:
          - Public key of an API key pair of the ConnectWise API member to act as.
          - If not set, the value of the E(CW_PUBLIC_KEY) environment variable is used.
        type: str
        required: true
      private_key:
        description:
          - Private key of the same API key pair. Keep it in Ansible Vault or pass it through the environment.
          - If not set, the value of the E(CW_PRIVATE_KEY) environment variable is used.
        type: str
        required: true
      client_id:
        description:
          - The C(clientId) GUID that identifies the integration to ConnectWise.
          - If not set, the value of the E(CW_CLIENT_ID) environment variable is used.
        type: str
        required: true
      api_version:
        description: The ConnectWise API version requested in the C(Accept) header.
        type: str
        default: '2025.1'
      codebase:
        description:
          - The codebase part of the API URL, for example V(v2025_1/). Read once per run from
            C(https://{site}/login/companyinfo/{company_id}) when not set.
        type: str
      validate_certs:
        description: Whether to verify the TLS certificate of the ConnectWise server.
        type: bool
        default: true
      allow_plain_http:
        description: Whether an V(http://) site is accepted (for a lab only; the keys then travel in clear).
        type: bool
        default: false
      ca_path:
        description: A PEM file of certificate authorities that sign the ConnectWise server certificate.
        type: path
      timeout:
        description: Seconds to wait for ConnectWise to answer one request.
        type: float
        default: 30
      retry_max_time:
        description:
          - Total seconds the task may spend retrying a ConnectWise request that is rate-limited (429, honouring
            C(Retry-After)) or fails with 502, 503, 504 or a connection error.
        type: float
        default: 120
  mappings:
    description:
      - The wanted mapping, one entry per Umbrella customer.
      - Mutually exclusive with O(mappings_file); one of them is required. An empty list with O(prune=true)
        clears every customer's field.
    type: list
    elements: dict
    suboptions:
      customer:
        description:
          - The Umbrella customer, by its name (exactly as the console shows it) or its numeric customer id.
          - A number is taken as a customer id when the console has a customer with that id, otherwise as a name.
          - A name that several customers share fails; use the id for those.
        type: raw
        required: true
      company:
        description:
          - The identifier of the ConnectWise company (the company's I(Company ID) in ConnectWise, for example
            V(Contoso)), matched without regard to letter case.
        type: str
        required: true
  mappings_file:
    description:
      - An absolute path to a file holding the mapping, instead of O(mappings). Use
        V({{ playbook_dir }}/mappings/acme.csv) to keep it next to the playbook.
      - A C(.csv) file has a header line naming the columns C(customer) and C(company) (other columns, blank
        lines and lines starting with C(#) are ignored). A C(.yml), C(.yaml) or C(.json) file holds a list of
        C({customer, company}) entries.
      - Problems name the file's line (CSV) or entry index (YAML), for example C(mappings_file line 14.company).
    type: path
  prune:
    description:
      - With V(true), the field of every customer not listed is cleared (one C(DELETE) per mapped customer).
      - With V(false), customers not listed are left as they are and counted in RV(summary.unmanaged).
    type: bool
    default: false
  customer_source:
    description:
      - Which published customer list names the console's customers.
      - V(managed) reads C(/admin/v2/managed/customers) (MSP and multi-org consoles).
      - V(providers) reads C(/admin/v2/providers/customers) (MSSP consoles).
    type: str
    choices: [managed, providers]
    default: managed
  inactive_company_statuses:
    description:
      - ConnectWise company statuses (by name, any letter case) that count as inactive; a mapping to such a
        company fails. A company with C(deletedFlag) set always fails.
    type: list
    elements: str
    default: [Inactive]
  on_unsupported:
    description:
      - What to do when the server does not offer the mapping extension (UX2).
      - V(fail) fails the task after the checks and after writing O(manual_steps_file); its message carries the
        steps.
      - V(report) succeeds with RV(extension=false) and the steps in RV(manual_steps).
    type: str
    choices: [fail, report]
    default: fail
  manual_steps_file:
    description:
      - An absolute path of the CSV file the manual steps are written to when the server does not offer the
        extension, with the columns C(customer name), C(customer id), C(field) (always
        C(ConnectWise Company ID)) and C(value) (empty means clear the field).
      - The file is rewritten only when its content changes (the task then reports a change); its rows are
        sorted by customer name, so the content depends only on the mapping and the console's customers.
      - Without it, RV(manual_steps) lists every step; with it, the first 20 and a line pointing at the file.
      - Its directory is created (mode 0755) when the file is first written.
    type: path
seealso:
  - module: msp.umbrella_psa.umbrella_psa_integration
'''

EXAMPLES = r'''
- name: Map the console's customers, the mapping kept next to the playbook in Git
  msp.umbrella_psa.umbrella_psa_company_mapping:
    mappings_file: "{{ playbook_dir }}/mappings/{{ inventory_hostname }}.csv"
    prune: true
    connectwise:
      site: api-na.myconnectwise.net
      company_id: acme
      public_key: "{{ cw_public_key }}"
      private_key: "{{ cw_private_key }}"
      client_id: "{{ cw_client_id }}"
    manual_steps_file: "{{ playbook_dir }}/reports/{{ inventory_hostname }}-company-mapping.csv"
    on_unsupported: report
  module_defaults:
    group/msp.umbrella_psa.umbrella:
      api_key: "{{ umbrella_api_key }}"
      api_secret: "{{ umbrella_api_secret }}"
      org_id: "{{ umbrella_org_id }}"
  register: company_mapping

- name: Show what is left for a person (consoles without the extension)
  ansible.builtin.debug:
    var: company_mapping.manual_steps
  when: company_mapping.manual_steps | length > 0

- name: Map a few customers inline, by name or by customer id
  msp.umbrella_psa.umbrella_psa_company_mapping:
    api_key: "{{ umbrella_api_key }}"
    api_secret: "{{ umbrella_api_secret }}"
    customer_source: providers
    mappings:
      - customer: Contoso Ltd
        company: Contoso
      - customer: 8071234
        company: Fabrikam
    connectwise:
      site: api-na.myconnectwise.net
      company_id: acme
      public_key: "{{ cw_public_key }}"
      private_key: "{{ cw_private_key }}"
      client_id: "{{ cw_client_id }}"
'''

RETURN = r'''
extension:
  description: Whether the server offers the mapping extension (UX2). Not returned when the checks fail.
  returned: success
  type: bool
  sample: true
customers:
  description: How many customers the console has (O(customer_source)).
  returned: success
  type: int
  sample: 5000
summary:
  description: Counts of the run.
  returned: success
  type: dict
  sample: {mapped: 5000, unchanged: 4990, set: 10, removed: 0, unmanaged: 0}
  contains:
    mapped:
      description: Customers listed in the mapping.
      type: int
    unchanged:
      description: Listed customers whose field is already right.
      type: int
    set:
      description: Customers whose field was written (or would be, in check mode).
      type: int
    removed:
      description: Customers whose field was cleared by O(prune).
      type: int
    unmanaged:
      description: Customers mapped in the console but not listed, left as they are (O(prune=false)).
      type: int
    unverified:
      description: Rows of manual steps; only when the server does not offer the extension.
      type: int
      returned: when the server does not offer the extension
changes:
  description:
    - One entry per customer whose field changed (or would change in check mode); C(after) is V(null) for a
      cleared field. Empty without the extension, since nothing can be read there.
  returned: success
  type: list
  elements: dict
  sample:
    - {customer_id: 8071234, customer: Contoso Ltd, before: null, after: Contoso}
requests:
  description: HTTP requests the task sent to each vendor (token requests included).
  returned: always
  type: dict
  sample: {umbrella: 102, connectwise: 19}
manual_steps:
  description:
    - What a person must still do in the Umbrella console; empty when nothing is left.
    - Filled when the server does not offer the extension, one step per customer up to 20, then one line with
      the count and O(manual_steps_file).
  returned: always
  type: list
  elements: str
  sample:
    - "Umbrella console: Customer Management › Contoso Ltd (customer id 8071234): set ConnectWise Company ID to
      Contoso, then Save."
manual_steps_file:
  description:
    - The CSV file of manual steps (O(manual_steps_file)) when the server does not offer the extension, else
      V(null). The task's C(changed) says whether this run rewrote it (or would, in check mode).
  returned: success
  type: str
  sample: /srv/gitops/reports/acme-company-mapping.csv
errors:
  description: Every problem found by the checks (the failure message names at most 50), or every failed write.
  returned: failure
  type: list
  elements: str
  sample:
    - "mappings[12].customer: no Umbrella customer named 'Contosso Ltd' in the managed customer list; close
      matches: 'Contoso Ltd'"
diff:
  description:
    - With the extension, the field before and after of every changed customer only, keyed by
      C(customer name (customer id)).
    - Without it, the manual-steps CSV before and after.
  returned: when diff mode is on
  type: dict
  sample:
    before: {"Contoso Ltd (8071234)": null}
    after: {"Contoso Ltd (8071234)": Contoso}
'''

from ansible_collections.msp.umbrella_psa.plugins.module_utils import umbrella_psa_company_mapping as engine
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import run_module


def main():
    run_module(engine)


if __name__ == '__main__':
    main()
