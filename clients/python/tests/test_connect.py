"""connect(): the API key and actor headers, plaintext and TLS.

These run against a tiny in-process server built from the generated
servicer, which records the metadata it receives (the live claimdb does not
check API keys)."""

import shutil
import subprocess
from concurrent import futures

import grpc
import pytest

from claimdb.v1 import claim_pb2, claim_pb2_grpc
from claimdb_client import connect
from claimdb_client.client import _host_of


class _Recorder(claim_pb2_grpc.ClaimServiceServicer):
    def __init__(self):
        self.metadata = []

    def GetClaim(self, request, context):
        self.metadata.append(dict(context.invocation_metadata()))
        return claim_pb2.GetClaimResponse(claim=claim_pb2.Claim(id=request.id))


def _serve(credentials=None):
    recorder = _Recorder()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    claim_pb2_grpc.add_ClaimServiceServicer_to_server(recorder, server)
    if credentials is None:
        port = server.add_insecure_port("127.0.0.1:0")
    else:
        port = server.add_secure_port("127.0.0.1:0", credentials)
    server.start()
    return server, port, recorder


def test_api_key_and_actor_are_sent_as_metadata():
    server, port, recorder = _serve()
    try:
        with connect(f"localhost:{port}", api_key="s3cret", actor="notebook") as db:
            assert db.get_claim("abc").id == "abc"
        md = recorder.metadata[0]
        assert md["authorization"] == "Bearer s3cret"
        assert md["claimdb-actor"] == "notebook"
    finally:
        server.stop(None)


def test_no_api_key_no_authorization_header():
    server, port, recorder = _serve()
    try:
        with connect(f"127.0.0.1:{port}") as db:
            db.get_claim("x")
        assert "authorization" not in recorder.metadata[0]
    finally:
        server.stop(None)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")
def test_tls_with_a_root_certificate(tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    creds = grpc.ssl_server_credentials([(key.read_bytes(), cert.read_bytes())])
    server, port, recorder = _serve(creds)
    try:
        # TLS must be asked for explicitly on localhost (plaintext is the default there).
        with connect(f"localhost:{port}", root_certificates=cert, plaintext=False, api_key="k", timeout=10) as db:
            assert db.get_claim("tls").id == "tls"
        assert recorder.metadata[0]["authorization"] == "Bearer k"
        # A plaintext client cannot talk to the TLS server.
        with connect(f"localhost:{port}", timeout=5) as db, pytest.raises(Exception):
            db.get_claim("plain")
    finally:
        server.stop(None)


def test_plaintext_only_by_default_for_local_hosts():
    assert _host_of("localhost:50051") == "localhost"
    assert _host_of("127.0.0.1:1") == "127.0.0.1"
    assert _host_of("[::1]:50051") == "[::1]"
    assert _host_of("claimdb.example.com:443") == "claimdb.example.com"
    with pytest.raises(ValueError):
        connect("localhost:1", root_certificates=b"pem", plaintext=True)
