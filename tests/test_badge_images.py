"""Badge photos: decoding every symbology, rotated and washed-out pictures, and `parse-badge --image`."""
from __future__ import annotations

import json

import pytest
import zxingcpp
from PIL import Image

from badge_images import file_bytes, low_contrast, qr_image, side_by_side, zxing_image
from leadcapture.badges import BadgeError, parse_badge, parse_badge_image, parse_badge_photo
from leadcapture.cli import cli
from leadcapture.event_settings import load_settings

F = zxingcpp.BarcodeFormat
VCARD = ("BEGIN:VCARD\r\nVERSION:3.0\r\nN:Dvořák;Antonín;;;\r\nORG:Škoda Auto\r\nTITLE:Nákupčí\r\n"
         "EMAIL:antonin.dvorak@skoda.example\r\nTEL;TYPE=WORK:+420 212 345 678\r\nEND:VCARD\r\n")
CHINESE_MECARD = "MECARD:N:张,伟;ORG:上海贸易有限公司;EMAIL:zhang.wei@example.cn;TEL:+86 139 1234 5678;;"
FRENCH_VCARD = ("BEGIN:VCARD\nVERSION:2.1\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Lef=C3=A8vre;Chlo=C3=A9\n"
                "EMAIL;INTERNET:chloe@pixel.example\nEND:VCARD")


@pytest.mark.parametrize("payload", [VCARD, CHINESE_MECARD, FRENCH_VCARD], ids=["czech", "chinese", "french-qp"])
def test_qr_codes_drawn_by_qrcode_round_trip_to_the_same_contact(payload):
    [decoded] = parse_badge_image(qr_image(payload))
    assert decoded == payload
    assert parse_badge(decoded, country="FR") == parse_badge(payload, country="FR")


@pytest.mark.parametrize("barcode_format", [F.PDF417, F.DataMatrix, F.Aztec])
def test_2d_codes_drawn_by_zxing_round_trip_to_the_same_contact(barcode_format):
    [decoded] = parse_badge_image(zxing_image(VCARD, barcode_format))
    assert parse_badge(decoded).contact == parse_badge(VCARD).contact


@pytest.mark.parametrize("barcode_format", [F.Code128, F.Code39])
def test_linear_barcodes_give_the_registration_id(barcode_format):
    assert parse_badge_image(zxing_image("SD00042", barcode_format)) == ["SD00042"]


def test_a_rotated_photo_is_read():
    tilted = qr_image(VCARD).rotate(30, expand=True, fillcolor=255)
    sideways = zxing_image(VCARD, F.PDF417).rotate(90, expand=True)
    assert parse_badge_image(tilted) == [VCARD] and parse_badge_image(sideways) == [VCARD]


def test_a_washed_out_photo_is_read_once_its_contrast_is_stretched():
    washed = low_contrast(qr_image(VCARD))
    assert zxingcpp.read_barcodes(washed) == []  # why parse_badge_image stretches the contrast
    assert parse_badge_image(washed) == [VCARD]


def test_a_colour_jpeg_photo_is_read():
    photo = qr_image(FRENCH_VCARD, box_size=8).convert("RGB")
    assert parse_badge_photo(file_bytes(photo, "JPEG")).parsed.contact["last_name"] == "Lefèvre"


def test_with_several_codes_the_one_that_is_a_badge_is_used_and_named():
    photo = file_bytes(side_by_side(qr_image("Merci de votre visite !"), zxing_image("SD00042", F.Code128)))
    read = parse_badge_photo(photo)
    assert (read.payload, read.parsed.registration_id) == ("SD00042", "SD00042")
    assert "holds 2 codes; used code" in read.warnings[0] and "('SD00042')" in read.warnings[0]


def test_a_photo_without_a_code_says_what_was_looked_for():
    assert parse_badge_image(Image.new("L", (300, 200), 255)) == []
    with pytest.raises(BadgeError, match="no barcode found on the photo .*QR Code, PDF417"):
        parse_badge_photo(file_bytes(Image.new("L", (300, 200), 255)))


def test_codes_that_are_not_badges_are_each_explained():
    with pytest.raises(BadgeError, match=r"no code on the photo is a badge: code 1 \('Merci de votre visite !'\)"):
        parse_badge_photo(file_bytes(qr_image("Merci de votre visite !")))


@pytest.mark.parametrize("data, fragment", [
    (b"%PDF-1.7 not a picture", "cannot be read as an image"),
    (file_bytes(qr_image(VCARD))[:200], "damaged"),
])
def test_a_file_that_is_not_a_readable_image_is_a_badge_error(data, fragment):
    with pytest.raises(BadgeError, match=fragment):
        parse_badge_photo(data)


# --- leadcapture parse-badge --image -------------------------------------------------------------------

@pytest.fixture
def run(runner, session):
    def _run(*args, input=None):
        session.commit()  # the command opens its own session
        return runner.invoke(cli, [str(a) for a in args], input=input)

    return _run


def test_parse_badge_reads_a_photo(run, tmp_path):
    path = tmp_path / "badge.png"
    path.write_bytes(file_bytes(side_by_side(qr_image("bonjour"), qr_image(CHINESE_MECARD))))
    result = run("parse-badge", "--image", path)
    assert result.exit_code == 0, result.output
    parsed = json.loads(result.stdout)
    assert parsed["contact"]["last_name"] == "张" and parsed["contact"]["phone"] == "+8613912345678"
    assert "2 codes" in parsed["warnings"][0]


def test_parse_badge_uses_the_events_country_and_formats(run, tmp_path, make_event):
    make_event("salon-lyon", settings=load_settings({"badge": {"formats": ["bizcard"]}}))
    path = tmp_path / "badge.png"
    path.write_bytes(file_bytes(zxing_image("BIZCARD:N:Zoé;X:Blanc;B:06 11 22 33 44;;", F.Aztec)))
    result = run("parse-badge", "--image", path, "--event", "salon-lyon")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["contact"]["phone"] == "+33611223344"


def test_parse_badge_photo_without_a_code_exits_2(run, tmp_path):
    path = tmp_path / "blank.png"
    path.write_bytes(file_bytes(Image.new("L", (200, 200), 255)))
    result = run("parse-badge", "--image", path)
    assert result.exit_code == 2 and "no barcode found on the photo" in result.stderr and result.stdout == ""


@pytest.mark.parametrize("payload, fragment", [
    ("BEGIN:VCARDVERSION:3.0N:Dupont;JeanEND:VCARD", "the scanner dropped its line breaks"),
    ('{"id": 1', "this event reads only vCard, MECARD, e-mail, registration id; add 'json'"),
    ("SB&é\"'(", "set the scanner's keyboard language to French AZERTY"),
])
def test_parse_badge_explains_bad_payloads_with_exit_2(run, payload, fragment):
    result = run("parse-badge", input=payload)
    assert result.exit_code == 2 and fragment in result.stderr
