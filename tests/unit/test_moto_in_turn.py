"""The local stack's moto answers DynamoDB's requests one at a time (local.moto_transactions):
moto applies a request in steps, and `make run`'s environments send requests side by side."""

import io
import threading
import time
from typing import Any

from local.moto_transactions import DynamoDBInTurn


class Overlapping:
    """A WSGI application that notes how many requests it was answering at once."""

    def __init__(self) -> None:
        self.inside, self.most = 0, 0
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        with self.lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
        time.sleep(0.2)
        with self.lock:
            self.inside -= 1
        return [b"{}"]


def most_at_once(target: str) -> int:
    app = Overlapping()
    in_turn = DynamoDBInTurn(app)
    threads = [
        threading.Thread(
            target=in_turn, args=({"HTTP_X_AMZ_TARGET": target, "wsgi.input": io.BytesIO(b"{}")}, lambda *args: None)
        )
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return app.most


def test_dynamodbs_requests_and_its_streams_are_answered_one_at_a_time() -> None:
    assert most_at_once("DynamoDB_20120810.TransactWriteItems") == 1
    assert most_at_once("DynamoDBStreams_20120810.GetRecords") == 1


def test_the_other_services_requests_are_not_held_up() -> None:
    assert most_at_once("AmazonSQS.ReceiveMessage") == 4


class Counting:
    """A WSGI application that answers each request with how many it has applied."""

    def __init__(self) -> None:
        self.applied = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        environ["wsgi.input"].read()
        self.applied += 1
        start_response("200 OK", [("Content-Type", "application/x-amz-json-1.0")])
        return [str(self.applied).encode()]


def transaction(app: DynamoDBInTurn, body: bytes) -> bytes:
    environ = {
        "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.TransactWriteItems",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    return b"".join(app(environ, lambda *args: None))


def test_a_transaction_sent_again_with_its_token_gets_the_first_answer_and_is_not_applied_twice() -> None:
    moto = Counting()
    in_turn = DynamoDBInTurn(moto)
    first = b'{"ClientRequestToken": "t-1", "TransactItems": []}'

    assert transaction(in_turn, first) == b"1"
    assert transaction(in_turn, first) == b"1"  # an SDK's retry after a timed-out read
    assert transaction(in_turn, b'{"ClientRequestToken": "t-2", "TransactItems": []}') == b"2"
    assert transaction(in_turn, b'{"TransactItems": []}') == b"3"  # no token: applied each time
    assert transaction(in_turn, b'{"TransactItems": []}') == b"4"
    assert moto.applied == 4
