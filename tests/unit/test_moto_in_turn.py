"""The local stack's moto answers DynamoDB's requests one at a time (local.moto_transactions):
moto applies a request in steps, and `make run`'s environments send requests side by side."""

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
        threading.Thread(target=in_turn, args=({"HTTP_X_AMZ_TARGET": target}, lambda *args: None)) for _ in range(4)
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
