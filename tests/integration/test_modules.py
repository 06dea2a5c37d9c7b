"""Every Modules endpoint through its real handler, on moto and DynamoDB Local."""

import uuid

import pytest

from tests.support.api import Api

MODULE_KEYS = {
    "moduleId", "courseId", "parentId", "tenentId", "title", "description", "image", "startDatetime",
    "endDatetime", "ordering", "status", "createdBy", "createdAt", "updatedBy", "updatedAt",
}  # fmt: skip


@pytest.fixture
def course_id(api: Api) -> str:
    return str(api.create_course(status="published")["courseId"])


def test_create_from_json_and_form(api, course_id):
    response = api.call("POST", "/api/modules", json_body={"courseId": course_id, "title": "Fundamentals"})

    assert response.status == 201
    assert response.body["id"] == "api.module.create"
    module = response.result
    assert set(module) >= MODULE_KEYS
    assert (module["courseId"], module["parentId"], module["tenentId"]) == (course_id, None, api.tenant)
    assert (module["ordering"], module["status"], module["createdBy"]) == (1, "published", api.user)

    form = {
        "courseId": course_id,
        "parentId": module["moduleId"],
        "title": "Algorithms",
        "ordering": "5",
        "status": "unpublished",
    }
    sub = api.call("POST", "/api/modules", form=form)
    assert sub.status == 201, sub.body
    assert (sub.result["parentId"], sub.result["ordering"], sub.result["status"]) == (
        module["moduleId"],
        5,
        "unpublished",
    )
    assert api.call("GET", f"/api/modules/{sub.result['moduleId']}").result == sub.result


def test_ordering_defaults_to_after_the_last_sibling(api, course_id):
    first = api.create_module(course_id, ordering=7)
    second = api.create_module(course_id)
    child = api.create_module(course_id, parentId=first["moduleId"])

    assert (second["ordering"], child["ordering"]) == (8, 1)


def test_modules_of_a_course_are_top_level_in_order_with_submodules_on_request(api, course_id):
    later = api.create_module(course_id, ordering=2, title="Later")
    earlier = api.create_module(course_id, ordering=1, title="Earlier")
    sub_b = api.create_module(course_id, parentId=earlier["moduleId"], ordering=2)
    sub_a = api.create_module(course_id, parentId=earlier["moduleId"], ordering=1)

    flat = api.call("GET", f"/api/courses/{course_id}/modules")
    nested = api.call("GET", f"/api/courses/{course_id}/modules", query={"includeSubmodules": "true"})

    assert flat.status == 200
    assert flat.body["id"] == "api.course.modules"
    assert [m["moduleId"] for m in flat.result["modules"]] == [earlier["moduleId"], later["moduleId"]]
    assert all("subModules" not in m for m in flat.result["modules"])
    assert [[s["moduleId"] for s in m["subModules"]] for m in nested.result["modules"]] == [
        [sub_a["moduleId"], sub_b["moduleId"]],
        [],
    ]


def test_submodules_of_a_module(api, course_id):
    parent = api.create_module(course_id)
    second = api.create_module(course_id, parentId=parent["moduleId"], ordering=2)
    first = api.create_module(course_id, parentId=parent["moduleId"], ordering=1)

    response = api.call("GET", f"/api/modules/{parent['moduleId']}/submodules")

    assert response.status == 200
    assert response.body["id"] == "api.module.submodules"
    assert [m["moduleId"] for m in response.result["subModules"]] == [first["moduleId"], second["moduleId"]]
    assert response.result["subModules"][0]["parentId"] == parent["moduleId"]
    assert api.call("GET", f"/api/modules/{first['moduleId']}/submodules").result == {"subModules": [], "count": 0}


