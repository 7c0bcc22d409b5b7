"""The kiosk in real Chromium against a real server: wedge, offline replay, crash, camera, pairing, PINs, languages.

SQLite only: these tests are about the browser; both databases are covered by the API tests.
"""
from __future__ import annotations

import base64
import io
import json

import qrcode
import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import func, select

from browser import CHROMIUM_ARGS, chromium, chromium_path, screenshot_path  # noqa: F401  (fixture)
from kiosk_browser import (TABLET, kiosk_server, open_paired_kiosk, seed_event, sign_in, tablet,  # noqa: F401
                           wait_for_worker, waiting, wedge_scan)
from leadcapture.models import Consent, Event, Interaction, Lead

VCARD = "BEGIN:VCARD\nVERSION:3.0\nN:Lefèvre;Chloé\nORG:Pixel & Co\nTITLE:CEO\nEMAIL:chloe@pixel.example\nEND:VCARD"


def vcard(n: int) -> str:
    return f"BEGIN:VCARD\nVERSION:3.0\nN:Visitor{n};Wedge\nORG:Wedge Co\nEMAIL:wedge{n}@example.com\nEND:VCARD"


def leads_of(server, slug) -> tuple[int, int]:
    with server.session() as session:
        event_id = session.scalar(select(Event.id).where(Event.slug == slug))
        leads = session.scalar(select(func.count()).select_from(Lead).where(Lead.event_id == event_id))
        scans = session.scalar(select(func.count()).select_from(Interaction).where(Interaction.event_id == event_id))
    return leads, scans


def wait_until_sent(page, count: int = 1, timeout: float = 20000) -> None:
    """Until `count` scans of the recent list are acknowledged and nothing waits."""
    page.wait_for_function(
        """n => document.querySelectorAll('[data-testid=recent-item][data-state=sent]').length >= n
               && document.querySelector('[data-testid=outbox-count]').textContent === '0'""",
        arg=count, timeout=timeout)


def manual_entry(page, first: str, last: str, company: str) -> None:
    page.get_by_test_id("manual-entry").click()
    page.get_by_test_id("manual-first-name").fill(first)
    page.get_by_test_id("manual-last-name").fill(last)
    page.get_by_test_id("manual-company").fill(company)
    page.get_by_test_id("manual-submit").click()


def qualify_and_save(page) -> None:
    for testid in ("rating-warm", "q-timeline-3to12m", "save"):
        page.get_by_test_id(testid).click()
    page.get_by_test_id("screen-scan").wait_for(state="visible")


def capture_twenty(page) -> None:
    """10 wedge scans and 10 typed-in visitors."""
    for n in range(10):
        wedge_scan(page, vcard(n))
        page.get_by_test_id("screen-confirm").wait_for(state="visible")
        qualify_and_save(page)
        manual_entry(page, "Manual", f"Visitor{n}", "Typed SARL")
        qualify_and_save(page)


def test_wedge_scan_becomes_a_lead_with_answers_and_consent(tablet, kiosk_server):
    ids = seed_event(kiosk_server, "wedge")
    page = tablet.new_page()
    open_paired_kiosk(page, kiosk_server, "wedge")
    wedge_scan(page, VCARD)
    page.get_by_test_id("screen-confirm").wait_for(state="visible")
    assert page.get_by_test_id("confirm-name").inner_text() == "Chloé Lefèvre"
    assert page.get_by_test_id("confirm-company").inner_text() == "CEO · Pixel & Co"
    for testid in ("rating-hot", "q-interest-kiosk", "q-timeline-lt3m", "consent-yes", "save"):  # five taps
        page.get_by_test_id(testid).click()
    wait_until_sent(page)
    with kiosk_server.session() as session:
        lead = session.scalar(select(Lead).where(Lead.email == "chloe@pixel.example"))
        assert lead.full_name == "Chloé Lefèvre" and lead.rating == "hot"
        assert lead.answers == {"interest": ["kiosk"], "timeline": "lt3m"}
        interaction = lead.interactions[0]
        assert (interaction.source, interaction.staff_user_id) == ("wedge", ids["alice"])
        consent = session.scalar(select(Consent).where(Consent.lead_id == lead.id))
        assert consent.granted and (consent.language, consent.text_version) == ("en", "2026-01")
    assert page.get_by_test_id("recent-item").first.get_attribute("data-state") == "sent"

    wedge_scan(page, VCARD)  # the same visitor again: the kiosk says who met them
    expect(page.get_by_test_id("met-before")).to_contain_text("Already met by Alice")


