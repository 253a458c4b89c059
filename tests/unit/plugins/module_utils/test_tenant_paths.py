"""A tenant's files stay inside their directory whatever the tenant's name; bad names and directories are refused."""

import os
import stat

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.msp.umbrella_psa.plugins.filter.tenant_file import tenant_file as tenant_file_filter
from ansible_collections.msp.umbrella_psa.plugins.module_utils.tenant_paths import (
    TenantPathError, check_directory, ensure_directory, file_mode, tenant_file)

ESCAPING_NAMES = ["x" * 201, "é" * 101, "../x", "a/../../b", "..", ".", "/etc/passwd", "a/b", ".hidden", "a\x00b",
                  "a\nb", "", "   ", " acme", "acme "]


@pytest.mark.parametrize("name", ESCAPING_NAMES)
def test_a_name_that_could_leave_or_hide_is_refused_naming_the_variable(tmp_path, name):
    with pytest.raises(TenantPathError) as failure:
        tenant_file(str(tmp_path), name, ".yml", "psa_key_store_dir")
    message = str(failure.value)
    assert message.startswith("inventory_hostname ") and "rename the inventory host" in message
    assert "\n" not in message


@pytest.mark.parametrize("name", ["acme", "acme-eu_2", "acme.example.com", "Ünïcode", "a..b", "back\\slash", "spaces in name"])
def test_ordinary_names_are_direct_children_of_the_directory(tmp_path, name):
    path = tenant_file(str(tmp_path), name, ".yml", "psa_key_store_dir")
    assert path == os.path.join(str(tmp_path), name + ".yml")
    assert os.path.dirname(path) == str(tmp_path)


@pytest.mark.parametrize("directory", ["", "  ", None, "keys", "./keys", "None/keys"])
def test_an_empty_or_relative_directory_is_refused_naming_the_variable(directory):
    with pytest.raises(TenantPathError) as failure:
        tenant_file(directory, "acme", ".yml", "psa_key_store_dir")
    assert str(failure.value).startswith("psa_key_store_dir ") and "absolute" in str(failure.value)


def test_the_directory_is_normalised_and_home_expanded(tmp_path):
    assert check_directory(str(tmp_path) + "/keys/../keys/", "d") == str(tmp_path / "keys")
    assert check_directory("~/keys", "d") == os.path.join(os.path.expanduser("~"), "keys")


def test_the_filter_raises_ansible_s_filter_error():
    with pytest.raises(AnsibleFilterError) as failure:
        tenant_file_filter("/srv/keys", "../x", ".yml", "psa_key_store_dir")
    assert "inventory_hostname '../x'" in str(failure.value)
    assert tenant_file_filter("/srv/reports", "acme", ".md", "psa_report_dir") == "/srv/reports/acme.md"


def test_a_created_directory_gets_the_mode_an_existing_one_keeps_its_own(tmp_path):
    existing = tmp_path / "mine"
    existing.mkdir()
    os.chmod(str(existing), 0o751)
    assert not ensure_directory(str(existing), 0o700)
    assert stat.S_IMODE(os.stat(str(existing)).st_mode) == 0o751
    made = existing / "a" / "b"
    assert ensure_directory(str(made), 0o700)
    assert stat.S_IMODE(os.stat(str(made)).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(str(made.parent)).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(str(existing)).st_mode) == 0o751


def test_a_name_of_200_bytes_is_accepted():
    assert tenant_file("/srv/keys", "x" * 200, ".yml", "psa_key_store_dir").endswith("x.yml")


def test_the_mode_of_a_link_is_not_read_through_it(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_text("")
    os.chmod(str(target), 0o644)
    link = tmp_path / "acme.yml"
    link.symlink_to(target)
    assert file_mode(str(link)) is None and file_mode(str(target)) == 0o644
    assert file_mode(str(tmp_path / "none.yml")) is None


@pytest.mark.parametrize("path", ["mappings/acme.csv", "acme.csv", "/srv/mappings/", "/srv/a\x00b.csv"])
def test_a_mapping_file_that_is_not_an_absolute_file_path_is_refused_naming_the_variable(path):
    from ansible_collections.msp.umbrella_psa.plugins.filter.absolute_file import absolute_file
    with pytest.raises(AnsibleFilterError) as failure:
        absolute_file(path, "psa_company_mapping_file")
    assert str(failure.value).startswith("psa_company_mapping_file ") and "absolute" in str(failure.value)


def test_an_absolute_mapping_file_is_normalised():
    from ansible_collections.msp.umbrella_psa.plugins.filter.absolute_file import absolute_file
    assert absolute_file("/srv/x/../mappings/acme.csv", "psa_company_mapping_file") == "/srv/mappings/acme.csv"