def test_learners_see_published_modules_of_published_courses_only(api, course_id):
    shown = api.create_module(course_id)
    hidden = api.create_module(course_id, status="unpublished")
    api.create_module(course_id, parentId=shown["moduleId"], status="unpublished")
    draft_course = api.create_course(status="draft")["courseId"]
    in_draft = api.create_module(draft_course)
    learner = api.as_("learner")

    listed = learner.call("GET", f"/api/courses/{course_id}/modules", query={"includeSubmodules": "1"}).result[
        "modules"
    ]
    assert [(m["moduleId"], m["subModules"]) for m in listed] == [(shown["moduleId"], [])]
    assert learner.call("GET", f"/api/modules/{shown['moduleId']}/submodules").result == {"subModules": [], "count": 0}
    for module_id in (hidden["moduleId"], in_draft["moduleId"]):
        assert learner.call("GET", f"/api/modules/{module_id}").status == 404
    assert learner.call("GET", f"/api/courses/{draft_course}/modules").status == 404


def test_a_course_status_change_reaches_its_modules(api):
    course_id = api.create_course(status="draft")["courseId"]
    module = api.create_module(course_id)
    learner = api.as_("learner")
    assert learner.call("GET", f"/api/modules/{module['moduleId']}").status == 404

    assert api.call("PUT", f"/api/courses/{course_id}", json_body={"status": "published"}).status == 200

    assert learner.call("GET", f"/api/modules/{module['moduleId']}").status == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"title": "t"}, "The field 'courseId' is required."),
        ({"courseId": "nope", "title": "t"}, "'courseId' must be a UUID"),
        ({"courseId": "COURSE", "title": "t", "status": "draft"}, "'status' must be one of 'published', 'unpublished' or 'archived'"),
        ({"courseId": "COURSE", "title": "t", "ordering": -1}, "'ordering'"),
        ({"courseId": "COURSE", "title": "t", "ordering": "first"}, "'ordering' must be a whole number"),
        ({"courseId": "COURSE", "title": ""}, "'title' must not be empty"),
        ({"courseId": "COURSE", "title": "t", "startDatetime": "2025-02-01", "endDatetime": "2025-01-01"}, "startDatetime must not be after endDatetime"),
        ({"courseId": "COURSE", "title": "t", "image": "abc"}, "'image' must be an image file or its base64 text"),
    ],
)  # fmt: skip
def test_bad_module_bodies_are_400_and_store_nothing(api, course_id, body, message):
    sent = {name: course_id if value == "COURSE" else value for name, value in body.items()}

    response = api.call("POST", "/api/modules", json_body=sent)

    assert response.status == 400
    assert message in response.errmsg
    assert api.call("GET", f"/api/courses/{course_id}/modules").result == {"modules": [], "count": 0}


def test_unknown_or_foreign_course_is_404(api):
    foreign = api.as_("admin", tenant=f"tenant-{uuid.uuid4()}").create_course()["courseId"]

    for course_id in (str(uuid.uuid4()), foreign):
        response = api.call("POST", "/api/modules", json_body={"courseId": course_id, "title": "t"})
        assert response.status == 404
        assert response.errmsg == f"Course {course_id} not found."


def test_a_parent_must_be_a_top_level_module_of_the_same_course(api, course_id):
    other_course = api.create_course()["courseId"]
    elsewhere = api.create_module(other_course)
    parent = api.create_module(course_id)
    child = api.create_module(course_id, parentId=parent["moduleId"])

    wrong_course = api.call(
        "POST", "/api/modules", json_body={"courseId": course_id, "parentId": elsewhere["moduleId"], "title": "t"}
    )
    too_deep = api.call(
        "POST", "/api/modules", json_body={"courseId": course_id, "parentId": child["moduleId"], "title": "t"}
    )
    unknown = api.call(
        "POST", "/api/modules", json_body={"courseId": course_id, "parentId": str(uuid.uuid4()), "title": "t"}
    )

    assert (wrong_course.status, unknown.status, too_deep.status) == (400, 400, 400)
    assert f"is not a module of course {course_id}" in wrong_course.errmsg
    assert "submodules cannot have submodules" in too_deep.errmsg
    assert api.call("GET", f"/api/modules/{parent['moduleId']}/submodules").result["subModules"] == [
        {
            k: v
            for k, v in child.items()
            if k not in ("tenentId", "createdBy", "createdAt", "updatedBy", "updatedAt", "imageUrl")
        }
    ]


