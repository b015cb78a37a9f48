"""``edge-sentiment serve``: the real server on a free port, spoken to over HTTP. Answers equal
the in-process classifier's; every fault of the issue gets its defined answer; SIGTERM under
load finishes what is in flight and exits 0; a bundle that does not load is never served."""

from __future__ import annotations

import asyncio
import http.client
import json
import shutil
import socket
import sys
import threading
import time

import pytest

from conftest import SHIPPED_BUNDLE, REPO, run_cli, start_server

pytest.importorskip("fastapi", reason="serving needs the 'serve' extra")

from edge_sentiment import SentimentClassifier  # noqa: E402
from edge_sentiment.bundle import load_bundle  # noqa: E402
from edge_sentiment.conformance import read_cases  # noqa: E402

TEXTS = ["great film", "dull", "not bad at all", "", "Ｆｕｌｌ-width and 日本語 text", "a " * 3000, "terrible, terrible acting"]


@pytest.fixture(scope="module")
def server():
    served = start_server("--max-body", "200000", "--max-texts", "50", "--read-timeout", "0.5")
    yield served
    assert served.stop() == 0, "".join(served.log)


@pytest.fixture(scope="module")
def classifier():
    return SentimentClassifier.load()


def _same_prediction(record: dict, text: str, expected) -> None:
    assert record["text"] == text and record["label"] == expected.label
    assert record["score"] == pytest.approx(expected.score, abs=1e-6)
    assert record["scores"].keys() == expected.scores.keys()
    for label, value in expected.scores.items():
        assert record["scores"][label] == pytest.approx(value, abs=1e-6)


def test_predict_answers_what_the_classifier_says_for_one_text_and_for_a_list(server, classifier):
    cases = [case["text"] for case in read_cases(load_bundle(SHIPPED_BUNDLE))][:40]
    for text in TEXTS + cases[:10]:
        status, _, record = server.request("POST", "/v1/predict", {"text": text})
        assert status == 200
        _same_prediction(record, text, classifier.predict(text))
    status, _, body = server.request("POST", "/v1/predict", {"texts": cases})
    assert status == 200 and len(body["predictions"]) == len(cases)
    for record, text, expected in zip(body["predictions"], cases, classifier.predict_batch(cases)):
        _same_prediction(record, text, expected)
    status, _, body = server.request("POST", "/v1/predict", {"texts": ["great film", "dull"], "top_k": 1})
    assert [list(p["scores"]) for p in body["predictions"]] == [["positive"], ["negative"]]
    assert server.request("POST", "/v1/predict", {"texts": []})[2] == {"predictions": []}


def test_json_is_read_whatever_the_content_type_says(server):
    status, _, record = server.request("POST", "/v1/predict", raw=b'{"text": "great film"}',
                                       headers={"Content-Type": "application/x-www-form-urlencoded"})  # curl -d
    assert status == 200 and record["label"] == "positive"


def test_explain_model_health_and_openapi(server, classifier):
    status, _, body = server.request("POST", "/v1/explain", {"text": "not bad at all"})
    expected = classifier.explain("not bad at all").to_dict()
    assert status == 200 and body["label"] == expected["label"]
    assert [t["token"] for t in body["tokens"]] == [t["token"] for t in expected["tokens"]]
    for got, want in zip(body["tokens"], expected["tokens"]):
        assert got["contribution"] == pytest.approx(want["contribution"], abs=1e-6)
    assert server.request("GET", "/v1/model")[2] == json.loads(run_cli("info", "--json").stdout)
    assert server.request("GET", "/healthz")[:3:2] == (200, {"status": "ok"})
    assert server.request("GET", "/readyz")[:3:2] == (200, {"status": "ready"})
    status, _, spec = server.request("GET", "/openapi.json")
    assert status == 200 and {"/v1/predict", "/v1/explain", "/v1/model", "/healthz", "/readyz", "/metrics"} <= set(spec["paths"])


def test_the_openapi_document_in_docs_is_the_one_served(server):
    assert json.loads((REPO / "docs" / "openapi.json").read_text()) == server.request("GET", "/openapi.json")[2], (
        "docs/openapi.json is stale: python -m edge_sentiment.server.openapi > docs/openapi.json")


