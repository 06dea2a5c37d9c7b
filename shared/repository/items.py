"""Every kind of item in the table, and the keys that place it (docs/DATA-MODEL.md).

A course's item collection (PK = the course) holds the course, its modules, a copy of each
submodule for its parent's list, and its lesson links, so the course tree is one Query. A
lesson's partition holds the lesson, its attachments and a pointer to each of its links, so
updating a lesson finds every copy of its summary with one strongly consistent Query. Media
records and enrollments have partitions of their own. A learner's course track, attempts at a
lesson and lessons passed each have a partition under the user."""

from typing import Final

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)

from shared.repository.base import LmsItem, tenant_key
from shared.repository.listing import ListEntry

COURSE_SK = "#COURSE"
ALIAS_SK = "#ALIAS"
LESSON_SK = "#LESSON"
MEDIA_SK = "#MEDIA"
FILE_PREFIX = "FILE#"
MODULE_PREFIX = "#MODULE#"
CHILD_PREFIX = "CHILD#"
LINK_PREFIX = "LINK#"
MODULE_HEAD = "#MODULE"  # a module's own entry in its lookup partition
COURSE_LEVEL = "ROOT"  # stands for "no module" in link keys
TRACK_SK = "#TRACK"
ATTEMPT_PREFIX = "ATTEMPT#"
PASSED_PREFIX = "LESSON#"
# A user's progress partition for a course (`Keys.course_track`) holds their enrollment's copy, the
# track and a copy of each attempt made in the course: "#ENROLLMENT" < "#TRACK" < "LESSON#…".
ENROLLMENT_COPY_SK = "#ENROLLMENT"
COURSE_ATTEMPT_PREFIX = "LESSON#"
USER_PREFIX = "USER#"  # an enrollment's sort key, in its course's enrollments
PUBLISHED: Final = "published"
# A course's tree documents and their head sort after its links, out of every read of its structure.
# Each view's parts sort on one side of the head, so a view and the head are one contiguous Query.
TREE_PREFIX = "TREE#"
TREE_HEAD_SK = "TREE#revision"
REORDER_PLAN_SK = "TREE#~reorder"
LEARNER_VIEW, STAFF_VIEW = "learner", "staff"  # "learner" < "revision" < "staff"


