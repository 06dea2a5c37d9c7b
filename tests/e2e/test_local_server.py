"""`make run`'s server over real HTTP: the same process a developer starts, with a token from
`make token`'s command, driven by a plain HTTP client."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from typing import Any

import pytest
from urllib3.filepost import encode_multipart_formdata

from local.template import ROOT
from tests.support import samples
from tests.support.local_server import Server, eventually

# Under pytest-xdist (make test) this module runs on one worker, so on one server: its tests
# share the module's server, and the last one stops it.
pytestmark = pytest.mark.xdist_group("local-server")


def test_courses_end_to_end_over_http(server: Server) -> None:
    admin = server.token()

    status, created, headers = server.json("POST", "/api/courses", admin, {"title": "E2E JSON", "status": "published"})
    assert status == 201
    assert headers["Content-Type"] == "application/json"
    assert created["id"] == "api.course.create"
    course_id = created["result"]["courseId"]

    form, content_type = encode_multipart_formdata({"title": "E2E Form", "featured": "true", "free": "false"})
    status, from_form, _ = server.request("POST", "/api/courses", admin, form, content_type)
    assert status == 201
    assert (from_form["result"]["featured"], from_form["result"]["free"]) == (True, False)

    status, listed, _ = server.request("GET", "/api/courses?status=published&page=1&limit=1", admin)
    assert status == 200
    assert listed["result"]["count"] == 1
    assert [course["courseId"] for course in listed["result"]["courses"]] == [course_id]

    status, page_two, _ = server.request("GET", "/api/courses?page=2&limit=1", admin)
    assert (status, page_two["result"]["count"], len(page_two["result"]["courses"])) == (200, 2, 1)

    status, fetched, _ = server.request("GET", f"/api/courses/{course_id}", server.token("learner"))
    assert (status, fetched["result"]["title"]) == (200, "E2E JSON")

    status, updated, _ = server.json("PUT", f"/api/courses/{course_id}", admin, {"shortDescription": "now shorter"})
    assert (status, updated["result"]["shortDescription"]) == (200, "now shorter")

    status, details, _ = server.request("GET", f"/api/courses/{course_id}/details", admin)
    assert (status, details["result"]["modules"]) == (200, [])

    status, deleted, _ = server.request("DELETE", f"/api/courses/{course_id}", admin)
    assert (status, deleted["result"]) == (200, {"message": "Course deleted successfully"})
    assert server.request("GET", f"/api/courses/{course_id}", admin)[0] == 404


def test_the_token_make_token_prints_is_accepted(server: Server) -> None:
    output = subprocess.run(
        [sys.executable, "-m", "local.token", "--role", "learner", "--tenant", "e2e-tokens", "--user", "someone"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip

    status, listed, _ = server.request("GET", "/api/enrollments", output.strip().splitlines()[-1])

    assert (status, listed["result"]["count"]) == (200, 0)


def test_the_server_records_where_it_is_and_a_second_on_its_port_says_how_to_choose_another(
    server: Server,
) -> None:
    found = subprocess.run(
        [sys.executable, "-m", "local.running", "url"], cwd=ROOT, env={**os.environ, "LMS_STACK_FILE": str(server.stack_file)},
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    port = server.url.rsplit(":", 1)[1]
    second = subprocess.run(
        [sys.executable, "-m", "local.server"], cwd=ROOT, env={**os.environ, "PORT": port},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    assert found.stdout.strip() == server.url
    assert second.returncode == 1
    assert second.stderr.splitlines() == [
        f"Port {port} is in use (another `make run`?): stop it, or choose another, e.g. PORT={int(port) + 1} make run"
    ]


def test_a_request_without_a_valid_token_gets_the_contracts_401(server: Server) -> None:
    status, body, _ = server.request("GET", "/api/courses")

    assert status == 401
    assert body["params"]["err"] == "UNAUTHORIZED"
    assert body["responseCode"] == 401
    assert server.request("GET", "/api/courses", token="not.a.jwt")[0] == 401


def test_the_issuer_publishes_its_keys_and_cors_preflight_is_answered(server: Server) -> None:
    status, jwks, _ = server.request("GET", "/.well-known/jwks.json")
    assert status == 200
    assert jwks["keys"][0]["kty"] == "RSA"

    request = urllib.request.Request(server.url + "/api/courses", method="OPTIONS")  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert response.status == 204
        assert "authorization" in response.headers["Access-Control-Allow-Headers"]
        assert "x-total-count" in response.headers["Access-Control-Expose-Headers"].split(",")


def test_the_api_document_and_swagger_ui_are_served(server: Server) -> None:
    status, document, headers = server.request("GET", "/openapi.json")
    assert (status, headers["Content-Type"]) == (200, "application/json")
    assert document["info"]["title"] == "LMS service"
    assert (
        len([op for methods in document["paths"].values() for op in methods.values()]) == 38 + 5
    )  # and beyond the contract
    # Its servers: this one, on the port it took (for Postman or "Try it out"), and a deployed stack.
    assert [entry["url"] for entry in document["servers"]] == [server.url, "{apiUrl}"]

    with urllib.request.urlopen(server.url + "/docs", timeout=10) as response:  # noqa: S310 - loopback
        page = response.read().decode()
    assert response.headers["Content-Type"].startswith("text/html")
    assert "SwaggerUIBundle" in page
    assert "api.course.create" in page  # the document is inline: no CDN, no second request
    # The page's own link to the document, as Swagger UI writes it.
    assert '"?format=json"' in page
    linked_status, linked, linked_headers = server.request("GET", "/docs?format=json")
    assert (linked_status, linked_headers["Content-Type"], linked) == (200, "application/json", document)


def test_seeded_catalogue_reads_back_as_the_contracts_tree(server: Server) -> None:
    seeded = subprocess.run(  # noqa: S603 - our own module, as `make seed` runs it
        [sys.executable, "-m", "local.seed", "--url", server.url, "--tenant", "e2e-seed"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=120,
    ).stdout  # fmt: skip
    course_id = seeded.splitlines()[0].split()[0]
    learner = server.token("learner", tenant="e2e-seed")

    status, details, _ = server.request("GET", f"/api/courses/{course_id}/details", learner)

    assert status == 200
    tree = details["result"]
    assert [lesson["title"] for lesson in tree["lessons"]] == ["Welcome and course overview"]
    fundamentals, networks = tree["modules"]
    assert [sub["title"] for sub in fundamentals["subModules"]] == ["Introduction to Algorithms", "Model evaluation"]
    assert [lesson["format"] for lesson in fundamentals["subModules"][0]["lessons"]] == ["video", "text_and_media"]
    assert [lesson["title"] for lesson in networks["lessons"]] == [
        "Backpropagation",
        "Live Q&A session",
        "Final assessment",
    ]
    assert networks["lessons"][2]["totalMarks"] == 100
    # The seeded learner is partway through: two lessons passed, the third open at 5 of 10.
    demo_learner = server.token("learner", tenant="e2e-seed", user="demo-learner")
    step = server.request("GET", f"/api/courses/{course_id}/tracking/next", demo_learner)[1]["result"]
    glossary, what_is_ml = fundamentals["lessons"][1], fundamentals["lessons"][0]
    assert step["next"] == {
        "lessonId": glossary["lessonId"],
        "moduleId": fundamentals["moduleId"],
        "position": 3,
        "attempt": 1,
        "currentPosition": 5,
    }
    assert step["previous"]["lessonId"] == what_is_ml["lessonId"]
    assert step["courseStatus"] == "in_progress"
    progress = server.request("GET", f"/api/courses/{course_id}/tracking/details", demo_learner)[1]["result"]
    assert (progress["modules"][0]["completedLessons"], progress["modules"][0]["noOfLessons"]) == (1, 5)
    assert progress["courseTrack"]["completedLessons"] == 2
    lesson_id = fundamentals["lessons"][0]["lessonId"]
    status, _, _ = server.json(
        "PUT", f"/api/lessons/{lesson_id}", server.token(tenant="e2e-seed"), {"title": "ML, defined"}
    )
    assert status == 200
    tree = server.request("GET", f"/api/courses/{course_id}/details", learner)[1]["result"]
    assert tree["modules"][0]["lessons"][0]["title"] == "ML, defined"


def test_media_uploads_register_and_download_byte_identical(server: Server) -> None:
    admin = server.token(tenant="e2e-media")
    # a larger document through the presigned flow: POST to S3 with a plain HTTP client
    document = samples.PDF + b"%" * 200_000
    status, created, _ = server.json(
        "POST", "/api/media", admin,
        {"format": "document", "orgFilename": "syllabus.pdf", "contentType": "application/pdf", "size": len(document)},
    )  # fmt: skip
    assert (status, created["result"]["status"]) == (201, "pending")
    upload = created["result"]["upload"]
    form, content_type = encode_multipart_formdata(
        [*upload["fields"].items(), ("file", ("syllabus.pdf", document, "application/pdf"))]
    )
    request = urllib.request.Request(upload["url"], data=form, method="POST", headers={"Content-Type": content_type})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        assert response.status in (200, 204)
    media_id = created["result"]["mediaId"]
    record = eventually(
        lambda: server.request("GET", f"/api/media/{media_id}", admin)[1]["result"],
        lambda found: found["status"] != "pending",
        # The S3 event reaches the registration function at once, but its first invocation is a
        # cold start: about a second, more on a busy machine.
        30,
        "the upload registered",
    )
    assert (record["status"], record["size"]) == ("uploaded", len(document))
    with urllib.request.urlopen(record["downloadUrl"], timeout=30) as response:  # noqa: S310
        assert response.read() == document

    # a small image inline, in the contract's form
    form, content_type = encode_multipart_formdata({"format": "image", "file": ("cover.png", samples.PNG, "image/png")})
    status, image, _ = server.request("POST", "/api/media", admin, form, content_type)
    assert (status, image["result"]["status"]) == (201, "uploaded")
    record = server.request("GET", f"/api/media/{image['result']['mediaId']}", admin)[1]["result"]
    with urllib.request.urlopen(record["downloadUrl"], timeout=30) as response:  # noqa: S310
        assert response.read() == samples.PNG

    # both attach to a lesson and delete cleanly
    lesson_id = server.json("POST", "/api/lessons", admin, {"title": "Reading", "format": "document"})[1]["result"][
        "lessonId"
    ]
    for attached in (media_id, image["result"]["mediaId"]):
        assert server.request("POST", f"/api/lessons/{lesson_id}/media/{attached}", admin)[0] == 201
        assert server.request("DELETE", f"/api/media/{attached}", admin)[0] == 200
        assert server.request("GET", f"/api/media/{attached}", admin)[0] == 404
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(record["downloadUrl"], timeout=30)  # noqa: S310 - the object is gone


def test_a_download_keeps_a_non_ascii_name_and_loses_direction_overrides(server: Server) -> None:
    admin = server.token(tenant="e2e-names")
    sent_name = "Résumé 履歴書\u202egnp.exe.png"  # U+202E would show the name reversed: "Résumé 履歴書exe.png"
    form, content_type = encode_multipart_formdata({"format": "image", "file": (sent_name, samples.PNG, "image/png")})
    status, created, _ = server.request("POST", "/api/media", admin, form, content_type)
    assert status == 201, created
    assert created["result"]["orgFilename"] == "Résumé 履歴書gnp.exe.png"

    record = server.request("GET", f"/api/media/{created['result']['mediaId']}", admin)[1]["result"]
    with urllib.request.urlopen(record["downloadUrl"], timeout=30) as response:  # noqa: S310 - loopback
        body, disposition = response.read(), response.headers["Content-Disposition"]

    assert body == samples.PNG
    assert disposition == (
        'attachment; filename="Resume gnp.exe.png"; '
        "filename*=UTF-8''R%C3%A9sum%C3%A9%20%E5%B1%A5%E6%AD%B4%E6%9B%B8gnp.exe.png"
    )


def test_a_learners_whole_journey_ends_in_one_course_completed_event(server: Server) -> None:
    tenant, learner_id = "journey-tenant", "journey-learner"
    admin, learner = server.token(tenant=tenant), server.token("learner", tenant, learner_id)
    other = server.token("learner", tenant, "someone-else")

    def result(method: str, path: str, token: str, payload: Any = None, expected: int = 200) -> Any:
        status, body, _ = (
            server.json(method, path, token, payload) if payload is not None else server.request(method, path, token)
        )
        assert status == expected, body
        return body["result"]

    # First a transaction cancelled (an alias taken twice): the stream feed must carry on past it.
    result("POST", "/api/courses", admin, {"title": "Taken", "alias": "journey-taken"}, 201)
    result("POST", "/api/courses", admin, {"title": "Taken again", "alias": "journey-taken"}, 409)
    course_id = result("POST", "/api/courses", admin, {"title": "Journey", "status": "published"}, 201)["courseId"]
    lessons = [
        result("POST", "/api/lessons", admin, {"title": f"L{n}", "format": "test", "totalMarks": 100,
                                               "passingMarks": 60, "attemptsGrade": "highest"}, 201)["lessonId"]
        for n in (1, 2)
    ]  # fmt: skip
    for lesson_id in lessons:
        result("POST", f"/api/courses/{course_id}/modules/null/lessons", admin, {"lessonId": lesson_id}, 201)
    result("POST", "/api/enrollments", admin, {"courseId": course_id, "userId": learner_id}, 201)

    started = result("POST", f"/api/courses/{course_id}/tracking", learner, {}, 201)
    assert (started["noOfLessons"], started["completedLessons"], started["status"]) == (2, 0, "incomplete")
    # Another learner can neither read nor act for this one.
    assert server.request("GET", f"/api/courses/{course_id}/tracking?userId={learner_id}", other)[0] == 403
    assert server.json("POST", f"/api/lessons/{lessons[0]}/tracking", other, {"userId": learner_id})[0] == 403
    assert server.request("GET", f"/api/users/{learner_id}/lessons/{lessons[0]}/tracking", other)[0] == 403

    for lesson_id, scores in ((lessons[0], (40, 85)), (lessons[1], (92,))):
        for score in scores:
            attempt = result("POST", f"/api/lessons/{lesson_id}/tracking", learner, {"totalContent": 10}, 201)
            result("PUT", f"/api/lessons/{lesson_id}/tracking", learner, {"currentPosition": 10, "timeSpent": 60})
            done = result("PUT", f"/api/lessons/{lesson_id}/tracking/complete", learner, {"score": score})
            assert (done["attempt"], done["status"]) == (attempt["attempt"], "completed")

    track = result("GET", f"/api/courses/{course_id}/tracking", learner)
    assert (track["completedLessons"], track["progress"], track["status"]) == (2, 100, "completed")
    assert track["course"]["title"] == "Journey"
    history = result("GET", f"/api/users/{learner_id}/lessons/{lessons[0]}/tracking", learner)
    assert [attempt["score"] for attempt in history["attempts"]] == [40, 85]
    assert (history["bestScore"], history["averageScore"], history["totalAttempts"], history["passed"]) == (
        85,
        62.5,
        2,
        True,
    )
    failed_first = result("GET", f"/api/lessons/{lessons[0]}/tracking?attempt=1", learner)
    assert (failed_first["passed"], failed_first["progress"]) == (False, 100)

    # A second learner then completes a one-lesson course: the stream is read in order, so once
    # their completion is published, a duplicate of the first would have been published before it.
    marker_id, marker_course = "marker-learner", result("POST", "/api/courses", admin, {"title": "Marker", "status": "published"}, 201)["courseId"]  # fmt: skip
    marker = server.token("learner", tenant, marker_id)
    result("POST", f"/api/courses/{marker_course}/modules/null/lessons", admin, {"lessonId": lessons[1]}, 201)
    result("POST", "/api/enrollments", admin, {"courseId": marker_course, "userId": marker_id}, 201)
    result("POST", f"/api/courses/{marker_course}/tracking", marker, {}, 201)
    result("POST", f"/api/lessons/{lessons[1]}/tracking", marker, {"totalContent": 1, "courseId": marker_course}, 201)
    result("PUT", f"/api/lessons/{lessons[1]}/tracking/complete", marker, {"score": 90})

    def completions_of(user_id: str) -> list[dict[str, Any]]:
        return [event for event in server.events("course.completed") if event["detail"]["userId"] == user_id]

    # The marker's event takes well under a second.
    eventually(lambda: completions_of(marker_id), bool, 15, "the marker's course.completed")
    completed = completions_of(learner_id)
    assert len(completed) == 1
    assert completed[0]["detail"]["courseId"] == course_id
    assert completed[0]["detail"]["courseTrackId"] == track["courseTrackId"]


def test_simultaneous_requests_are_served_side_by_side_each_as_its_caller(server: Server) -> None:
    tenant = "e2e-parallel"
    created: dict[str, list[Any]] = {}

    def create(user: str) -> None:
        token = server.token(tenant=tenant, user=user)
        answers = [server.json("POST", "/api/courses", token, {"title": f"By {user}"}) for _ in range(5)]
        created[user] = [(status, (body.get("result") or body).get("createdBy", body)) for status, body, _ in answers]

    threads = [threading.Thread(target=create, args=(f"author-{index}",)) for index in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert created == {f"author-{index}": [(201, f"author-{index}")] * 5 for index in range(6)}
    # Several environments served them, each announced by its cold start, as Lambda logs INIT.
    started = [line for line in server.log if line.startswith("CoursesFunction INIT_START")]
    assert len(started) > 1
    assert any(line.startswith("CoursesFunction REPORT") and "Init Duration" in line for line in server.log)


def test_uvicorn_keeps_connections_alive_answers_pipelined_requests_and_reads_chunked_bodies(server: Server) -> None:
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        two = b"GET /.well-known/jwks.json HTTP/1.1\r\nHost: local\r\n\r\n" * 2  # sent at once, not waiting
        connection.sendall(two)
        answers = b""
        while answers.count(b'"keys"') < 2 and (received := connection.recv(65536)):
            answers += received
    assert answers.count(b"HTTP/1.1 200 OK") == answers.count(b'"keys"') == 2

    token = server.token(tenant="e2e-chunked")
    request = http.client.HTTPConnection(host, int(port), timeout=30)
    body = iter([b'{"title": ', b'"Sent in chunks"}'])  # no length: Transfer-Encoding: chunked
    request.request(
        "POST", "/api/courses", body, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    )
    answer = request.getresponse()
    assert (answer.status, json.loads(answer.read())["result"]["title"]) == (201, "Sent in chunks")
    request.close()


def test_api_gateways_own_refusals_a_body_too_large_and_an_unknown_route_or_method(server: Server) -> None:
    host, port = server.url.removeprefix("http://").split(":")
    request = http.client.HTTPConnection(host, int(port), timeout=30)
    request.putrequest("POST", "/api/courses")
    request.putheader("Content-Length", str(10 * 1024 * 1024 + 1))
    request.endheaders()  # the body never comes: the declared length is enough
    answer = request.getresponse()
    assert (answer.status, json.loads(answer.read())) == (413, {"message": "Request Entity Too Large"})
    request.close()
    assert server.request("GET", "/api/nowhere")[:2] == (404, {"message": "Not Found"})
    assert server.request("QUERY", "/api/courses", server.token())[:2] == (404, {"message": "Not Found"})


def test_sigterm_stops_the_server_and_its_environments(server: Server) -> None:
    environments = [int(line.rsplit(" ", 1)[1].rstrip(")")) for line in server.log if " INIT_START " in line]
    assert environments  # the tests before started some
    server.process.send_signal(signal.SIGTERM)

    assert server.process.wait(timeout=20) == 0
    for pid in environments:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