@pytest.mark.parametrize("payload, status, names", [
    (b'{"texts": ["a"', 400, "not valid JSON"),
    (b"", 400, "not valid JSON"),
    (b"\xff\xfe", 400, "not valid JSON"),
    (b"[1, 2]", 422, "must be a JSON object"),
    (b'{"texts": ["ok", 3]}', 422, "texts[1]: Input should be a valid string"),
    (b'{"text": ["a list"]}', 422, "text: Input should be a valid string"),
    (b'{"txt": "typo"}', 422, "txt: not a field"),
    (b'{"text": "a", "texts": ["b"]}', 422, "not both"),
    (b"{}", 422, "give either 'text'"),
    (b'{"text": "a", "top_k": 0}', 422, "top_k: Input should be greater than or equal to 1"),
    (b'{"text": "a", "top_k": "two"}', 422, "top_k: Input should be a valid integer"),
])
def test_malformed_requests_get_a_message_that_names_the_field(server, payload, status, names):
    got, _, body = server.request("POST", "/v1/predict", raw=payload)
    assert (got, names in body["error"]) == (status, True), body


def test_explaining_an_unknown_label_lists_the_labels(server):
    status, _, body = server.request("POST", "/v1/explain", {"text": "fine", "label": "neutral"})
    assert status == 422 and "its labels: negative, positive" in body["error"]


def test_limits_answer_413(server):
    status, _, body = server.request("POST", "/v1/predict", {"texts": ["ok"] * 51})
    assert status == 413 and "51 texts" in body["error"] and "--max-texts" in body["error"]
    status, _, body = server.request("POST", "/v1/predict", {"text": "x" * 300_000})
    assert status == 413 and "--max-body" in body["error"]
    # A chunked body (no Content-Length) is counted as it arrives.
    connection = http.client.HTTPConnection(server.host, server.port, timeout=30)
    chunks = (b'{"text": "' + b"y" * 50_000 for _ in range(4))
    connection.request("POST", "/v1/predict", body=chunks, encode_chunked=True, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 413 and b"over the limit" in response.read()
    connection.close()


def test_unknown_routes_and_methods(server):
    assert server.request("GET", "/v2/predict")[::2] == (404, {"error": (
        "not found: /v2/predict; the routes are POST /v1/predict, POST /v1/explain, GET /v1/model, GET /healthz, "
        "GET /readyz, GET /metrics (and GET /docs)")})
    assert server.request("GET", "/v1/predict")[::2] == (405, {"error": "method not allowed: /v1/predict takes POST"})


def test_a_slow_client_gets_408_and_others_are_served_meanwhile(server):
    with socket.create_connection((server.host, server.port), timeout=30) as slow:
        slow.sendall(b"POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 40\r\n\r\n{\"text\": ")
        assert server.request("POST", "/v1/predict", {"text": "great"})[0] == 200  # not held up by the slow one
        answer = b""
        while chunk := slow.recv(65536):  # until the server closes the connection
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 408") and b"did not arrive within 0.5 s" in answer


@pytest.mark.parametrize("sent", [b"", b"POST /v1/predict HTTP/1.1\r\nHost: x\r\n"], ids=["nothing", "half a head"])
def test_a_connection_without_a_request_head_is_closed_after_the_read_timeout(server, sent):
    with socket.create_connection((server.host, server.port), timeout=30) as idle:
        idle.sendall(sent)
        assert idle.recv(100) == b""  # closed by the server (the socket's own timeout would raise)


def test_clients_that_disconnect_mid_request_leave_the_server_serving(server):
    for payload in (b'{"text": "half a bo', json.dumps({"texts": ["long " * 400] * 50}).encode()):
        with socket.create_connection((server.host, server.port), timeout=30) as gone:
            head = f"POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: {len(payload) + 10}\r\n\r\n".encode()
            complete = payload.endswith(b"}")
            if complete:
                head = head.replace(str(len(payload) + 10).encode(), str(len(payload)).encode())
            gone.sendall(head + payload)
        # (the second was whole: it is scored and its answer dropped)
    time.sleep(0.5)
    assert server.request("POST", "/v1/predict", {"text": "great film"})[0] == 200
    metrics = server.request("GET", "/metrics")[2]
    assert 'status="500"' not in metrics and 'edge_sentiment_requests_total{route="other",status="499"}' in metrics


def test_keep_alive_connections_are_reused(server):
    connection = http.client.HTTPConnection(server.host, server.port, timeout=30)
    try:
        for text in TEXTS:
            status, headers, _ = server.exchange(connection, "POST", "/v1/predict", {"text": text})
            assert status == 200 and headers.get("connection", "keep-alive") != "close"
        first_socket = connection.sock
        server.exchange(connection, "GET", "/healthz")
        assert connection.sock is first_socket  # the same connection all along
    finally:
        connection.close()


def test_connections_are_served_without_nagles_delay():
    """Responses go out in two writes (head, body): with Nagle's algorithm on, the body would wait
    for the client's delayed ACK (~40 ms per request). The listening socket the server binds must
    make every accepted connection TCP_NODELAY."""
    from edge_sentiment.server.runner import _bind

    async def accepted_option() -> int:
        listening = _bind("127.0.0.1", 0)
        options = []

        def on_connection(reader, writer) -> None:
            options.append(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_connection, sock=listening)
        _, writer = await asyncio.open_connection(*listening.getsockname()[:2])
        while not options:
            await asyncio.sleep(0.01)
        writer.close()
        server.close()
        return options[0]

    assert asyncio.run(accepted_option()) != 0


def test_metrics_count_requests_errors_texts_and_batches(server):
    from prometheus_client.parser import text_string_to_metric_families

    def figures() -> dict:
        text = server.request("GET", "/metrics")[2]
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(text) for s in family.samples}

    before = figures()
    server.request("POST", "/v1/predict", {"texts": ["a", "b", "c"]})
    server.request("POST", "/v1/predict", raw=b"{")
    after = figures()
    ok = ("edge_sentiment_requests_total", (("route", "/v1/predict"), ("status", "200")))
    bad = ("edge_sentiment_errors_total", (("route", "/v1/predict"), ("status", "400")))
    scored = ("edge_sentiment_texts_scored_total", ())
    assert after[ok] == before.get(ok, 0) + 1 and after[bad] == before.get(bad, 0) + 1
    assert after[scored] == before[scored] + 3
    assert after[("edge_sentiment_request_duration_seconds_count", (("route", "/v1/predict"),))] >= 2
    assert after[("edge_sentiment_batch_texts_count", ())] >= 1


