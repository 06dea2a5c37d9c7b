"""`make seed` (with `make run` up): a realistic catalogue loaded through the public API, so a
newcomer sees a real course tree at once. Safe to run twice: each run adds its own courses."""

import argparse
import json
import sys
import urllib.error
import urllib.request
import uuid
from typing import Any

from local.issuer import mint
from local.running import running_or_exit

YOUTUBE = "https://www.youtube.com/watch?v="
CATALOGUE: list[dict[str, Any]] = [
    {
        "course": {
            "title": "Introduction to Machine Learning",
            "shortDescription": "Learn the basics of machine learning",
            "description": "Supervised and unsupervised learning, model evaluation and a first neural network.",
            "free": True, "featured": True, "autoEnroll": True, "certificateTerm": "PASS_ALL",
            "startDatetime": "2026-01-01T00:00:00Z", "endDatetime": "2027-12-31T23:59:59Z",
            "params": {"difficulty": "beginner", "estimatedHours": 20},
        },
        "lessons": [("Welcome and course overview", "video", None)],
        "modules": [
            {
                "title": "Fundamentals of ML", "description": "Basic concepts and terminology",
                "lessons": [("What is Machine Learning?", "video", None), ("Glossary", "document", None)],
                "submodules": [
                    {"title": "Introduction to Algorithms", "description": "Overview of ML algorithms",
                     "lessons": [("Classification Algorithms", "video", None),
                                 ("Regression in practice", "text_and_media", None)]},
                    {"title": "Model evaluation", "description": "Train/test splits, metrics and overfitting",
                     "lessons": [("Evaluation quiz", "test", (10, 7))]},
                ],
            },
            {
                "title": "Introduction to Neural Networks", "description": "Architecture and applications",
                "lessons": [("Backpropagation", "video", None), ("Live Q&A session", "event", None),
                            ("Final assessment", "test", (100, 60))],
                "submodules": [],
            },
        ],
    },
    {
        "course": {
            "title": "Workplace Safety Essentials", "shortDescription": "Mandatory safety training for all staff",
            "adminApproval": True, "certificateTerm": {"minScore": 80, "validMonths": 12},
        },
        "lessons": [],
        "modules": [
            {
                "title": "Hazards at work", "description": "Recognising and reporting hazards",
                "lessons": [("Slips, trips and falls", "video", None), ("Hazard reporting form", "document", None)],
                "submodules": [{"title": "Fire safety", "description": "Alarms, exits and extinguishers",
                                "lessons": [("Fire drill walkthrough", "video", None),
                                            ("Fire safety check", "test", (20, 16))]}],
            },
        ],
    },
    {
        "course": {"title": "Data Science Capstone (draft)", "shortDescription": "Being prepared", "status": "draft"},
        "lessons": [("Project brief", "document", None)],
        "modules": [],
    },
]  # fmt: skip