class Keys:
    """The keys of one tenant: nothing formed here can name another tenant's item."""

    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id

    def course(self, course_id: str) -> str:
        return tenant_key(self.tenant_id, "COURSE", course_id)

    def courses(self) -> str:
        """The tenant's courses in ListIndex (the way lists were read before issue 14)."""
        return tenant_key(self.tenant_id, "COURSES")

    def course_list(self, filters: dict[str, str]) -> str:
        """The list of the tenant's courses matching `filters` (name -> value, in the order
        status, featured, free): a partition of entries and its counter."""
        return tenant_key(self.tenant_id, "LIST", "COURSES", *(f"{name}={value}" for name, value in filters.items()))

    def enrollment_list(self, which: str, user_id: str | None = None, course_id: str | None = None) -> str:
        """A list of the tenant's enrollments: `which` is `live` (all but cancelled), `status=<s>`
        or `due` (active with an end, by end); of one user, of one course, or of the tenant. The
        user's id comes last, so no id can make one list's key another's."""
        scope = (f"course={course_id}",) if course_id else (f"user={user_id}",) if user_id else ()
        return tenant_key(self.tenant_id, "LIST", "ENROLLMENTS", which, *scope)

    def track_list(self, course_id: str, status: str) -> str:
        """The course's tracks of one status (the instructor's report, filtered by it)."""
        return tenant_key(self.tenant_id, "LIST", "TRACKS", f"status={status}", f"course={course_id}")

    def alias(self, alias: str) -> str:
        return tenant_key(self.tenant_id, "ALIAS", alias)

    def module_lookup(self, module_id: str) -> str:
        """The module's partition in LookupIndex: the module, its submodules' copies, its links."""
        return tenant_key(self.tenant_id, "MODULE", module_id)

    def lesson(self, lesson_id: str) -> str:
        return tenant_key(self.tenant_id, "LESSON", lesson_id)

    def course_enrollments(self, course_id: str) -> str:
        """A course's enrollments, one item per user (the key makes a second one impossible)."""
        return tenant_key(self.tenant_id, "COURSE", course_id, "ENROLLMENTS")

    def enrollment_of(self, course_id: str, user_id: str) -> tuple[str, str]:
        """The key of the user's enrollment in the course."""
        return self.course_enrollments(course_id), f"{USER_PREFIX}{user_id}"

    def all_enrollments(self) -> str:
        return tenant_key(self.tenant_id, "ENROLLMENTS")

    def enrollment(self, enrollment_id: str) -> str:
        return tenant_key(self.tenant_id, "ENROLLMENT", enrollment_id)

    def user(self, user_id: str) -> str:
        return tenant_key(self.tenant_id, "USER", user_id)

    def course_track(self, user_id: str, course_id: str) -> str:
        """A user's progress partition for a course: their track (one per user and course by its
        key), their enrollment's copy and a copy of each attempt they made in the course."""
        return tenant_key(self.tenant_id, "USER", user_id, "COURSE", course_id)

    def attempts(self, user_id: str, lesson_id: str) -> str:
        """A user's attempts at a lesson, sorted by number."""
        return tenant_key(self.tenant_id, "USER", user_id, "LESSON", lesson_id)

    def passed_lessons(self, user_id: str) -> str:
        """The lessons a user has passed (by the grading rule), whatever the course."""
        return tenant_key(self.tenant_id, "USER", user_id, "PASSED")

    def media(self, media_id: str) -> str:
        """The media record, and in LookupIndex the partition of everything that uses it."""
        return tenant_key(self.tenant_id, "MEDIA", media_id)

    @staticmethod
    def module_sk(module_id: str) -> str:
        return f"{MODULE_PREFIX}{module_id}"

    @staticmethod
    def child_sk(parent_id: str, module_id: str) -> str:
        return f"{CHILD_PREFIX}{parent_id}#{module_id}"

    @staticmethod
    def link_sk(module_id: str | None, lesson_id: str) -> str:
        return f"{LINK_PREFIX}{module_id or COURSE_LEVEL}#{lesson_id}"

    @staticmethod
    def file_sk(media_id: str) -> str:
        return f"{FILE_PREFIX}{media_id}"

    @staticmethod
    def attempt_sk(attempt: int) -> str:
        return f"{ATTEMPT_PREFIX}{attempt:06d}"

    @staticmethod
    def course_attempt_sk(lesson_id: str, attempt: int) -> str:
        return f"{COURSE_ATTEMPT_PREFIX}{lesson_id}#{attempt:06d}"

    @staticmethod
    def passed_sk(lesson_id: str, course_id: str) -> str:
        return f"{PASSED_PREFIX}{lesson_id}#COURSE#{course_id}"

    @staticmethod
    def pointer_sk(course_id: str, module_id: str | None) -> str:
        return f"{LINK_PREFIX}{course_id}#{module_id or COURSE_LEVEL}"

    @staticmethod
    def tree_part_sk(view: str, part: int) -> str:
        return f"{TREE_PREFIX}{view}#{part:03d}"


class CourseItem(LmsItem, discriminator="course"):
    course_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    title = UnicodeAttribute()
    alias = UnicodeAttribute()
    short_description = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    image = UnicodeAttribute(null=True)
    featured = BooleanAttribute(default=False)
    free = BooleanAttribute(default=False)
    certificate_term = JSONAttribute(null=True)
    certificate_id = UnicodeAttribute(null=True)
    start_datetime = UnicodeAttribute(null=True)
    end_datetime = UnicodeAttribute(null=True)
    admin_approval = BooleanAttribute(default=False)
    auto_enroll = BooleanAttribute(default=False)
    status = UnicodeAttribute()
    params = JSONAttribute(null=True)
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_by = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    version = VersionAttribute()
    # Its list entries exist and it is counted (every write since issue 14, or the backfill).
    listed = BooleanAttribute(null=True)


class CourseListEntry(ListEntry, discriminator="course_list_entry"):
    """A course in one list of the tenant's courses: PK the list, SK `<created, µs>#<course>`,
    with the summary the list shows, so a page is read whole from its entries."""

    summary = JSONAttribute()


class TreeHead(LmsItem, discriminator="course_tree_head"):
    """PK the course, SK `TREE#revision`: which revision of the course's tree its stored documents
    show. Every write that changes the tree adds 1 to `revision` in its own transaction; the
    documents are current while `built` equals it (docs/DATA-MODEL.md: The course tree)."""

    revision = NumberAttribute(default=0)
    built = NumberAttribute(null=True)
    shape = NumberAttribute(null=True)  # the documents' shape (`TREE_SHAPE` when they are today's)
    shown_to_learners = BooleanAttribute(default=False)  # the course is published, at `built`
    learner_parts = NumberAttribute(default=0)
    staff_parts = NumberAttribute(default=0)
    # What the documents call `structureVersion`: moved by every change of the course's order
    # (modules, links), not by edits of what is in it.
    structure = NumberAttribute(default=0)
    # Set while a reorder is applied (its token and start): no other write may change the tree,
    # and reads keep the documents from before it (shared/services/course_structure.py).
    reordering = UnicodeAttribute(null=True)
    reordering_since = UnicodeAttribute(null=True)