def test_concurrent_requests_are_all_answered_correctly(server, classifier):
    texts = [f"film number {i} was {'great' if i % 2 else 'awful'}" for i in range(64)]
    expected = classifier.predict_batch(texts)
    answers: dict[int, dict] = {}

    def client(i: int) -> None:
        answers[i] = server.request("POST", "/v1/predict", {"text": texts[i]})[2]

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, text in enumerate(texts):
        _same_prediction(answers[i], text, expected[i])


# -- the micro-batcher itself ------------------------------------------------------------------------


def test_requests_waiting_together_are_scored_in_one_call():
    from edge_sentiment.server.batching import MicroBatcher

    calls = []

    def score_many(texts):
        calls.append(list(texts))
        return [text.upper() for text in texts]

    async def scenario():
        batcher = MicroBatcher(score_many, max_texts=100, wait=0.05, max_queued_texts=1000)
        batcher.start()
        results = await asyncio.gather(*(batcher.score([f"t{i}", f"u{i}"]) for i in range(10)))
        await batcher.stop()
        return results

    results = asyncio.run(scenario())
    assert results == [[f"T{i}", f"U{i}"] for i in range(10)]
    assert len(calls) == 1 and len(calls[0]) == 20


def test_a_full_queue_refuses_and_a_failed_batch_fails_only_its_requests():
    from edge_sentiment.server.batching import MicroBatcher, Overloaded

    release = threading.Event()

    def score_many(texts):
        release.wait(10)
        if "boom" in texts:
            raise RuntimeError("model failed")
        return texts

    async def scenario():
        batcher = MicroBatcher(score_many, max_texts=4, wait=0.0, max_queued_texts=6)
        batcher.start()
        first = asyncio.ensure_future(batcher.score(["boom"]))
        await asyncio.sleep(0.1)  # taken: the scoring thread holds it
        queued = asyncio.ensure_future(batcher.score(["a", "b", "c", "d", "e"]))
        await asyncio.sleep(0)
        with pytest.raises(Overloaded):
            await batcher.score(["f", "g"])
        release.set()
        with pytest.raises(RuntimeError, match="model failed"):
            await first
        assert await queued == ["a", "b", "c", "d", "e"]
        await batcher.stop()

    asyncio.run(scenario())


