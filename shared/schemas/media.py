"""Request and response bodies of the Media group."""

from typing import Annotated, Any, Literal, Self

from aws_lambda_powertools.event_handler.openapi.params import UploadFile
from pydantic import AfterValidator, Field, StringConstraints, model_validator

from shared.media_rules import MediaFormat, clean_filename
from shared.schemas.common import JsonObject, RequestModel, ResponseModel, SourceUrl

MAX_OBJECT_BYTES = 5 * 1024**4  # S3's largest object; the accepted formats' own limits are far lower
StorageHint = Literal["local", "cloud", "s3", "external"]
ContentType = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=100, pattern=r"^[\w.+-]+/[\w.+-]+$")
]
FileName = Annotated[str, StringConstraints(max_length=1024), AfterValidator(clean_filename)]


class MediaCreate(RequestModel):
    """`POST /api/media`: a `file` in a form (stored at once, up to 4 MB), a `source` URL
    (external media), or, as JSON, a file's metadata (answered with a presigned upload)."""

    format: MediaFormat
    sub_format: Annotated[str, StringConstraints(max_length=100)] | None = None
    org_filename: FileName | None = None
    content_type: ContentType | None = None
    size: Annotated[int, Field(ge=1, le=MAX_OBJECT_BYTES)] | None = None
    storage: StorageHint | None = None  # a hint: the response says where the bytes really are
    source: SourceUrl | None = None
    params: JsonObject | None = None
    file: UploadFile | None = None

    @model_validator(mode="after")
    def _one_way_in(self) -> Self:
        if self.file is not None and self.source:
            raise ValueError("send either a file or a source URL, not both")
        if self.file is None and not self.source and None in (self.org_filename, self.content_type, self.size):
            raise ValueError(
                "send a file (multipart form), a source URL, or orgFilename, contentType and size to upload to"
            )
        return self


class UploadOut(ResponseModel):
    """Where and how to upload the file: POST `fields` and then the file as `file` to `url`."""

    url: str
    fields: dict[str, str]
    expires_at: str


class MediaOut(ResponseModel):
    """A media record (`api.media.upload`, `api.media.get`)."""

    media_id: str
    format: str
    sub_format: str | None
    org_filename: str | None
    path: str | None
    storage: str
    source: str | None
    params: dict[str, Any] | None
    status: str
    content_type: str | None
    size: int | None
    checksum: str | None
    created_by: str
    created_at: str
    updated_by: str | None
    updated_at: str | None
    upload: UploadOut | None = None
    download_url: str | None = None
    reason: str | None = Field(default=None, description="Why the upload was refused, when `status` is `rejected`.")


class AttachmentOut(ResponseModel):
    """`api.lesson.media.associate`."""

    files_id: str
    lesson_id: str
    media_id: str