class ReorderPlan(LmsItem, discriminator="course_reorder_plan"):
    """PK the course, SK `TREE#~reorder` (after every part, out of every view's read): the order a
    reorder is applying, kept until it is done, so a reorder cut off part-way is finished by the
    next reader or writer that finds it."""

    token = UnicodeAttribute()
    order = JSONAttribute()  # the body's order, as validated
    by = UnicodeAttribute()


class TreePart(LmsItem, discriminator="course_tree_part"):
    """PK the course, SK `TREE#<view>#<nnn>`: one part of a view's document (deflated JSON), from
    the revision `built`; part 0 also says how long and of which CRC-32 the whole is."""

    built = NumberAttribute()
    data = BinaryAttribute(legacy_encoding=False)
    length = NumberAttribute(null=True)
    crc = NumberAttribute(null=True)


class AliasClaim(LmsItem, discriminator="course_alias"):
    course_id = UnicodeAttribute()


class ModuleFields(LmsItem):
    """What a module is; stored as the module itself and, for a submodule, as its parent's copy."""

    module_id = UnicodeAttribute()
    course_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    parent_id = UnicodeAttribute(null=True)
    title = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    image = UnicodeAttribute(null=True)
    start_datetime = UnicodeAttribute(null=True)
    end_datetime = UnicodeAttribute(null=True)
    ordering = NumberAttribute()
    status = UnicodeAttribute()
    # The course's status, copied so a learner's read of a module alone knows whether the course is visible.
    course_status = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_by = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)


class ModuleItem(ModuleFields, discriminator="module"):
    """PK the course, SK `#MODULE#<id>`; LookupIndex: its own partition, head entry."""

    version = VersionAttribute()


class SubmoduleEntry(ModuleFields, discriminator="submodule_entry"):
    """A submodule's copy in its parent's lookup partition (PK the course, SK `CHILD#<parent>#<id>`),
    so the submodules of a module are one Query; written in the same transaction as the submodule."""


class LessonItem(LmsItem, discriminator="lesson"):
    """PK `T#…#LESSON#<id>`, SK `#LESSON`."""

    lesson_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    title = UnicodeAttribute()
    alias = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    image = UnicodeAttribute(null=True)
    start_datetime = UnicodeAttribute(null=True)
    end_datetime = UnicodeAttribute(null=True)
    storage = UnicodeAttribute(null=True)
    no_of_attempts = NumberAttribute(default=0)  # 0: unlimited
    attempts_grade = UnicodeAttribute(default="last_attempt")
    format = UnicodeAttribute()
    media_id = UnicodeAttribute(null=True)
    eligibility_criteria = JSONAttribute(null=True)
    ideal_time = NumberAttribute(null=True)
    resume = BooleanAttribute(default=True)
    total_marks = NumberAttribute(default=0)
    passing_marks = NumberAttribute(default=0)
    status = UnicodeAttribute(default="published")
    params = JSONAttribute(null=True)
    media_content = JSONAttribute(null=True)
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_by = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    version = VersionAttribute()


class LessonLinkItem(LmsItem, discriminator="lesson_link"):
    """A lesson placed in a course (module_id None) or one of its modules, with the link's own
    settings and a copy of the lesson's summary (`lesson`), refreshed whenever the lesson changes.
    PK the course, SK `LINK#<module or ROOT>#<lesson>`; a module's links are in its lookup partition."""

    course_id = UnicodeAttribute()
    module_id = UnicodeAttribute(null=True)
    lesson_id = UnicodeAttribute()
    free_lesson = BooleanAttribute(default=False)
    consider_for_passing = BooleanAttribute(default=True)
    status = UnicodeAttribute(null=True)
    start_datetime = UnicodeAttribute(null=True)
    end_datetime = UnicodeAttribute(null=True)
    no_of_attempts = NumberAttribute(null=True)
    attempts_grade = UnicodeAttribute(null=True)
    eligibility_criteria = JSONAttribute(null=True)
    ideal_time = NumberAttribute(null=True)
    resume = BooleanAttribute(null=True)
    total_marks = NumberAttribute(null=True)
    passing_marks = NumberAttribute(null=True)
    params = JSONAttribute(null=True)
    lesson = JSONAttribute()
    position = UnicodeAttribute()  # when it was added, to the microsecond: lessons list in that order
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()

    @property
    def published(self) -> bool:
        """The link and its lesson are published (a link without a status follows its lesson)."""
        return bool(self.lesson["status"] == PUBLISHED and (self.status or PUBLISHED) == PUBLISHED)


