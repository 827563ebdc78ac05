"""TLS for the REST server (``httpd_ssl``, ``httpd_ssl_cert``, ``httpd_ssl_key``, as Kismet
names them), so that passwords and session cookies do not cross the network in clear.

The certificate file holds the server certificate in PEM, optionally followed by
its chain; the key file the PEM private key (it may be the same file). Relative
paths are relative to the state directory. Twisted's ``CertificateOptions``
give TLS 1.2 or later with its safe defaults; cookies then carry ``Secure``.
"""

from __future__ import annotations

import re
from pathlib import Path

from OpenSSL import crypto
from twisted.internet import ssl

from kismet_tx.configfile import ConfigError

_PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


def _path(value: str | None, key: str, homedir: Path) -> Path:
    if not value:
        raise ConfigError(f"httpd_ssl=true needs {key}")
    path = Path(value).expanduser()
    return path if path.is_absolute() else homedir / path


def tls_options(cert: str | None, key: str | None, homedir: Path) -> ssl.CertificateOptions:
    """Server TLS options from PEM files; a missing or unusable file is a ConfigError."""
    cert_path = _path(cert, "httpd_ssl_cert", homedir)
    key_path = _path(key, "httpd_ssl_key", homedir)
    try:
        cert_pem = cert_path.read_bytes()
        key_pem = key_path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the TLS certificate or key: {exc}") from None
    blocks = _PEM_CERT.findall(cert_pem)
    if not blocks:
        raise ConfigError(f"httpd_ssl_cert {cert_path}: no PEM certificate in it")
    try:
        leaf, *chain = (crypto.load_certificate(crypto.FILETYPE_PEM, b) for b in blocks)
        private = crypto.load_privatekey(crypto.FILETYPE_PEM, key_pem)
        options = ssl.CertificateOptions(privateKey=private, certificate=leaf,
                                         extraCertChain=chain)
        options.getContext().check_privatekey()
    except (crypto.Error, ValueError) as exc:
        raise ConfigError(f"httpd_ssl_cert/httpd_ssl_key: unusable certificate or key "
                          f"({exc})") from None
    return options
