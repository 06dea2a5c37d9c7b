import re
import uuid

from shared.envelope import envelope
from shared.errors import Conflict

CONTRACT_KEYS = {"id", "ver", "ts", "params", "responseCode", "result"}
PARAMS_KEYS = {"resmsgid", "status", "err", "errmsg"}
UTC_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_success_envelope_has_every_contract_key_with_nulls_for_unset():
    body = envelope("api.course.get", 200, result={"courseId": "c1"})

    assert set(body) == CONTRACT_KEYS
    assert set(body["params"]) == PARAMS_KEYS
    assert body["id"] == "api.course.get"
    assert body["ver"] == "1.0"
    assert UTC_Z.match(body["ts"])
    assert uuid.UUID(body["params"]["resmsgid"]).version == 4
    assert body["params"] == {**body["params"], "status": "successful", "err": None, "errmsg": None}
    assert body["responseCode"] == 200
    assert body["result"] == {"courseId": "c1"}


def test_failure_envelope_carries_code_and_message_and_null_result():
    body = envelope("api.course.create", 409, error=Conflict("The alias 'x' is taken."))

    assert body["params"]["status"] == "failed"
    assert body["params"]["err"] == "CONFLICT"
    assert body["params"]["errmsg"] == "The alias 'x' is taken."
    assert body["responseCode"] == 409
    assert body["result"] is None


def test_every_response_gets_a_fresh_message_id():
    first, second = envelope("api.course.list", 200), envelope("api.course.list", 200)

    assert first["params"]["resmsgid"] != second["params"]["resmsgid"]
