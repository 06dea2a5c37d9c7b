"""Media group: `/api/media` and lesson attachments (contract: Media Management)."""

from shared.api import ANY_ROLE, STAFF_ONLY, Caller, LessonId, MediaId, create_app, lambda_handler_for
from shared.schemas.common import MessageResult
from shared.schemas.media import AttachmentOut, MediaCreate, MediaOut
from shared.services import media

app = create_app()


@app.post("/api/media", operation_id="api.media.upload", security=STAFF_ONLY, status_code=201)
def upload_media(caller: Caller, body: MediaCreate) -> MediaOut:
    return media.create_media(caller, body)


@app.get("/api/media/<mediaId>", operation_id="api.media.get", security=ANY_ROLE)
def get_media(caller: Caller, media_id: MediaId) -> MediaOut:
    return media.get_media(caller, str(media_id))


@app.post(
    "/api/lessons/<lessonId>/media/<mediaId>",
    operation_id="api.lesson.media.associate",
    security=STAFF_ONLY,
    status_code=201,
)
def attach_media(caller: Caller, lesson_id: LessonId, media_id: MediaId) -> AttachmentOut:
    return media.attach_media(caller, str(lesson_id), str(media_id))


@app.delete("/api/media/<mediaId>", operation_id="api.media.delete", security=STAFF_ONLY)
def delete_media(caller: Caller, media_id: MediaId) -> MessageResult:
    return media.delete_media(caller, str(media_id))


lambda_handler = lambda_handler_for(app)