class Client:
    def __init__(self, base_url: str, token: str) -> None:
        self.base_url, self.token = base_url.rstrip("/"), token

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.send("POST", path, body)

    def put(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.send("PUT", path, body)

    def send(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310 - the local stack's own URL
            self.base_url + path,
            data=json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                result: dict[str, Any] = json.loads(response.read())["result"]
                return result
        except urllib.error.HTTPError as error:
            raise SystemExit(f"{method} {path} failed: {error.code} {error.read().decode()}") from None


def lesson_body(title: str, lesson_format: str, marks: tuple[int, int] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"title": title, "format": lesson_format, "description": f"{title}: what you will learn."}
    if lesson_format in ("video", "text_and_media"):
        body["mediaContent"] = {
            "format": lesson_format,
            "subFormat": "video.youtube.url",
            "source": YOUTUBE + uuid.uuid4().hex[:11],
        }
    if marks:
        body |= {"totalMarks": marks[0], "passingMarks": marks[1], "noOfAttempts": "3", "attemptsGrade": "highest"}
    return body


def place(client: Client, course_id: str, module_id: str | None, lessons: list[tuple[str, str, Any]]) -> list[str]:
    """Create each lesson and add it to the course (module_id None) or module; their ids."""
    placed = []
    for title, lesson_format, marks in lessons:
        lesson = client.post("/api/lessons", lesson_body(title, lesson_format, marks))
        path = f"/api/courses/{course_id}/modules/{module_id or 'null'}/lessons"
        client.post(path, {"lessonId": lesson["lessonId"], "freeLesson": module_id is None})
        placed.append(lesson["lessonId"])
    return placed


def seed(client: Client) -> list[dict[str, Any]]:
    """Create the catalogue; returns the courses created, each with its lessons' ids in the order a
    course player goes through them (`lessonIds`)."""
    created = []
    for entry in CATALOGUE:
        course = client.post("/api/courses", {"status": "published", **entry["course"]})
        course_id = course["courseId"]
        course["lessonIds"] = place(client, course_id, None, entry["lessons"])
        for ordering, module in enumerate(entry["modules"], start=1):
            fields = {"courseId": course_id, "title": module["title"], "description": module["description"]}
            parent_id = client.post("/api/modules", {**fields, "ordering": ordering})["moduleId"]
            course["lessonIds"] += place(client, course_id, parent_id, module["lessons"])
            for sub_ordering, sub in enumerate(module["submodules"], start=1):
                fields = {
                    "courseId": course_id,
                    "parentId": parent_id,
                    "title": sub["title"],
                    "description": sub["description"],
                }
                course["lessonIds"] += place(
                    client,
                    course_id,
                    client.post("/api/modules", {**fields, "ordering": sub_ordering})["moduleId"],
                    sub["lessons"],
                )
        created.append(course)
    return created


def learner_partway(staff: Client, learner: Client, learner_id: str, course: dict[str, Any]) -> None:
    """The learner enrolled in the course, with its first two lessons passed and the third open
    halfway: what `tracking/details` and `tracking/next` show a course player."""
    course_id = course["courseId"]
    # Without an end, so the README's run of the expiry job (in 2031) leaves them partway.
    staff.post("/api/enrollments", {"courseId": course_id, "userId": learner_id, "unlimitedPlan": True})
    learner.post(f"/api/courses/{course_id}/tracking", {})
    first, second, third = course["lessonIds"][:3]
    for lesson_id in (first, second):
        learner.post(f"/api/lessons/{lesson_id}/tracking", {"courseId": course_id, "totalContent": 10})
        learner.put(f"/api/lessons/{lesson_id}/tracking/complete", {"score": 0})  # no marks to reach
    learner.post(f"/api/lessons/{third}/tracking", {"courseId": course_id, "totalContent": 10, "currentPosition": 5})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", help="the API (default: the running `make run`'s)")
    parser.add_argument("--tenant", default="demo-tenant")
    parser.add_argument("--user", default="demo-admin")
    parser.add_argument("--learner", default="demo-learner", help="the learner left partway through the first course")
    args = parser.parse_args()
    url = args.url or running_or_exit().url
    token = mint("admin", args.tenant, args.user)
    try:
        courses = seed(Client(url, token))
        learner = Client(url, mint("learner", args.tenant, args.learner))
        learner_partway(Client(url, token), learner, args.learner, courses[0])
    except urllib.error.URLError as error:
        sys.exit(f"The API at {url} cannot be reached ({error.reason}); is `make run` up?")
    for course in courses:
        print(f"{course['courseId']}  {course['title']}")
    print(
        f"Seeded tenant {args.tenant}. See a tree with: curl {url}/api/courses/<courseId>/details "
        f'-H "Authorization: Bearer $(make -s token TENANT={args.tenant} | tail -n 1)"'
    )
    print(
        f"{args.learner} is partway through {courses[0]['title']}: "
        f"curl {url}/api/courses/{courses[0]['courseId']}/tracking/next "
        f'-H "Authorization: Bearer $(make -s token ROLE=learner USER={args.learner} TENANT={args.tenant} | tail -n 1)"'
    )


if __name__ == "__main__":
    main()