def test_update_is_partial_and_refreshes_the_parents_copy(api, course_id):
    parent = api.create_module(course_id)
    child = api.create_module(course_id, parentId=parent["moduleId"], description="keep")
    editor = api.as_("instructor")

    response = editor.call("PUT", f"/api/modules/{child['moduleId']}", json_body={"title": "Renamed", "ordering": 9})

    assert response.status == 200
    assert response.body["id"] == "api.module.update"
    assert (response.result["title"], response.result["ordering"], response.result["description"]) == (
        "Renamed",
        9,
        "keep",
    )
    assert response.result["updatedBy"] == editor.user
    listed = api.call("GET", f"/api/modules/{parent['moduleId']}/submodules").result["subModules"]
    assert [(m["title"], m["ordering"]) for m in listed] == [("Renamed", 9)]


@pytest.mark.parametrize(
    ("body", "message"),
    [({"title": None}, "title cannot be null"), ({"courseId": str(uuid.uuid4())}, "'courseId' is not a field"),
     ({"startDatetime": "2030-01-01T00:00:00Z", "endDatetime": "2029-01-01T00:00:00Z"}, "startDatetime must not be after endDatetime")],
)  # fmt: skip
def test_bad_updates_are_400_and_change_nothing(api, course_id, body, message):
    module = api.create_module(course_id)

    response = api.call("PUT", f"/api/modules/{module['moduleId']}", json_body=body)

    assert response.status == 400
    assert message in response.errmsg
    assert api.call("GET", f"/api/modules/{module['moduleId']}").result == module


def test_delete_removes_the_module_and_its_submodules_only(api, course_id):
    doomed = api.create_module(course_id)
    doomed_child = api.create_module(course_id, parentId=doomed["moduleId"])
    kept = api.create_module(course_id)
    kept_child = api.create_module(course_id, parentId=kept["moduleId"])

    response = api.call("DELETE", f"/api/modules/{doomed['moduleId']}")

    assert response.status == 200
    assert response.result == {"message": "Module deleted successfully"}
    for module_id in (doomed["moduleId"], doomed_child["moduleId"]):
        assert api.call("GET", f"/api/modules/{module_id}").status == 404
    nested = api.call("GET", f"/api/courses/{course_id}/modules", query={"includeSubmodules": "true"}).result
    assert [(m["moduleId"], [s["moduleId"] for s in m["subModules"]]) for m in nested["modules"]] == [
        (kept["moduleId"], [kept_child["moduleId"]])
    ]


def test_refusals(api, course_id):
    module_id = api.create_module(course_id)["moduleId"]
    stranger = api.as_("admin", tenant=f"tenant-{uuid.uuid4()}")
    learner = api.as_("learner")

    assert learner.call("POST", "/api/modules", json_body={"courseId": course_id, "title": "t"}).status == 403
    assert learner.call("PUT", f"/api/modules/{module_id}", json_body={"title": "t"}).status == 403
    assert learner.call("DELETE", f"/api/modules/{module_id}").status == 403
    assert api.call("GET", f"/api/modules/{module_id}", token=None).status == 401
    for path in (f"/api/modules/{module_id}", f"/api/modules/{module_id}/submodules"):
        assert stranger.call("GET", path).status == 404
        assert api.call("GET", path.replace(module_id, str(uuid.uuid4()))).status == 404
        assert api.call("GET", path.replace(module_id, "not-a-uuid")).status == 400
    assert stranger.call("PUT", f"/api/modules/{module_id}", json_body={"title": "t"}).status == 404
    assert stranger.call("DELETE", f"/api/modules/{module_id}").status == 404
    assert stranger.call("GET", f"/api/courses/{course_id}/modules").status == 404
    assert api.call("GET", f"/api/courses/{course_id}/modules", query={"includeSubmodules": "maybe"}).status == 400
