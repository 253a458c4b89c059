"""A throw-away certificate authority and server certificate for the loopback HTTPS server."""

import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _write(path, data, private=False):
    # Key files are readable by the owner only; the CA certificate is public.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _reusable(ca_file, cert_file, key_file, now):
    """The files of an earlier start, still valid for a day: a restart keeps the certificate its clients trust."""
    try:
        with open(cert_file, "rb") as handle:
            cert = x509.load_pem_x509_certificate(handle.read())
        with open(ca_file, "rb") as handle:
            ca_cert = x509.load_pem_x509_certificate(handle.read())
        with open(key_file, "rb") as handle:
            serialization.load_pem_private_key(handle.read(), password=None)
    except (OSError, ValueError):
        return False
    return (cert.issuer == ca_cert.subject
            and cert.not_valid_after_utc > now + datetime.timedelta(days=1)
            and ca_cert.not_valid_after_utc > now + datetime.timedelta(days=1))


def generate(directory, hostnames=("localhost",), addresses=("127.0.0.1", "::1")):
    """Create ``ca.pem``, ``server.pem`` and ``server.key`` in ``directory``, or keep those already there.

    Returns ``(ca_file, cert_file, key_file)``. EC P-256 keys keep start-up fast.
    """
    os.makedirs(directory, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_file = os.path.join(directory, "ca.pem")
    cert_file = os.path.join(directory, "server.pem")
    key_file = os.path.join(directory, "server.key")
    if _reusable(ca_file, cert_file, key_file, now):
        return ca_file, cert_file, key_file
    not_before = now - datetime.timedelta(minutes=5)
    not_after = now + datetime.timedelta(days=30)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "msp.umbrella_psa emulator CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          encipher_only=False, decipher_only=False),
            critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    server_key = ec.generate_private_key(ec.SECP256R1())
    san = [x509.DNSName(name) for name in hostnames]
    san += [x509.IPAddress(ipaddress.ip_address(addr)) for addr in addresses]
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0])]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    _write(ca_file, ca_cert.public_bytes(serialization.Encoding.PEM))
    _write(cert_file, server_cert.public_bytes(serialization.Encoding.PEM))
    _write(key_file, server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()), private=True)
    return ca_file, cert_file, key_file
