# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Request-body validation of the emulated Umbrella admin API.

Each function checks one request body against the published schema (or, for the PSA routes, the
project's extension contract) and returns the cleaned values, or raises ``InvalidBody`` whose
message names the offending field, the way Umbrella's ``400 {"message": ...}`` does.
"""

PACKAGES = {
    99: "Umbrella Professional",
    101: "Umbrella Platform",
    107: "Umbrella Insights",
    171: "Cisco Umbrella for Wireless LAN",
    202: "Cisco Umbrella for EDU",
    246: "Umbrella DNS Security Essentials",
    248: "Umbrella DNS Security Advantage",
    250: "Umbrella SIG Essentials",
    252: "Umbrella SIG Advantage",
    312: "Umbrella Not for Resale (NFR) MSP DNS Advantage",
}

PSA_NAMES = ("connectwise",)
# A person at the console may also set up a PSA the API contract does not write (one PSA at a time).
CONSOLE_PSA_NAMES = ("connectwise", "autotask", "none")


class InvalidBody(ValueError):
    """A request body the API refuses with 400; the message names the field."""


def require_object(body, name="request body"):
    if not isinstance(body, dict):
        raise InvalidBody("%s must be a JSON object" % name)
    return body


def _string(data, field, label, min_len=1, max_len=None, required=True):
    if field not in data:
        if required:
            raise InvalidBody("%s is required" % label)
        return None
    value = data[field]
    if not isinstance(value, str):
        raise InvalidBody("%s must be a string" % label)
    if len(value) < min_len or (max_len is not None and len(value) > max_len):
        bounds = "at least %d" % min_len if max_len is None else "%d to %d" % (min_len, max_len)
        raise InvalidBody("%s must be %s characters long" % (label, bounds))
    return value


def _integer(data, field, label, minimum=None, maximum=None, required=True):
    if field not in data:
        if required:
            raise InvalidBody("%s is required" % label)
        return None
    value = data[field]
    # JSON true/false are not integers, even though Python's bool is an int.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidBody("%s must be an integer" % label)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        if maximum is None:
            raise InvalidBody("%s must be at least %d" % (label, minimum))
        raise InvalidBody("%s must be between %d and %d" % (label, minimum, maximum))
    return value


def _boolean(data, field, label, required=True):
    if field not in data:
        if required:
            raise InvalidBody("%s is required" % label)
        return None
    if not isinstance(data[field], bool):
        raise InvalidBody("%s must be a boolean" % label)
    return data[field]


def _emails(data, field, required=True):
    if field not in data:
        if required:
            raise InvalidBody("%s is required" % field)
        return None
    value = data[field]
    if not isinstance(value, list):
        raise InvalidBody("%s must be an array of email addresses" % field)
    for index, item in enumerate(value):
        if not isinstance(item, str) or item.count("@") != 1 or item.startswith("@") or item.endswith("@"):
            raise InvalidBody("%s[%d] must be an email address" % (field, index))
    return list(value)


def _enum(data, field, allowed, required=False):
    if field not in data:
        if required:
            raise InvalidBody("%s is required" % field)
        return None
    value = data[field]
    if isinstance(value, bool) or value not in allowed:
        raise InvalidBody("%s must be one of: %s" % (field, ", ".join(str(a) for a in allowed)))
    return value


# --- customers ---------------------------------------------------------------------------------

def managed_customer(body):
    """Create/update body of /managed/customers: {customerName (1..255), seats (>=1)}."""
    data = require_object(body)
    return {
        "customerName": _string(data, "customerName", "customerName", 1, 255),
        "seats": _integer(data, "seats", "seats", minimum=1),
    }


def provider_customer(body, creating):
    """Create (POST) or full-replace (PUT) body of /providers/customers."""
    data = require_object(body)
    values = {
        "customerName": _string(data, "customerName", "customerName", 1, 255),
        "seats": _integer(data, "seats", "seats", minimum=1),
        "streetAddress": _string(data, "streetAddress", "streetAddress", 1, 255),
        "streetAddress2": _string(data, "streetAddress2", "streetAddress2", 1, 255, required=False),
        "city": _string(data, "city", "city", 1, 255),
        "state": _string(data, "state", "state", 1, 50, required=False),
        "countryCode": _string(data, "countryCode", "countryCode", 2, 3),
        "zipCode": _string(data, "zipCode", "zipCode", 1, required=False),
        "packageId": _enum(data, "packageId", sorted(PACKAGES), required=True),
        "dealId": _string(data, "dealId", "dealId", 0, required=False),
        "adminEmails": _emails(data, "adminEmails"),
        "ccwDealOwnerEmails": _emails(data, "ccwDealOwnerEmails", required=False),
    }
    if creating:
        # Subscription options are set when the customer is created; the update body has none.
        values["licenseType"] = _enum(data, "licenseType", ("term", "msla")) or "term"
        is_trial = _boolean(data, "isTrial", "isTrial", required=False)
        values["isTrial"] = True if is_trial is None else is_trial
        values["addonRbi"] = _enum(data, "addonRbi", ("0", "1", "2", "3"))
        values["addonDlp"] = _boolean(data, "addonDlp", "addonDlp", required=False)
        values["addonCdfwL7"] = _boolean(data, "addonCdfwL7", "addonCdfwL7", required=False)
    return values


# --- PSA extension (UX1/UX2) -------------------------------------------------------------------

_PSA_FIELDS = ("psa", "enabled", "connectwise", "ticketing")
_READ_ONLY_PSA_FIELDS = ("modifiedAt",)
_CONNECTWISE_FIELDS = ("site", "companyId", "publicKey", "privateKey")
_TICKETING_FIELDS = ("serviceBoard", "queryThreshold")


def _no_unknown_fields(data, allowed, prefix=""):
    for field in data:
        if field not in allowed:
            raise InvalidBody("%s%s is not a field of the PSA integration" % (prefix, field))


def psa_integration(body, stored, psa_names=PSA_NAMES):
    """Validate a UX1 PUT body against the stored integration; return the integration to store.

    ``stored`` is the organization's current integration (or None). The private key is
    write-only: it is required when none is stored or when the public key changes, otherwise
    the stored one is kept.
    """
    data = require_object(body)
    _no_unknown_fields(data, _PSA_FIELDS + _READ_ONLY_PSA_FIELDS)
    psa = _enum(data, "psa", psa_names, required=True)
    if psa != "connectwise":
        # Only a person at the console sets these; they carry no ConnectWise details.
        _no_unknown_fields(data, ("psa", "enabled") + _READ_ONLY_PSA_FIELDS)
        enabled = _boolean(data, "enabled", "enabled", required=False)
        return {"psa": psa, "enabled": psa != "none" if enabled is None else enabled}

    enabled = _boolean(data, "enabled", "enabled")
    connectwise = require_object(data.get("connectwise"), "connectwise") if "connectwise" in data else None
    if connectwise is None:
        raise InvalidBody("connectwise is required")
    _no_unknown_fields(connectwise, _CONNECTWISE_FIELDS, "connectwise.")
    ticketing = require_object(data.get("ticketing"), "ticketing") if "ticketing" in data else None
    if ticketing is None:
        raise InvalidBody("ticketing is required")
    _no_unknown_fields(ticketing, _TICKETING_FIELDS, "ticketing.")

    site = _string(connectwise, "site", "connectwise.site", 1, 255)
    company_id = _string(connectwise, "companyId", "connectwise.companyId", 1, 255)
    public_key = _string(connectwise, "publicKey", "connectwise.publicKey", 1, 255)
    private_key = _string(connectwise, "privateKey", "connectwise.privateKey", 1, 255, required=False)
    service_board = _string(ticketing, "serviceBoard", "ticketing.serviceBoard", 1, 100)
    threshold = _integer(ticketing, "queryThreshold", "ticketing.queryThreshold", 1, 10000)

    stored_cw = (stored or {}).get("connectwise") if (stored or {}).get("psa") == "connectwise" else None
    if private_key is None:
        if not stored_cw or not stored_cw.get("privateKey"):
            raise InvalidBody("connectwise.privateKey is required: no private key is stored yet")
        if stored_cw.get("publicKey") != public_key:
            raise InvalidBody("connectwise.privateKey is required when connectwise.publicKey changes")
        private_key = stored_cw["privateKey"]
    return {
        "psa": "connectwise",
        "enabled": enabled,
        "connectwise": {"site": site, "companyId": company_id, "publicKey": public_key,
                        "privateKey": private_key},
        "ticketing": {"serviceBoard": service_board, "queryThreshold": threshold},
    }


def psa_customer_mapping(body):
    """UX2 PUT body: {"connectwiseCompanyId": "ACME-01"}."""
    data = require_object(body)
    for field in data:
        if field != "connectwiseCompanyId":
            raise InvalidBody("%s is not a field of the customer's PSA mapping" % field)
    return _string(data, "connectwiseCompanyId", "connectwiseCompanyId", 1, 255)
