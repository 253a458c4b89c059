# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ConnectWise conditions: every value is either quoted safely or refused, never pasted raw."""

import datetime

import pytest

from ansible_collections.msp.umbrella_psa.plugins.module_utils.connectwise import (
    ConditionValueError,
    conditions,
)


@pytest.mark.parametrize('value, expected', [
    ('umbrella', 'identifier="umbrella"'),
    ('', 'identifier=""'),
    ('say "hi"', "identifier='say \"hi\"'"),
    ("O'Brien", 'identifier="O\'Brien"'),
    ('C:\\temp\\', 'identifier="C:\\temp\\"'),          # backslashes are literal
    ('100%', 'identifier="100%"'),                      # % is literal: = is not like
    ('Ümlaut & Co', 'identifier="Ümlaut & Co"'),
])
def test_strings_are_quoted_with_the_quote_they_do_not_hold(value, expected):
    assert conditions.eq('identifier', value) == expected


def test_an_injection_attempt_stays_inside_one_literal():
    value = 'x" or identifier!="'
    rendered = conditions.eq('identifier', value)
    assert rendered == "identifier='%s'" % value
    # Exactly one literal: the value is enclosed by the only two single quotes in the condition.
    assert rendered.count("'") == 2


@pytest.mark.parametrize('value', ['both " and \'', 'line\nbreak', 'tab\there', 'nul\x00', 'del\x7f'])
def test_unquotable_values_are_refused_naming_the_field(value):
    with pytest.raises(ConditionValueError) as info:
        conditions.eq('securityRole/name', value)
    assert info.value.field == 'securityRole/name'
    assert "'securityRole/name'" in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize('field', ['identifier=1 or name', 'name ', '', '1abc', 'a//b', 'a"b', None])
def test_field_names_are_checked_too(field):
    with pytest.raises(ConditionValueError):
        conditions.eq(field, 'x')


@pytest.mark.parametrize('value, literal', [
    (3, '3'), (-1, '-1'), (2.5, '2.5'), (True, 'true'), (False, 'false'), (None, 'null'),
    (datetime.datetime(2025, 1, 31, 0, 0, 0), '[2025-01-31T00:00:00Z]'),
    (datetime.datetime(2025, 1, 31, 2, 0, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
     '[2025-01-31T00:00:00Z]'),
])
def test_non_string_literals(value, literal):
    assert conditions.eq('securityRole/id', value) == 'securityRole/id=' + literal


@pytest.mark.parametrize('value', [float('nan'), float('inf'), object(), ['a']])
def test_values_without_a_literal_are_refused(value):
    with pytest.raises(ConditionValueError):
        conditions.eq('id', value)


def test_ne_and_in():
    assert conditions.ne('inactiveFlag', True) == 'inactiveFlag!=true'
    assert conditions.in_('id', [1, 2, 3]) == 'id in (1,2,3)'
    assert conditions.in_('name', ['a', 'b"c']) == 'name in ("a",\'b"c\')'
    with pytest.raises(ConditionValueError):
        conditions.in_('id', [])
    with pytest.raises(ConditionValueError) as info:
        conditions.in_('name', ['ok', 'bad"\''])
    assert info.value.field == 'name'


def test_and_or_parenthesise_each_part_and_skip_empty_ones():
    a, b = conditions.eq('name', 'x'), conditions.eq('id', 3)
    assert conditions.and_(a, b) == '(name="x") and (id=3)'
    assert conditions.or_(a, b, conditions.ne('id', 4)) == '(name="x") or (id=3) or (id!=4)'
    assert conditions.and_(a, None, '') == a
    assert conditions.and_() == ''
    assert conditions.and_(conditions.or_(a, b), 'x=1') == '((name="x") or (id=3)) and (x=1)'
