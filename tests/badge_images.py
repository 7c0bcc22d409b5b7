"""Badge pictures made by the tests themselves: QR codes with qrcode, the other symbologies with zxing-cpp."""
from __future__ import annotations

import io

import qrcode
import zxingcpp
from PIL import Image

WHITE = 255


def qr_image(text: str, box_size: int = 6) -> Image.Image:
    """A QR code as the qrcode package draws it, in grayscale."""
    code = qrcode.QRCode(border=4, box_size=box_size)
    code.add_data(text)
    code.make(fit=True)
    return code.make_image().get_image().convert("L")


def zxing_image(text: str, barcode_format: zxingcpp.BarcodeFormat, scale: int = 4) -> Image.Image:
    """A barcode drawn by zxing-cpp's writer (PDF417, Data Matrix, Aztec, Code 128, ...)."""
    bitmap = memoryview(zxingcpp.write_barcode_to_image(zxingcpp.create_barcode(text, barcode_format), scale=scale))
    height, width = bitmap.shape
    return Image.frombytes("L", (width, height), bitmap.tobytes())


def side_by_side(*images: Image.Image, margin: int = 30) -> Image.Image:
    """Several codes on one white picture, left to right, as on a badge with a QR and a barcode."""
    width = sum(i.width for i in images) + margin * (len(images) + 1)
    canvas = Image.new("L", (width, max(i.height for i in images) + 2 * margin), WHITE)
    x = margin
    for image in images:
        canvas.paste(image, (x, margin))
        x += image.width + margin
    return canvas


def low_contrast(image: Image.Image, dark: int = 125, light: int = 135) -> Image.Image:
    """The code as a washed-out photo shows it: dark grey on light grey, ten levels apart."""
    return image.point(lambda v: dark if v < 128 else light)


def file_bytes(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()