class LinkPointer(LmsItem, discriminator="lesson_link_pointer"):
    """In the lesson's partition, one per link: PK the lesson, SK `LINK#<course>#<module or ROOT>`."""

    course_id = UnicodeAttribute()
    module_id = UnicodeAttribute(null=True)


class MediaItem(LmsItem, discriminator="media"):
    """PK `T#…#MEDIA#<id>`, SK `#MEDIA`; it also heads its LookupIndex partition, where what uses
    it (lesson attachments, lessons having it as main media) is listed, so a delete sees every
    use in one Query. Each new use bumps `revision` and a delete requires the revision it read,
    so a use added meanwhile is never missed."""

    media_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    format = UnicodeAttribute()
    sub_format = UnicodeAttribute(null=True)
    org_filename = UnicodeAttribute(null=True)
    content_type = UnicodeAttribute(null=True)
    size = NumberAttribute(null=True)
    checksum = UnicodeAttribute(null=True)
    path = UnicodeAttribute(null=True)  # the object key, for stored files
    storage = UnicodeAttribute()  # where the bytes are: s3 or external
    source = UnicodeAttribute(null=True)
    params = JSONAttribute(null=True)
    status = UnicodeAttribute()  # pending, uploaded, rejected; linked for an external source
    reason = UnicodeAttribute(null=True)  # why an upload was rejected
    expires_at = NumberAttribute(null=True, attr_name="expiresAt")  # TTL while pending
    revision = NumberAttribute(default=0)
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_by = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)


class FileAssociation(LmsItem, discriminator="lesson_file"):
    """A media file attached to a lesson (`filesId`): PK the lesson, SK `FILE#<media>`; listed in
    the media's LookupIndex partition too."""

    files_id = UnicodeAttribute()
    lesson_id = UnicodeAttribute()
    media_id = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()


class EnrollmentItem(LmsItem, discriminator="enrollment"):
    """PK `T#…#COURSE#<course>#ENROLLMENTS`, SK `USER#<user>`: one per user and course by its key.
    ListIndex: the tenant's enrollments newest first; LookupIndex: by id; UserIndex: the user's.
    Carries a copy of its course's summary so lists stay one request per page. Updates require
    the `revision` they read (a re-enrollment overwrites a cancelled item, so no version attribute)."""

    enrollment_id = UnicodeAttribute()
    course_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    enrolled_on_time = UnicodeAttribute()
    end_time = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    unlimited_plan = BooleanAttribute(default=False)
    before_expiry_mail = BooleanAttribute(default=False)
    after_expiry_mail = BooleanAttribute(default=False)
    params = JSONAttribute(null=True)
    course = JSONAttribute()
    enrolled_by = UnicodeAttribute()
    enrolled_at = UnicodeAttribute()
    updated_by = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    revision = NumberAttribute(default=0)
    # Its list entries exist and it is counted (every write since issue 14, or the backfill).
    listed = BooleanAttribute(null=True)


class EnrollmentListEntry(ListEntry, discriminator="enrollment_list_entry"):
    """An enrollment in one list (of the tenant, a user or a course; all but cancelled, or one
    status): PK the list, SK `<enrolled, µs>#<enrollment>`. It names the enrollment's key only:
    a page's enrollments are read by one BatchGetItem."""

    course_id = UnicodeAttribute()
    user_id = UnicodeAttribute()


class DueEntry(ListEntry, discriminator="enrollment_due_entry"):
    """An active or extended enrollment with an end, in its `due` list: SK `<endTime>#<place>`,
    so the ones past their end (expired though the job has not marked them yet) are read first.
    Not counted: lists of active and expired enrollments correct their counts and pages by them."""

    counted = False
    course_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    status = UnicodeAttribute()  # as stored: active or extended
    place = UnicodeAttribute()  # its SK in its other lists, `<enrolled, µs>#<enrollment>`


class EnrollmentCopy(ListEntry, discriminator="enrollment_copy"):
    """The user's enrollment in a course, in their progress partition for it (PK `T#…#USER#<user>
    #COURSE#<course>`, SK `#ENROLLMENT`) beside the track and the attempt copies, so one Query tells
    what they may open of the course and how far they are. One of the enrollment's entries
    (`enrollment_entries`), so every write of the enrollment moves it. Not counted."""

    counted = False
    enrollment_id = UnicodeAttribute()
    status = UnicodeAttribute()  # as stored (past its end it counts as expired: services/access.py)
    end_time = UnicodeAttribute(null=True)


