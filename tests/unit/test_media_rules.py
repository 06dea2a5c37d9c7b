"""Files are judged by their bytes, their declared type and their size, never by their name."""

import pytest

from shared.media_rules import MB, RejectedFile, check_file, clean_filename, object_key, parse_object_key
from tests.support import samples

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


@pytest.mark.parametrize(
    ("media_format", "content_type", "data"),
    [
        ("image", "image/png", samples.PNG),
        ("image", "image/jpeg", samples.JPEG),
        ("image", "image/gif", samples.GIF),
        ("image", "image/webp", samples.WEBP),
        ("document", "application/pdf", samples.PDF),
        ("document", "application/msword", samples.DOC),
        ("document", "application/vnd.ms-powerpoint", samples.DOC),
        ("document", DOCX_TYPE, samples.DOCX),
        ("document", PPTX_TYPE, samples.PPTX),
        ("video", "video/mp4", samples.MP4),
        ("video", "video/webm", samples.WEBM),
        ("audio", "audio/mpeg", samples.MP3),
        ("audio", "audio/ogg", samples.OGG),
    ],
)
def test_accepted_files(media_format, content_type, data):
    check_file(media_format, content_type, len(data), data)


@pytest.mark.parametrize(
    ("media_format", "content_type", "data", "size", "message"),
    [
        ("image", "image/png", samples.EXE, None, "content is not image/png"),
        ("image", "image/png", samples.JPEG, None, "content is not image/png"),
        ("image", "image/png", samples.TEXT, None, "content is not image/png"),
        ("image", "application/x-msdownload", samples.EXE, None, "must be one of image/gif"),
        ("document", "application/pdf", samples.PNG, None, "content is not application/pdf"),
        ("image", "image/png", samples.PNG, 5 * MB + 1, "1 byte to 5 MB"),
        ("image", "image/png", samples.PNG, 0, "1 byte to 5 MB"),
        ("video", "video/mp4", samples.MP4, 2048 * MB + 1, "1 byte to 2048 MB"),
        ("test", "application/pdf", samples.PDF, None, "has no file"),
    ],
)
def test_refused_files(media_format, content_type, data, size, message):
    with pytest.raises(RejectedFile, match=message):
        check_file(media_format, content_type, len(data) if size is None else size, data)


@pytest.mark.parametrize(
    ("name", "cleaned"),
    [
        ("lecture.mp4", "lecture.mp4"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\notes.pdf", "notes.pdf"),
        ("bad\x00na\x1fme\x7f.png", "badname.png"),
        ("  .hidden.png ", "hidden.png"),
        ("../", "file"),
        ("x" * 300, "x" * 255),
    ],
)
def test_file_names_are_cleaned_of_paths_and_control_characters(name, cleaned):
    assert clean_filename(name) == cleaned


def test_object_keys_come_from_tenant_and_id_only_and_parse_back():
    media_id = "0b0c5a8e-6a7b-4c54-9e5e-2f8a39d7c1f1"
    key = object_key("acme/school one", media_id)

    assert key == f"media/acme%2Fschool%20one/{media_id}"
    assert parse_object_key(key) == ("acme/school one", media_id)
    for foreign in ("media/acme/not-an-id", "other/acme/" + media_id, f"media/a/b/{media_id}", "media/" + media_id):
        assert parse_object_key(foreign) is None