def test_twenty_offline_scans_survive_a_reload_and_replay_once(tablet, kiosk_server):
    seed_event(kiosk_server, "offline")
    page = tablet.new_page()
    open_paired_kiosk(page, kiosk_server, "offline")
    tablet.set_offline(True)
    capture_twenty(page)
    assert waiting(page) == 20
    assert page.get_by_test_id("online-state").get_attribute("data-state") == "offline"
    page.reload()  # still offline: the service worker serves the kiosk, IndexedDB kept the scans
    page.get_by_test_id("screen-scan").wait_for(state="visible")
    assert waiting(page) == 20
    tablet.set_offline(False)  # the `online` event flushes
    wait_until_sent(page, 20)
    assert leads_of(kiosk_server, "offline") == (20, 20)
    page.get_by_test_id("sync-now").click()  # sending again changes nothing
    page.wait_for_timeout(500)
    assert leads_of(kiosk_server, "offline") == (20, 20)


def test_server_killed_in_the_middle_of_a_flush_still_gives_twenty(tablet, kiosk_server):
    seed_event(kiosk_server, "crash")
    page = tablet.new_page()
    open_paired_kiosk(page, kiosk_server, "crash")
    tablet.set_offline(True)
    capture_twenty(page)

    crash = {"armed": False, "done": False}

    def crash_after_storing_part(route):
        """The server stores the first 8 scans of the batch, then dies before it can answer."""
        if not crash["armed"] or crash["done"]:
            return route.continue_()
        body = json.loads(route.request.post_data)
        route.fetch(post_data=json.dumps({"scans": body["scans"][:8]}))
        kiosk_server.kill()
        crash["done"] = True
        route.abort("connectionreset")

    tablet.route("**/scans/batch", crash_after_storing_part)
    crash["armed"] = True
    tablet.set_offline(False)  # the `online` event flushes
    while not crash["done"]:
        page.wait_for_timeout(50)
    expect(page.get_by_test_id("online-state")).to_have_attribute("data-state", "offline")  # server unreachable
    assert leads_of(kiosk_server, "crash") == (8, 8) and waiting(page) == 20  # nothing was acknowledged
    kiosk_server.start()
    page.get_by_test_id("sync-now").click()
    wait_until_sent(page, 20)
    assert leads_of(kiosk_server, "crash") == (20, 20)


