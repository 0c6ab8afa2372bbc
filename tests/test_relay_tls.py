"""The relay's pinned HTTPS connection: it connects to the address the SSRF guard checked,
sends the URL's Host header and TLS server name, and verifies the certificate against
the URL's host name (a certificate for another name, or from an unknown CA, is refused).

Runs a script inside a generated ERP project (a subprocess: the generated package is
not imported into this process), with a throw-away CA made by ``openssl``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from asyncgen.generate import generate

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "specs" / "erp-events.asyncapi.yaml"
API = ROOT / "specs" / "erp-api.openapi.yaml"

SCRIPT = r"""
import asyncio, dataclasses, json, socket, sys
import uvicorn
from erp_events.http_settings import HttpSettings
from erp_events.relay import Sender
from erp_events.store import Due

CA, CERT, KEY = sys.argv[1:4]
seen = []


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    seen.append({k.decode(): v.decode() for k, v in scope["headers"]})
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


real = socket.getaddrinfo
lookups = []


def fake(host, *args, **kwargs):
    lookups.append(host)
    if str(host).endswith(".example.test"):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 0))]
    return real(host, *args, **kwargs)


socket.getaddrinfo = fake


async def main():
    config = uvicorn.Config(app, host="127.0.0.1", port=0, ssl_certfile=CERT, ssl_keyfile=KEY,
                            lifespan="off", log_level="warning", ws="none")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    trusted = HttpSettings(_env_file=None, callback_allow_cidrs="127.0.0.0/8", callback_ca_bundle=CA)
    due = Due(1, "msg_1", "evt_1", "T", "sub_1", 0, f"https://hooks.example.test:{port}/in?x=1",
              ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], b"{}", "application/json")
    ok = await Sender(trusted).send(due, 1614265330)
    lookups_for_ok = lookups.count("hooks.example.test")
    other = dataclasses.replace(due, url=f"https://other.example.test:{port}/")
    wrong_name = await Sender(trusted).send(other, 1)
    unknown_ca = await Sender(HttpSettings(_env_file=None, callback_allow_cidrs="127.0.0.0/8")).send(due, 1)
    refused = await Sender(HttpSettings(_env_file=None, callback_ca_bundle=CA)).send(due, 1)
    server.should_exit = True
    await task
    print(json.dumps({
        "ok": ok.status, "host": seen[0]["host"], "signature": seen[0]["webhook-signature"],
        "lookups": lookups_for_ok, "wrong_name": [wrong_name.status, wrong_name.error],
        "unknown_ca": [unknown_ca.status, unknown_ca.error], "refused": [refused.status, refused.error],
    }))


asyncio.run(main())
"""


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_https_delivery_is_pinned_to_the_checked_address_and_verified(tmp_path: Path) -> None:
    out = tmp_path / "erp"
    generate(EVENTS, out, companions=(API,))
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
            "-days", "2", "-subj", "/CN=asyncgen test CA", cwd=tmp_path)  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
            "-subj", "/CN=hooks.example.test", cwd=tmp_path)  # fmt: skip
    (tmp_path / "san.ext").write_text("subjectAltName=DNS:hooks.example.test\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "san.ext", cwd=tmp_path)  # fmt: skip
    (tmp_path / "probe.py").write_text(SCRIPT)
    proc = subprocess.run(
        [sys.executable, str(tmp_path / "probe.py"), "ca.pem", "server.pem", "server.key"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(out), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["ok"] == 200
    assert result["host"].startswith("hooks.example.test:")  # the URL's host, not the address
    assert result["signature"].startswith("v1,")
    assert result["lookups"] == 1  # resolved once, by the SSRF guard; httpx connected to the address
    assert result["wrong_name"][0] is None and "CERTIFICATE" in result["wrong_name"][1].upper()
    assert result["unknown_ca"][0] is None and "CERTIFICATE" in result["unknown_ca"][1].upper()
    assert result["refused"][0] is None and result["refused"][1].startswith("refused")
