"""What media the service accepts (RULES.md: Media): formats, content types by their first
bytes, size limits, object keys and clean file names. No AWS here."""

import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, unquote

MediaFormat = Literal["video", "document", "image", "audio", "test", "event"]

MB = 1024 * 1024
INLINE_UPLOAD_LIMIT = 4 * MB  # a Lambda request carries 6 MB, base64 costs a third
SNIFF_BYTES = 8192  # enough of the head of a file to recognise every accepted type
KEY_PREFIX = "media/"  # media files; S3 events under it reach the registration function
IMAGE_PREFIX = "images/"  # course, module and lesson images, written by the functions themselves


@dataclass(frozen=True)
class FileRule:
    content_types: frozenset[str]
    max_size: int


FILE_RULES: dict[str, FileRule] = {
    "image": FileRule(frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"}), 5 * MB),
    "document": FileRule(
        frozenset(
            {
                "application/pdf",
                "application/msword",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "application/vnd.ms-powerpoint",
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            }
        ),
        100 * MB,
    ),
    "video": FileRule(frozenset({"video/mp4", "video/webm"}), 2048 * MB),
    "audio": FileRule(frozenset({"audio/mpeg", "audio/mp4", "audio/ogg"}), 200 * MB),
}


# Recognisers name a few types differently from the accepted list.
_SAME_TYPE = {"application/mspowerpoint": "application/vnd.ms-powerpoint", "audio/mp3": "audio/mpeg"}


class RejectedFile(ValueError):
    """The bytes are not an accepted file of the declared kind; the message says why."""


def recognised_types(head: bytes) -> set[str]:
    """The content types the first bytes of a file are consistent with (empty: unrecognised)."""
    import puremagic  # only uploads need it: about 20 ms kept out of every cold start

    try:
        matches = puremagic.magic_string(head[:SNIFF_BYTES])
    except (puremagic.PureError, ValueError):
        return set()
    return {_SAME_TYPE.get(match.mime_type, match.mime_type) for match in matches if match.mime_type}


def check_file(media_format: str, content_type: str, size: int, head: bytes) -> None:
    """Refuse a file that breaks `check_declared` or whose bytes are not what it declares."""
    check_declared(media_format, content_type, size)
    if content_type not in recognised_types(head):
        raise RejectedFile(f"The file's content is not {content_type}, as it was declared.")


def check_declared(media_format: str, content_type: str, size: int) -> None:
    """Refuse a format that has no file, a type not accepted for it, or a size out of range."""
    rule = FILE_RULES.get(media_format)
    if rule is None:
        raise RejectedFile(f"Media of format {media_format} has no file; send its source URL instead.")
    if content_type not in rule.content_types:
        accepted = ", ".join(sorted(rule.content_types))
        raise RejectedFile(f"Files of format {media_format} must be one of {accepted}, not {content_type}.")
    if size <= 0 or size > rule.max_size:
        limit = rule.max_size // MB
        raise RejectedFile(f"Files of format {media_format} must be 1 byte to {limit} MB; this one is {size} bytes.")


# Characters a file name never needs and a display can be fooled by: control characters, format
# characters (the bidirectional overrides that make "exe.pdf" show as "fdp.exe", zero-width ones),
# unpaired surrogates, private-use and unassigned code points, line and paragraph separators.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def clean_filename(name: str) -> str:
    """The original name without folders, invisible or control characters or surrounding space
    (kept only for display: object keys never come from it)."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if unicodedata.category(char) not in _INVISIBLE_CATEGORIES)
    return name.strip().lstrip(".")[:255] or "file"


def content_disposition(filename: str) -> str:
    """`attachment` under the file's name as RFC 6266 writes it: an ASCII `filename` for old
    clients, and the name itself in `filename*` (RFC 5987: UTF-8, percent-encoded)."""
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    fallback = re.sub(r'[^\x20-\x7e]|["\\]', "", fallback).strip()
    if not fallback or fallback.startswith("."):  # nothing of the name's stem survived
        fallback = f"download{fallback}"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def object_key(tenant_id: str, media_id: str) -> str:
    """Where a media file lives: built from tenant and id only (the tenant URL-quoted)."""
    return f"{KEY_PREFIX}{quote(tenant_id, safe='')}/{media_id}"


def image_key(tenant_id: str, image_id: str | None = None) -> str:
    """Where a new course, module or lesson image goes (under a new id, unless one is given)."""
    return f"{IMAGE_PREFIX}{quote(tenant_id, safe='')}/{image_id or uuid.uuid4()}"


def parse_object_key(key: str) -> tuple[str, str] | None:
    """(tenant, media id) of a key built by `object_key`, or None for any other key."""
    match = re.fullmatch(rf"{re.escape(KEY_PREFIX)}([^/]+)/([0-9a-f-]{{36}})", key)
    return (unquote(match.group(1)), match.group(2)) if match else None
