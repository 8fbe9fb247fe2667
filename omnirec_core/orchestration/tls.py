"""Per-run certificate authority and mutual-TLS contexts (coordinator side).

Each run makes a fresh CA whose private key exists only in this process's memory. It
issues one server certificate (IP SAN 127.0.0.1) and one client certificate per runner
process. Keys and certificates go into a private temp directory (0700, files 0600)
that :meth:`RunCA.close` removes; the server key file is deleted as soon as it is
loaded, a client key as soon as its runner has connected. Nothing is reused across runs. Both sides pin the
peer's certificate SHA-256 fingerprint on top of chain verification.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import itertools
import os
import shutil
import ssl
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from omnirec_core.runner.wire import fingerprint

LOOPBACK = "127.0.0.1"
#: Certificates only need to outlive one run; a long experiment must not outlive them.
VALIDITY = dt.timedelta(days=90)


@dataclass(frozen=True)
class ClientCredentials:
    """What one runner process needs to authenticate itself, and what the server pins."""

    name: str
    cert_path: Path
    key_path: Path
    fingerprint: str


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "omnirec run"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_private(path: Path, data: bytes) -> None:
    # O_EXCL: never follow or reuse a file someone placed there.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


class RunCA:
    """A throw-away CA for one run, with its server certificate and client issuance.

    Use as a context manager (or call :meth:`close`) so the private directory is removed;
    a finalizer removes it too if the object is dropped or the interpreter exits.
    """

    def __init__(self, *, base_dir: str | os.PathLike[str] | None = None) -> None:
        if base_dir is not None:
            Path(base_dir).mkdir(parents=True, exist_ok=True)
        self.directory = Path(tempfile.mkdtemp(prefix="omnirec-tls-", dir=base_dir))
        os.chmod(self.directory, 0o700)
        self._finalizer = weakref.finalize(self, shutil.rmtree, self.directory, ignore_errors=True)
        self._serial = itertools.count(2)
        now = dt.datetime.now(dt.timezone.utc)
        self._not_before = now - dt.timedelta(minutes=5)
        self._not_after = now + VALIDITY
        # The CA key lives only in this attribute; it is never serialised.
        self._ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_pub = self._ca_key.public_key()
        self._ca_name = _name(f"omnirec run CA {os.getpid()}")
        self._ca_cert = (
            self._builder(self._ca_name, ca_pub, serial=1)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(self._ca_key, hashes.SHA256())
        )
        self.ca_pem = self._ca_cert.public_bytes(serialization.Encoding.PEM)
        self.ca_path = self.directory / "ca.crt"
        _write_private(self.ca_path, self.ca_pem)
        server = self._issue(LOOPBACK, ExtendedKeyUsageOID.SERVER_AUTH, "server")
        self.server_cert_path = server.cert_path
        self.server_fingerprint = server.fingerprint
        self._server_ctx = self._make_server_context(server)
        # ssl only loads keys from files; once loaded, the server key need not stay on disk
        # (not even if this process is SIGKILLed before close()).
        server.key_path.unlink()
        self._clients: list[ClientCredentials] = []

    def _builder(
        self, subject: x509.Name, pub: ec.EllipticCurvePublicKey, serial: int
    ) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self._ca_name if serial != 1 else subject)
            .public_key(pub)
            .serial_number(serial)
            .not_valid_before(self._not_before)
            .not_valid_after(self._not_after)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False)
        )

    def _issue(self, common_name: str, usage: x509.ObjectIdentifier, stem: str) -> ClientCredentials:
        if not self._finalizer.alive:
            raise RuntimeError("this RunCA is closed; create a new one for a new run")
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            self._builder(_name(common_name), key.public_key(), next(self._serial))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._ca_key.public_key()),
                critical=False,
            )
        )
        if usage == ExtendedKeyUsageOID.SERVER_AUTH:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(LOOPBACK))]),
                critical=False,
            )
        cert = builder.sign(self._ca_key, hashes.SHA256())
        cert_path, key_path = self.directory / f"{stem}.crt", self.directory / f"{stem}.key"
        _write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
        _write_private(
            key_path,
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),  # the runner must load it unattended; the dir is private
            ),
        )
        der = cert.public_bytes(serialization.Encoding.DER)
        return ClientCredentials(common_name, cert_path, key_path, fingerprint(der))

    def issue_client(self, name: str) -> ClientCredentials:
        """A fresh client certificate for one runner process (files in the private dir).

        The key file is needed only until the runner has connected: :meth:`discard` it then.
        """
        creds = self._issue(name, ExtendedKeyUsageOID.CLIENT_AUTH, f"client-{len(self._clients) + 1}")
        self._clients.append(creds)
        return creds

    def discard(self, creds: ClientCredentials) -> None:
        """Delete one runner's key and certificate (it has connected, or it is gone)."""
        for path in (creds.cert_path, creds.key_path):
            path.unlink(missing_ok=True)

    def _make_server_context(self, server: ClientCredentials) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.maximum_version = ssl.TLSVersion.TLSv1_3
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_cert_chain(server.cert_path, server.key_path)
        ctx.load_verify_locations(cadata=self.ca_pem.decode())
        ctx.num_tickets = 0  # no session resumption: every connection authenticates fully
        return ctx

    def server_context(self) -> ssl.SSLContext:
        """TLS 1.3 server context that requires a client certificate from this CA."""
        if self.closed:
            raise RuntimeError("this RunCA is closed; create a new one for a new run")
        return self._server_ctx

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def close(self) -> None:
        """Remove every key and certificate of this run."""
        self._finalizer()

    def __enter__(self) -> RunCA:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
