"""Standard weights: streamed, resumable, verified downloads, tested against an HTTP server on 127.0.0.1
(no other host is ever contacted), and the offline errors."""

import dataclasses
import hashlib
import http.server
import os
import threading

import pytest

from xmbench.cli import main
from xmbench.errors import WeightsError
from xmbench.extractors import standard_weights
from xmbench.extractors.download import fetch_file, partial_path
from xmbench.extractors.local_weights import resolve_weights

PAYLOAD = os.urandom(300_000)
OTHER = os.urandom(300_000)
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves PAYLOAD with Range support; the path picks a fault: /cut (first request stops halfway),
    /norange (ignores Range), /wrong (other bytes), /error (HTTP 500)."""

    def do_GET(self):  # noqa: N802 - the http.server API
        self.server.requests.append((self.path, self.headers.get("Range")))
        self.server.served[self.path] = self.server.served.get(self.path, 0) + 1
        if self.path.startswith("/error"):
            self.send_error(500, "boom")
            return
        body = OTHER if self.path.startswith("/wrong") else PAYLOAD
        start = 0
        rng = self.headers.get("Range")
        if rng and not self.path.startswith("/norange"):
            start = int(rng.removeprefix("bytes=").rstrip("-"))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        cut = self.path.startswith("/cut") and self.server.served[self.path] == 1
        self.wfile.write(body[start : len(body) // 2] if cut else body[start:])
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.requests, httpd.served = [], {}
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _url(server, path):
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def test_good_file_is_streamed_verified_and_renamed(server, tmp_path):
    dest = tmp_path / "w" / "good.bin"
    lines = []
    assert fetch_file(_url(server, "/good.bin"), dest, SHA, log=lines.append) == dest
    assert dest.read_bytes() == PAYLOAD and not partial_path(dest).exists()
    assert len(lines) == 2 and "verified" in lines[1]
    server.requests.clear()
    fetch_file(_url(server, "/good.bin"), dest, SHA)  # present: nothing is requested again
    assert server.requests == []


def test_interrupted_transfer_keeps_its_bytes_and_resumes_with_a_range_request(server, tmp_path):
    dest = tmp_path / "cut.bin"
    with pytest.raises(WeightsError, match=r"stopped at 150000 of 300000 bytes; run the same command again"):
        fetch_file(_url(server, "/cut.bin"), dest, SHA)
    assert not dest.exists() and partial_path(dest).stat().st_size == len(PAYLOAD) // 2
    server.requests.clear()
    fetch_file(_url(server, "/cut.bin"), dest, SHA)
    assert server.requests == [("/cut.bin", "bytes=150000-")]
    assert dest.read_bytes() == PAYLOAD and not partial_path(dest).exists()


def test_a_server_that_ignores_range_restarts_the_file(server, tmp_path):
    dest = tmp_path / "norange.bin"
    partial_path(dest).write_bytes(PAYLOAD[:1000])
    fetch_file(_url(server, "/norange.bin"), dest, SHA)
    assert dest.read_bytes() == PAYLOAD


def test_wrong_hash_keeps_nothing(server, tmp_path):
    dest = tmp_path / "wrong.bin"
    with pytest.raises(WeightsError) as e:
        fetch_file(_url(server, "/wrong.bin"), dest, SHA)
    msg = str(e.value)
    assert "\n" not in msg and hashlib.sha256(OTHER).hexdigest() in msg and SHA in msg and str(dest) in msg
    assert not dest.exists() and not partial_path(dest).exists()


def test_server_error_and_unreachable_host_are_one_line(server, tmp_path):
    dest = tmp_path / "e.bin"
    with pytest.raises(WeightsError, match=r"/error.bin answered HTTP 500 .*place the file at .*e.bin"):
        fetch_file(_url(server, "/error.bin"), dest, SHA)
    closed = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    port = closed.server_address[1]
    closed.server_close()  # nothing listens on this port any more
    with pytest.raises(WeightsError, match=r"cannot reach http://127.0.0.1:\d+/x.bin .*XMBENCH_OFFLINE=1"):
        fetch_file(f"http://127.0.0.1:{port}/x.bin", dest, SHA)
    assert not dest.exists()


@pytest.fixture
def local_catalogue(server, tmp_path, monkeypatch):
    """The catalogue pinned to PAYLOAD, fetched from the test server (XMBENCH_WEIGHTS_MIRROR), online."""
    for name, entry in standard_weights.CATALOGUE.items():
        monkeypatch.setitem(standard_weights.CATALOGUE, name, dataclasses.replace(entry, sha256=SHA))
    monkeypatch.setenv("XMBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XMBENCH_WEIGHTS_MIRROR", _url(server, "/mirror/"))
    monkeypatch.delenv("XMBENCH_OFFLINE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return tmp_path / "home" / "weights"


def test_weights_fetch_and_list_commands(local_catalogue, server, capsys):
    assert main(["weights", "list"]) == 0
    assert capsys.readouterr().out.count("missing") == 2
    assert main(["weights", "fetch", "clip-vit-b-32"]) == 0
    file_name = standard_weights.CATALOGUE["clip-vit-b-32"].file_name
    assert (local_catalogue / file_name).read_bytes() == PAYLOAD
    assert server.requests[-1][0] == f"/mirror/{file_name}"
    assert main(["weights", "list"]) == 0
    out = capsys.readouterr().out
    assert "clip-vit-b-32      verified" in out and "inception-v3-fid   missing" in out
    (local_catalogue / file_name).write_bytes(b"tampered")
    assert main(["weights", "list"]) == 0
    assert "clip-vit-b-32      differs from the pinned sha256" in capsys.readouterr().out
    assert main(["weights", "fetch", "inceptoin"]) == 2
    assert "did you mean 'inception-v3-fid'" in capsys.readouterr().err


def test_missing_standard_weights_are_fetched_at_first_use(local_catalogue):
    entry = standard_weights.CATALOGUE["inception-v3-fid"]
    path = resolve_weights(None, extractor=entry.name, file_name=entry.file_name, source="")
    assert path == local_catalogue / entry.file_name and path.read_bytes() == PAYLOAD


@pytest.mark.parametrize("variable, value", [("XMBENCH_OFFLINE", "1"), ("HF_HUB_OFFLINE", "TRUE")])
def test_offline_names_the_url_and_the_destination(local_catalogue, server, monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    server.requests.clear()
    entry = standard_weights.CATALOGUE["clip-vit-b-32"]
    with pytest.raises(WeightsError) as e:
        resolve_weights(None, extractor=entry.name, file_name=entry.file_name, source="")
    msg = str(e.value)
    assert "\n" not in msg and entry.download_url() in msg and str(local_catalogue / entry.file_name) in msg
    assert server.requests == []


def test_canonical_urls_are_the_peers_own():
    from open_clip.pretrained import get_pretrained_cfg
    from torch_fidelity.feature_extractor_inceptionv3 import URL_INCEPTION_V3

    inception = standard_weights.CATALOGUE["inception-v3-fid"]
    assert inception.url == URL_INCEPTION_V3 and inception.sha256.startswith(inception.file_name.split("-")[-1][:8])
    clip = standard_weights.CATALOGUE["clip-vit-b-32"]
    hub = get_pretrained_cfg("ViT-B-32-quickgelu", "openai")["hf_hub"].strip("/")
    assert clip.url.startswith(f"https://huggingface.co/{hub}/resolve/")
    assert all(len(w.sha256) == 64 for w in standard_weights.CATALOGUE.values())


def test_a_folder_given_as_weights_file_is_one_line(tmp_path):
    with pytest.raises(WeightsError, match=r"is a folder; pass the path of the file"):
        resolve_weights(tmp_path, extractor="inception-v3-fid", file_name="w.pth", source="")
