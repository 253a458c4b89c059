# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The preflight's warning about psa_* variables the role does not read."""

from ansible_collections.msp.umbrella_psa.plugins.filter.tenant_inputs import known_variables, unknown_variables


def test_the_known_names_are_the_role_options_and_the_playbook_variables():
    known = known_variables()
    for name in ("psa_umbrella_query_threshold", "psa_cw_site", "psa_fleet_report_dir", "psa_hosts",
                 "psa_batch_size", "psa_integration_result", "psa_integration_public_key"):
        assert name in known
    assert all(name.startswith("psa_") for name in known)


def test_a_misspelled_variable_names_the_close_match_and_a_foreign_one_says_so():
    lines = unknown_variables(["psa_umbrella_query_treshold", "psa_cw_site", "psa_favourite_colour"],
                              known_variables())
    assert lines == [
        "psa_favourite_colour is set but the psa_integration role does not read it: it is not one of the "
        "role's variables",
        "psa_umbrella_query_treshold is set but the psa_integration role does not read it: did you mean "
        "psa_umbrella_query_threshold?"]
    assert unknown_variables(known_variables(), known_variables()) == []
