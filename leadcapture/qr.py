"""QR codes as inline PNG images, for pages that tablets scan (pairing, certificate set-up)."""
from __future__ import annotations

import base64
import io

import qrcode


def qr_data_uri(text: str, box_size: int = 8) -> str:
    """A `data:image/png;base64,...` URI of a QR code holding `text`."""
    image = qrcode.make(text, box_size=box_size, border=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
