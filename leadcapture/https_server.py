"""`leadcapture serve --https`: the app over TLS, plus a plain-HTTP page that installs the CA on tablets.

waitress, our usual server, has no TLS. cheroot (CherryPy's pure-Python WSGI
server, maintained by the CherryPy/Jaraco team) serves TLS with the standard
`ssl` module and runs on Windows, macOS and Linux like waitress; gunicorn does
not run on Windows and werkzeug's server is for development only.

The set-up page has to be plain HTTP: a tablet cannot open the https server
before it trusts our CA. It serves only that page and the CA certificate.
"""
from __future__ import annotations

import html
import os
import threading
from pathlib import Path

import click
from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter
from flask import Flask

from .qr import qr_data_uri
from .tls import TlsFiles, ca_fingerprint, ensure_certificates, lan_addresses


def serve_https(app: Flask, host: str, port: int, threads: int, setup_port: int, extra_names: tuple[str, ...] = ()) -> None:
    """Serve `app` over TLS on host:port and the CA set-up page on host:setup_port until Ctrl+C."""
    server, setup, public = build_servers(app, host, port, threads, setup_port, extra_names)
    threading.Thread(target=setup.safe_start, name="tls-setup-page", daemon=True).start()
    click.echo(f"leadcapture on https://{public}:{port}/ (kiosk at https://{public}:{port}/kiosk); Ctrl+C stops")
    click.echo(f"tablets: first open http://{public}:{setup_port}/ to install the certificate authority")
    click.echo(f"CA fingerprint (SHA-256): {ca_fingerprint(Path(app.instance_path) / 'tls' / 'ca.crt')}")
    if host in ("127.0.0.1", "localhost"):
        click.echo("note: listening on loopback only; use --host 0.0.0.0 so tablets can reach this laptop")
    try:
        server.safe_start()
    finally:
        setup.stop()


def build_servers(app: Flask, host: str, port: int, threads: int, setup_port: int,
                  extra_names: tuple[str, ...] = ()) -> tuple[wsgi.Server, wsgi.Server, str]:
    """The TLS server, the set-up page server, and the address tablets should use (not started)."""
    addresses = [*extra_names, *lan_addresses()]
    files = ensure_certificates(Path(app.instance_path) / "tls", addresses)
    public = addresses[0]
    if not os.environ.get("LEADCAPTURE_SERVER_URL"):
        app.config["SERVER_URL"] = f"https://{public}:{port}"  # what pairing QR codes send tablets to
    setup = wsgi.Server((host, setup_port), setup_app(files, f"https://{public}:{port}/kiosk",
                                                      f"http://{public}:{setup_port}/ca.crt"), numthreads=2)
    server = wsgi.Server((host, port), app, numthreads=threads)
    server.ssl_adapter = BuiltinSSLAdapter(str(files.cert), str(files.key))
    return server, setup, public


def setup_app(files: TlsFiles, kiosk_url: str, ca_url: str):
    """A tiny WSGI app: `/` explains and shows QR codes, `/ca.crt` is the CA certificate."""
    page = SETUP_PAGE.format(
        ca_qr=qr_data_uri(ca_url, box_size=6), ca_url=html.escape(ca_url),
        kiosk_qr=qr_data_uri(kiosk_url, box_size=6), kiosk_url=html.escape(kiosk_url),
        fingerprint=html.escape(ca_fingerprint(files.ca_cert)),
    ).encode("utf-8")

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "/")
        if path == "/ca.crt":
            body = files.ca_cert.read_bytes()
            start_response("200 OK", [("Content-Type", "application/x-x509-ca-cert"),
                                      ("Content-Disposition", 'attachment; filename="leadcapture-ca.crt"'),
                                      ("Content-Length", str(len(body)))])
            return [body]
        if path == "/":
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(page)))])
            return [page]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    return app


SETUP_PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>leadcapture: tablet set-up</title>
<style>body{{font:18px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1d2733}}
.qr{{display:flex;gap:2rem;flex-wrap:wrap}} figure{{margin:0;text-align:center}} code{{word-break:break-all}}
ol li{{margin:.4rem 0}} .fp{{font:12px ui-monospace,monospace;color:#5a6b7d}}</style></head>
<body>
<h1>Installer le certificat du stand · Install the booth certificate</h1>
<div class="qr">
  <figure><img src="{ca_qr}" alt="QR"><figcaption>1. <a href="/ca.crt">{ca_url}</a></figcaption></figure>
  <figure><img src="{kiosk_qr}" alt="QR"><figcaption>2. <code>{kiosk_url}</code></figcaption></figure>
</div>
<h2>iPad / iPhone</h2>
<ol><li>Ouvrez le lien 1 dans Safari, « Autoriser » le profil. · Open link 1 in Safari, allow the profile.</li>
<li>Réglages › Profil téléchargé › Installer. · Settings › Profile Downloaded › Install.</li>
<li>Réglages › Général › Informations › Réglages des certificats : activez « leadcapture booth CA ».
· Settings › General › About › Certificate Trust Settings: turn on “leadcapture booth CA”.</li></ol>
<h2>Android</h2>
<ol><li>Ouvrez le lien 1 ; nommez le certificat, usage « VPN et applications » ou « CA ».
· Open link 1; name it, use “CA certificate” (Settings › Security › Encryption &amp; credentials › Install a certificate).</li></ol>
<h2>Windows / Chromebook</h2>
<ol><li>Windows: double-cliquez le fichier › Installer › « Autorités de certification racines de confiance ».
· Double-click the file › Install › “Trusted Root Certification Authorities”.</li>
<li>ChromeOS: chrome://certificate-manager › Autorités › Importer · Authorities › Import, trust for websites.</li></ol>
<p>Puis ouvrez le lien 2 et associez la tablette. · Then open link 2 and pair the tablet.</p>
<p class="fp">SHA-256: {fingerprint}</p>
</body></html>
"""
