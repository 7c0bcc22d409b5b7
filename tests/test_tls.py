"""`leadcapture serve --https`: a local CA, a certificate for the LAN addresses, TLS, the set-up page."""
from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import requests
from cryptography import x509

from kiosk_browser import free_port
from leadcapture.https_server import build_servers
from leadcapture.tls import ensure_certificates, lan_addresses


def sans(path):
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    return {str(n.value) for n in cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value}


def test_ca_is_made_once_and_the_server_certificate_follows_the_addresses(tmp_path):
    files = ensure_certificates(tmp_path, ["192.168.1.20", "127.0.0.1"])
    assert sans(files.cert) == {"localhost", "192.168.1.20", "127.0.0.1"}
    ca, cert = files.ca_cert.read_bytes(), files.cert.read_bytes()
    assert ensure_certificates(tmp_path, ["192.168.1.20", "127.0.0.1"]).cert.read_bytes() == cert  # reused
    moved = ensure_certificates(tmp_path, ["10.0.0.7", "booth.local", "127.0.0.1"])
    assert files.ca_cert.read_bytes() == ca  # tablets keep trusting the same CA
    assert sans(moved.cert) == {"localhost", "10.0.0.7", "booth.local", "127.0.0.1"}
    ca_cert = x509.load_pem_x509_certificate(ca)
    x509.load_pem_x509_certificate(moved.cert.read_bytes()).verify_directly_issued_by(ca_cert)
    assert (tmp_path / "ca.key").stat().st_mode & 0o077 == 0


def test_lan_addresses_end_with_loopback():
    addresses = lan_addresses()
    assert addresses[-1] == "127.0.0.1" and all(socket.inet_aton(a) for a in addresses)


def test_https_serves_the_kiosk_and_the_setup_page_serves_the_ca(app):
    port, setup_port = free_port(), free_port()
    server, setup, _public = build_servers(app, "127.0.0.1", port, 2, setup_port, ("127.0.0.1",))
    threads = [threading.Thread(target=s.safe_start, daemon=True) for s in (server, setup)]
    for t in threads:
        t.start()
    try:
        ca = f"{app.instance_path}/tls/ca.crt"
        response = _get(f"https://127.0.0.1:{port}/kiosk", verify=ca)
        assert response.status_code == 200 and "kiosk" in response.text
        assert app.config["SERVER_URL"] == f"https://127.0.0.1:{port}"
        page = _get(f"http://127.0.0.1:{setup_port}/")
        assert "ca.crt" in page.text and "data:image/png;base64," in page.text
        cert = _get(f"http://127.0.0.1:{setup_port}/ca.crt")
        assert cert.headers["Content-Type"] == "application/x-x509-ca-cert"
        assert cert.content == Path(ca).read_bytes()
    finally:
        server.stop()
        setup.stop()


def _get(url, **kwargs):
    deadline = time.monotonic() + 10
    while True:
        try:
            return requests.get(url, timeout=5, **kwargs)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
