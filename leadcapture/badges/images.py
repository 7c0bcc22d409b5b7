"""Badge photos: the barcodes on a picture, decoded with zxing-cpp from a Pillow image."""
from __future__ import annotations

import io
import warnings as pywarnings
from dataclasses import dataclass

import zxingcpp
from PIL import Image, ImageOps, UnidentifiedImageError

from .contact import BadgeError, ParsedBadge

_F = zxingcpp.BarcodeFormat
# The symbologies trade-show badges carry.
BARCODE_FORMATS = (_F.QRCode, _F.PDF417, _F.DataMatrix, _F.Aztec, _F.Code128, _F.Code39)
FORMAT_NAMES = "QR Code, PDF417, Data Matrix, Aztec, Code 128, Code 39"
# A 12-megapixel phone photo fits; a decompression bomb does not.
MAX_PIXELS = 40_000_000


@dataclass
class BadgePhoto:
    payload: str  # the text of the code that was used
    parsed: ParsedBadge
    warnings: list[str]  # about the photo itself (several codes); parsed.warnings are the badge's


def open_badge_image(data: bytes) -> Image.Image:
    """Image file bytes (JPEG, PNG, WebP, ...) -> a loaded Pillow image, upright by its EXIF orientation.

    Raises BadgeError when the bytes are not an image Pillow reads, or it is too large.
    """
    try:
        with pywarnings.catch_warnings():
            pywarnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise BadgeError(f"the photo cannot be read as an image ({exc}); send a JPEG or PNG file",
                         format_tried="image") from None
    if image.width * image.height > MAX_PIXELS:
        raise BadgeError(f"the photo is {image.width}x{image.height} pixels; send at most "
                         f"{MAX_PIXELS // 1_000_000} megapixels", format_tried="image")
    try:
        image.load()
        return ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError) as exc:  # what Pillow raises for a truncated or corrupt file
        raise BadgeError(f"the photo file is damaged ({exc}); send it again", format_tried="image") from None


def parse_badge_image(image: Image.Image) -> list[str]:
    """Every barcode's text on a Pillow image, in the order zxing-cpp reports them (duplicates once).

    Rotated codes are found (zxing-cpp tries every orientation). A washed-out
    photo is read again with its contrast stretched. Returns [] when there is
    no code.
    """
    gray = image.convert("L")
    found = _read(gray) or _read(ImageOps.autocontrast(gray, cutoff=1))
    return list(dict.fromkeys(found))


def _read(gray: Image.Image) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(gray, formats=BARCODE_FORMATS) if b.text]


def read_badge_photo(data: bytes, parse) -> BadgePhoto:
    """Photo bytes -> the first code on it that `parse` (payload -> ParsedBadge) accepts.

    Raises BadgeError when the photo is not an image, holds no code, or no
    code is a badge; the message says which codes were seen and why each was
    refused.
    """
    payloads = parse_badge_image(open_badge_image(data))
    if not payloads:
        raise BadgeError(f"no barcode found on the photo (looked for {FORMAT_NAMES}); take it again closer, "
                         "with the whole code in the frame and in focus", format_tried="image",
                         missing=["barcode"])
    refused: list[str] = []
    for index, payload in enumerate(payloads):
        try:
            parsed = parse(payload)
        except BadgeError as exc:
            refused.append(f"code {index + 1} ({payload[:30]!r}): {exc}")
            continue
        notes = []
        if len(payloads) > 1:
            notes.append(f"the photo holds {len(payloads)} codes; used code {index + 1} ({payload[:30]!r})"
                         + (", the first that is a badge" if index else ""))
        return BadgePhoto(payload=payload, parsed=parsed, warnings=notes)
    raise BadgeError("no code on the photo is a badge: " + "; ".join(refused), format_tried="image")