def badge_video(path, text: str) -> None:
    """A short Y4M clip (Chromium's fake camera format) of a badge QR code on a white card."""
    width, height = 640, 480
    frame = Image.new("RGB", (width, height), "white")
    code = qrcode.make(text, box_size=6, border=2).convert("RGB")
    frame.paste(code, ((width - code.width) // 2, (height - code.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    half = (width // 2, height // 2)
    planes = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(10):
            f.write(b"FRAME\n" + planes)


def test_camera_reads_a_badge_qr_code(chromium, kiosk_server, tmp_path):
    seed_event(kiosk_server, "camera")
    video = tmp_path / "badge.y4m"
    badge_video(video, "MECARD:N:Moreau,Hugo;ORG:Nordic Logistics;EMAIL:hugo@nordic.example;;")
    browser = chromium.browser_type.launch(executable_path=chromium_path(), args=[
        *CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    try:
        context = browser.new_context(viewport=TABLET, base_url=kiosk_server.url, locale="en-GB", permissions=["camera"])
        page = context.new_page()
        open_paired_kiosk(page, kiosk_server, "camera")
        page.get_by_test_id("camera-toggle").click()
        page.get_by_test_id("screen-confirm").wait_for(state="visible", timeout=30000)
        assert page.get_by_test_id("confirm-name").inner_text() == "Hugo Moreau"
        page.get_by_test_id("save").click()
        wait_until_sent(page)
        with kiosk_server.session() as session:
            lead = session.scalar(select(Lead).where(Lead.email == "hugo@nordic.example"))
            assert lead.company == "Nordic Logistics" and lead.interactions[0].source == "camera"
    finally:
        browser.close()


def test_pairing_by_qr_code_then_revocation_stops_the_tablet(chromium, tablet, kiosk_server):
    from werkzeug.security import generate_password_hash

    from leadcapture.models import Role, User

    seed_event(kiosk_server, "pairing")
    with kiosk_server.session() as session:
        session.add(User(email="admin@pairing.test", name="Adèle", role=Role.ADMIN.value,
                         password_hash=generate_password_hash("pw", method="pbkdf2:sha256:1000")))
        session.commit()
    laptop = chromium.new_context(base_url=kiosk_server.url, locale="fr-FR")
    admin = laptop.new_page()
    admin.goto("/login")
    admin.fill("input[name=email]", "admin@pairing.test")
    admin.fill("input[name=password]", "pw")
    admin.click("button[type=submit]")
    admin.goto("/events/pairing/devices")
    admin.fill("input[name=name]", "Stand A")
    admin.get_by_test_id("make-pairing-code").click()
    png = base64.b64decode(admin.get_by_test_id("pairing-qr").get_attribute("src").split(",", 1)[1])
    url = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))[0].text
    assert url.startswith(f"{kiosk_server.url}/kiosk#pair=")

    page = tablet.new_page()
    page.goto(url)  # what the tablet's camera app does with the QR code
    sign_in(page, "Alice", "1234")
    wait_for_worker(page)
    assert page.url.endswith("/kiosk")  # the one-time code left the address bar

    admin.goto("/events/pairing/devices")
    assert "Stand A" in admin.content()
    admin.locator("[data-testid^=revoke-]").click()
    laptop.close()

    batches = []
    page.on("request", lambda r: batches.append(r.url) if r.url.endswith("/scans/batch") else None)
    manual_entry(page, "Inès", "Girard", "TechnoBat")
    qualify_and_save(page)
    page.get_by_test_id("screen-revoked").wait_for(state="visible")
    assert "revoked" in page.get_by_test_id("revoked-message").inner_text()
    page.reload()
    page.get_by_test_id("screen-revoked").wait_for(state="visible")
    sent = len(batches)
    page.wait_for_timeout(6000)  # longer than the flush timer: a revoked tablet sends nothing more
    assert len(batches) == sent == 1
    assert leads_of(kiosk_server, "pairing") == (0, 0)


def test_switching_staff_takes_two_taps_and_works_offline(tablet, kiosk_server):
    seed_event(kiosk_server, "pins")
    page = tablet.new_page()
    open_paired_kiosk(page, kiosk_server, "pins")  # Alice signs in online
    tablet.set_offline(True)
    page.get_by_test_id("switch-staff").click()
    page.get_by_test_id("screen-staff").get_by_role("button", name="Bruno").click()
    for digit in "5678":
        page.locator(f'.pinpad button[data-key="{digit}"]').click()
    page.get_by_test_id("pin-submit").click()
    expect(page.get_by_test_id("pin-message")).to_contain_text("needs the network")  # never signed in here

    tablet.set_offline(False)
    page.get_by_test_id("pin-input").fill("5678")
    page.get_by_test_id("pin-submit").click()
    page.get_by_test_id("screen-scan").wait_for(state="visible")
    assert page.get_by_test_id("staff-name").inner_text() == "Bruno"

    tablet.set_offline(True)
    page.reload()
    expect(page.get_by_test_id("staff-name")).to_have_text("Bruno")  # remembered
    page.get_by_test_id("switch-staff").click()  # tap 1
    page.get_by_test_id("screen-staff").get_by_role("button", name="Alice").click()  # tap 2
    page.get_by_test_id("pin-input").fill("9999")
    page.get_by_test_id("pin-submit").click()
    expect(page.get_by_test_id("pin-message")).to_have_text("Wrong PIN.")
    page.get_by_test_id("pin-input").fill("1234")
    page.get_by_test_id("pin-submit").click()
    page.get_by_test_id("screen-scan").wait_for(state="visible")
    assert page.get_by_test_id("staff-name").inner_text() == "Alice"


def test_kiosk_speaks_french_and_english_and_shows_consent_in_the_visitors_language(tablet, kiosk_server):
    seed_event(kiosk_server, "langues")
    page = tablet.new_page()
    open_paired_kiosk(page, kiosk_server, "langues")
    page.get_by_test_id("ui-lang-fr").click()
    assert page.get_by_text("Prêt : scannez un badge").is_visible()
    page.get_by_test_id("ui-lang-en").click()
    assert page.get_by_text("Ready: scan a badge").is_visible()
    wedge_scan(page, "R0007")  # an id-only badge: the name comes from the cached roster
    assert page.get_by_test_id("confirm-name").inner_text() == "Visitor7 Roster"
    assert page.get_by_test_id("consent-text").inner_text().startswith("I agree that Demo SAS")
    page.get_by_test_id("consent-lang-fr").click()
    assert page.get_by_test_id("consent-text").inner_text().startswith("J'accepte que Démo SAS")
    assert page.get_by_test_id("consent-yes").inner_text() == "J'accepte"
    page.get_by_test_id("consent-yes").click()
    page.get_by_test_id("save").click()
    wait_until_sent(page)
    with kiosk_server.session() as session:
        consent = session.scalar(select(Consent).join(Lead).where(Lead.registration_id == "R0007"))
        assert consent.language == "fr" and consent.granted


def test_a_rejected_scan_stays_visible_with_the_reason_and_can_be_fixed(tablet, kiosk_server):
    seed_event(kiosk_server, "rejet")
    page = tablet.new_page()
    open_paired_kiosk(page, kiosk_server, "rejet")
    page.get_by_test_id("manual-entry").click()
    page.get_by_test_id("manual-payload").fill("<<no badge format>>")
    page.get_by_test_id("manual-submit").click()
    page.get_by_test_id("save").click()
    item = page.locator('[data-testid=recent-item][data-state="rejected"]')
    item.wait_for()
    assert "badge not recognised" in item.inner_text() and waiting(page) == 0
    item.get_by_test_id("fix").click()
    page.get_by_test_id("manual-payload").fill("")
    page.get_by_test_id("manual-last-name").fill("Blanc")
    page.get_by_test_id("manual-submit").click()
    page.get_by_test_id("save").click()
    page.locator('[data-testid=recent-item][data-state="sent"]').wait_for()
    assert leads_of(kiosk_server, "rejet") == (1, 1)


def test_kiosk_screenshots_on_a_tablet_in_both_orientations(tablet, kiosk_server, tmp_path):
    """docs/kiosk-*.png (refresh with LEADCAPTURE_UPDATE_SCREENSHOTS=1): a busy booth, one scan offline."""
    seed_event(kiosk_server, "photos")
    page = tablet.new_page()
    open_paired_kiosk(page, kiosk_server, "photos")
    for payload in ("MECARD:N:Martin,Camille;ORG:Acme Industrie;EMAIL:camille@acme.example;;", "R0003", VCARD):
        wedge_scan(page, payload)
        qualify_and_save(page)
    wait_until_sent(page, 3)
    tablet.set_offline(True)
    manual_entry(page, "Léa", "Rousseau", "Vins du Sud")
    qualify_and_save(page)
    page.get_by_test_id("toast").wait_for(state="hidden")
    page.screenshot(path=screenshot_path(tmp_path, "kiosk-scan-landscape.png"))
    wedge_scan(page, VCARD)  # a visitor met before, qualified in five taps
    for testid in ("rating-hot", "q-interest-kiosk", "q-interest-crm_sync", "q-timeline-lt3m", "consent-lang-fr"):
        page.get_by_test_id(testid).click()
    expect(page.get_by_test_id("met-before")).to_be_visible()
    page.screenshot(path=screenshot_path(tmp_path, "kiosk-confirm-landscape.png"))
    page.set_viewport_size({"width": TABLET["height"], "height": TABLET["width"]})
    page.screenshot(path=screenshot_path(tmp_path, "kiosk-confirm-portrait.png"))
    page.get_by_test_id("cancel").click()
    page.screenshot(path=screenshot_path(tmp_path, "kiosk-scan-portrait.png"))
    assert waiting(page) == 1