class CourseTrackItem(LmsItem, discriminator="course_track"):
    """PK `T#…#USER#<user>#COURSE#<course>`, SK `#TRACK`: one per user and course by its key.
    `completed_lesson_ids` is the set of counted lessons the user passed, so a repeat never counts
    twice; `credited_lessons` is what staff corrections add to (or take from) its size. Every
    write requires the version read, so simultaneous completions are applied one after another."""

    course_track_id = UnicodeAttribute()
    course_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    start_datetime = UnicodeAttribute()
    end_datetime = UnicodeAttribute(null=True)
    no_of_lessons = NumberAttribute(default=0)
    completed_lessons = NumberAttribute(default=0)
    completed_lesson_ids = UnicodeSetAttribute(default=set)
    credited_lessons = NumberAttribute(default=0)
    status = UnicodeAttribute()
    last_accessed_date = UnicodeAttribute(null=True)
    cert_gen_date = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_by = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    version = VersionAttribute()
    # Its list entry exists and it is counted (every write since issue 16, or the backfill).
    listed = BooleanAttribute(null=True)


class TrackListEntry(ListEntry, discriminator="track_list_entry"):
    """A course track in its course's list of tracks of its status: PK the list, SK
    `<startDatetime>#<track id>`; it names the track's user (a page's rows are one BatchGetItem)."""

    user_id = UnicodeAttribute()


class LessonAttemptItem(LmsItem, discriminator="lesson_attempt"):
    """PK `T#…#USER#<user>#LESSON#<lesson>`, SK `ATTEMPT#<number, 6 digits>`: a number is taken
    once by its key. It keeps the rules it is graded by (the lesson's, or its course link's when it
    has a course) and the lesson summary, so reads of attempts need nothing else."""

    lesson_track_id = UnicodeAttribute()
    lesson_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    course_id = UnicodeAttribute(null=True)
    attempt = NumberAttribute()
    start_datetime = UnicodeAttribute()
    end_datetime = UnicodeAttribute(null=True)
    score = NumberAttribute(default=0)
    status = UnicodeAttribute()
    total_content = NumberAttribute(default=0)
    current_position = NumberAttribute(default=0)
    time_spent = NumberAttribute(default=0)
    attempts_grade = UnicodeAttribute()
    lesson = JSONAttribute()  # title, description, format, totalMarks, passingMarks (as graded)
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_by = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    version = VersionAttribute()


class CourseAttempt(LmsItem, discriminator="course_attempt"):
    """An attempt made in a course, copied into the user's progress partition for it (PK `T#…#USER#
    <user>#COURSE#<course>`, SK `LESSON#<lesson>#<number, 6 digits>`) with what the course's progress
    shows of it. Written in every transaction that writes the attempt (`course_attempt` builds it),
    so it never differs from the attempt."""

    lesson_id = UnicodeAttribute()
    attempt = NumberAttribute()
    status = UnicodeAttribute()
    score = NumberAttribute(default=0)
    current_position = NumberAttribute(default=0)
    total_content = NumberAttribute(default=0)
    attempts_grade = UnicodeAttribute()
    passing_marks = NumberAttribute()
    accessed_at = UnicodeAttribute()  # the attempt's last write


class PassedLesson(LmsItem, discriminator="passed_lesson"):
    """PK `T#…#USER#<user>#PASSED`, SK `LESSON#<lesson>#COURSE#<course>`: the user passed the lesson
    (graded) under that course's rules, so the course's track started later counts it. Written with
    the completing attempt. Records written before passes were kept per course have the SK
    `LESSON#<lesson>` and no `course_id`; they count for every course, as they always did."""

    lesson_id = UnicodeAttribute()
    course_id = UnicodeAttribute(null=True)
    passed_at = UnicodeAttribute()


def link_pointer(keys: Keys, link: LessonLinkItem) -> LinkPointer:
    """The pointer a link has in its lesson's partition (written and deleted with the link)."""
    return LinkPointer(
        keys.lesson(link.lesson_id),
        keys.pointer_sk(link.course_id, link.module_id),
        course_id=link.course_id,
        module_id=link.module_id,
    )


def link_of(keys: Keys, pointer: LinkPointer) -> LessonLinkItem:
    """The link a pointer stands for (its key and place only, to read, update or delete it)."""
    lesson_id = pointer.pk.rsplit("#", 1)[1]
    return LessonLinkItem(
        keys.course(pointer.course_id),
        keys.link_sk(pointer.module_id, lesson_id),
        course_id=pointer.course_id,
        module_id=pointer.module_id,
    )