# -- start and stop ----------------------------------------------------------------------------------


def test_a_scoring_timeout_answers_504():
    served = start_server("--timeout", "0.001", "--max-body", "20000000")
    try:
        status, _, body = served.request("POST", "/v1/predict", {"texts": ["word " * 5000] * 200})
        assert status == 504 and "timeout of 0.001 s" in body["error"]
        assert served.request("POST", "/v1/explain", {"text": "word " * 5000})[0] == 504
    finally:
        assert served.stop() == 0


def test_sigterm_under_load_finishes_requests_in_flight_and_exits_0():
    served = start_server("--shutdown-timeout", "20")
    statuses, refused, stop = [], [], threading.Event()

    def client() -> None:
        while not stop.is_set():
            try:
                statuses.append(served.request("POST", "/v1/predict", {"texts": ["a fine film " * 50] * 100})[0])
            except OSError:  # the listening socket is closed: no new connection is taken
                refused.append(1)
                time.sleep(0.01)

    clients = [threading.Thread(target=client) for _ in range(8)]
    for c in clients:
        c.start()
    time.sleep(1.5)
    started = time.monotonic()
    served.process.send_signal(15)
    status = served.process.wait(60)
    stopped_after = time.monotonic() - started
    stop.set()
    for c in clients:
        c.join()
    assert status == 0, "".join(served.log)
    assert statuses and set(statuses) == {200}, statuses  # every request answered was answered in full
    assert stopped_after < 20 + 5
    assert "Shutting down" in "".join(served.log)


def test_several_worker_processes_answer_alike_and_report_their_metrics_together(classifier):
    served = start_server("--workers", "2")
    try:
        for text in TEXTS:
            _same_prediction(served.request("POST", "/v1/predict", {"text": text})[2], text, classifier.predict(text))
        text = served.request("GET", "/metrics")[2]
        counted = [line for line in text.splitlines() if line.startswith("edge_sentiment_texts_scored_total")]
        assert counted and float(counted[0].split()[-1]) >= len(TEXTS)
    finally:
        assert served.stop() == 0, "".join(served.log)


def test_a_bundle_that_does_not_load_is_never_served(tmp_path):
    result = run_cli("serve", "--port", "0", "--model", str(tmp_path / "nowhere"), timeout=120)
    assert result.returncode == 1 and result.stderr.decode().startswith("error: ") and b"nowhere" in result.stderr
    broken = tmp_path / "broken"
    shutil.copytree(SHIPPED_BUNDLE, broken)
    (broken / "model.onnx").write_bytes(b"not a model")
    result = run_cli("serve", "--port", "0", "--model", str(broken), timeout=120)
    assert result.returncode == 1 and b"model.onnx" in result.stderr and b"serving" not in result.stderr
    assert len(result.stderr.decode().strip().splitlines()) == 1


def test_a_busy_port_is_a_one_line_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--port", str(port), timeout=120)
    assert result.returncode == 1
    assert result.stderr.decode().strip().splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use; "
        "choose another --port, or stop what listens there"]


def test_serve_without_the_extra_names_it():
    import subprocess

    code = ("import sys; sys.modules['uvicorn'] = None; sys.argv = ['edge-sentiment', 'serve'];"
            "from edge_sentiment.console import main; main()")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.decode().strip() == "error: serving over HTTP needs uvicorn: pip install 'edge-sentiment[serve]'"
