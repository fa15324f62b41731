"""Photos of a case: checked by content (not by name), stored with a thumbnail."""

from __future__ import annotations

import io
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
THUMBNAIL_SIZE = (320, 320)
MAX_PIXELS = 40_000_000  # a decompression bomb is refused, not decoded


def check_photo(upload: UploadedFile) -> str:
    """Raise a ValidationError in the user's language unless ``upload`` is a usable photo.

    Returns the file extension that matches its real content.
    """
    limit_mb = settings.PHOTO_MAX_BYTES // (1024 * 1024)
    if upload.size > settings.PHOTO_MAX_BYTES:
        raise ValidationError(
            _("Photo “%(name)s” is larger than %(limit)s MB.")
            % {"name": upload.name, "limit": limit_mb},
            code="photo_too_large",
        )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            fmt = image.format
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        fmt = None
    finally:
        upload.seek(0)
    if fmt not in ALLOWED_FORMATS:
        raise ValidationError(
            _("“%(name)s” is not a JPEG, PNG or WebP photo.") % {"name": upload.name},
            code="photo_bad_type",
        )
    if width * height > MAX_PIXELS:
        raise ValidationError(_("Photo “%(name)s” is too large.") % {"name": upload.name})
    return ALLOWED_FORMATS[fmt]


def photo_files(upload: UploadedFile, extension: str) -> tuple[ContentFile, ContentFile]:
    """The original (re-read, under a random name) and a JPEG thumbnail."""
    stem = uuid.uuid4().hex
    upload.seek(0)
    original = ContentFile(upload.read(), name=f"{stem}.{extension}")
    upload.seek(0)
    with Image.open(upload) as image:
        image = image.convert("RGB")
        image.thumbnail(THUMBNAIL_SIZE)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=80)
    return original, ContentFile(buffer.getvalue(), name=f"{stem}-thumb.jpg")
