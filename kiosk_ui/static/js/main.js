// The kiosk: pairing, who is scanning, scan (camera, wedge, manual), qualify, save to the outbox.
import { ApiError, call } from "./api.js";
import { parseBadge, Roster } from "./badge.js";
import { CameraScanner, warmDecoder } from "./camera.js";
import { label, lang, setLang, t } from "./i18n.js";
import { Outbox } from "./outbox.js";
import { prune, remember, verifyOffline } from "./pins.js";
import { $, displayName, renderQuestions, renderRecent, renderStaff } from "./screens.js";
import { deleteScan, getMeta, putScans, recentScans, setMeta } from "./store.js";
import { WedgeCapture } from "./wedge.js";

const FLUSH_EVERY_MS = 5000;
const CONFIG_EVERY_MS = 5 * 60 * 1000;
const RECENT = 30;

const state = {
  pairing: null, // {token, slug, device, event}
  config: null,
  roster: new Roster(null),
  staff: null,
  screen: "loading",
  draft: null,
  pinFor: null,
  fixing: null, // a rejected scan being corrected
  status: { waiting: 0, rejected: 0, reachable: null, lastSync: null },
  reloadWhenIdle: false,
};

const outbox = new Outbox({
  getAuth: () => (state.pairing && !state.pairing.revoked ? state.pairing : null),
  onChange: (status) => { state.status = status; renderStatus(); refreshRecent(); },
  onRevoked: (message) => revoked(message),
});

function show(screen) {
  state.screen = screen;
  for (const el of document.querySelectorAll(".screen")) el.hidden = el.id !== `screen-${screen}`;
  $("switch-staff").hidden = !state.staff || ["pair", "revoked", "loading"].includes(screen);
  if (screen === "scan") wedge.focus();
}

function toast(text, ms = 2500) {
  const el = $("toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, ms);
}

// ---- status bar ----------------------------------------------------------------------------
function renderStatus() {
  const online = navigator.onLine && state.status.reachable !== false;
  const el = $("online-state");
  el.dataset.state = online ? "online" : "offline";
  el.querySelector("b").textContent = !navigator.onLine ? t("offline") : online ? t("online") : t("unreachable");
  $("outbox-count").textContent = String(state.status.waiting);
  $("last-sync").textContent = state.status.lastSync
    ? state.status.lastSync.toLocaleTimeString(lang(), { hour: "2-digit", minute: "2-digit", second: "2-digit" })
    : t("never");
  $("staff-name").textContent = state.staff?.name ?? "";
}

async function refreshRecent() {
  const slug = state.pairing?.slug;
  const records = (await recentScans(RECENT * 3)).filter((r) => r.slug === slug).slice(0, RECENT);
  renderRecent($("recent-scans"), records, { onFix: fix, onDiscard: discard });
}

// ---- pairing -------------------------------------------------------------------------------
async function pair(code) {
  const message = $("pair-message");
  message.textContent = t("pairing");
  try {
    const { data } = await call("/kiosk/pair", { method: "POST", body: { code } });
    state.pairing = { token: data.token, slug: data.event.slug, device: data.device, event: data.event, revoked: false };
    await setMeta("pairing", state.pairing);
    message.textContent = "";
    history.replaceState(null, "", location.pathname);
    await refreshConfig();
    await chooseStaffOrScan();
    outbox.flush({ force: true });
    setTimeout(() => warmDecoder().catch(() => {}), 1000);
  } catch (error) {
    message.textContent = error.status === 0 ? t("pairNeedsNetwork") : error.message;
  }
}

async function revoked(message) {
  if (!state.pairing || state.pairing.revoked) return;
  state.pairing = { ...state.pairing, revoked: true, revokedMessage: message };
  await setMeta("pairing", state.pairing);
  showRevoked();
}

function showRevoked() {
  camera.stop();
  $("revoked-message").textContent = `${t("revokedHint")} (${state.pairing.revokedMessage || ""})`;
  show("revoked");
}

// ---- configuration and roster --------------------------------------------------------------
async function refreshConfig() {
  const auth = outbox.getAuth();
  if (!auth) return;
  try {
    const { data } = await call(`/events/${encodeURIComponent(auth.slug)}/kiosk`, { token: auth.token, timeout: 10000 });
    state.config = data;
    await setMeta("config", data);
    await prune(data.staff);
    if (state.staff) state.staff = data.staff.find((s) => s.id === state.staff.id) || null;
    const cached = await getMeta("roster");
    if (!cached || cached.version !== data.roster_version) {
      const roster = await call(`/events/${encodeURIComponent(auth.slug)}/kiosk/roster`, { token: auth.token, timeout: 60000 });
      await setMeta("roster", { version: data.roster_version, fields: roster.data.fields, rows: roster.data.rows });
      state.roster = new Roster(roster.data);
    }
    outbox.reachable = true;
  } catch (error) {
    if (error instanceof ApiError && error.revoked) await revoked(error.message);
    else if (error instanceof ApiError && error.status === 0) outbox.reachable = false;
  }
  renderStatus();
}

// ---- who is scanning -----------------------------------------------------------------------
async function chooseStaffOrScan() {
  const savedId = Number(localStorage.getItem(`kiosk.staff.${state.pairing.slug}`));
  state.staff = state.config?.staff.find((s) => s.id === savedId) || null;
  renderStatus();
  if (state.staff) {
    show("scan");
    resumeCamera();
  } else {
    showStaff();
  }
}

function showStaff() {
  camera.stop();
  renderStaff($("staff-list"), state.config?.staff || [], (person) => {
    state.pinFor = person;
    $("pin-for").textContent = t("pinFor", { name: person.name });
    $("pin-input").value = "";
    $("pin-message").textContent = "";
    document.getElementById("pin-form").hidden = false;
    $("pin-input").focus();
  });
  document.getElementById("pin-form").hidden = true;
  show("staff");
}

async function submitPin() {
  const person = state.pinFor;
  const pin = $("pin-input").value;
  const message = $("pin-message");
  if (!person || !/^\d{4,6}$/.test(pin)) return;
  let verdict = "unknown";
  if (navigator.onLine) {
    try {
      const auth = outbox.getAuth();
      const { data } = await call(`/events/${encodeURIComponent(auth.slug)}/kiosk/pin-check`, {
        method: "POST", token: auth.token, body: { staff: person.id, pin }, timeout: 5000,
      });
      await remember(data, pin);
      Object.assign(person, data);
      verdict = "ok";
    } catch (error) {
      if (error.revoked) return revoked(error.message);
      if (error.status === 403) verdict = "wrong";
      else if (error.status === 429) verdict = "locked";
      else if (error.status === 404) return showStaff(); // no longer allowed here: the list is stale
      else verdict = await verifyOffline(person, pin); // server unreachable: as if offline
    }
  } else {
    verdict = await verifyOffline(person, pin);
  }
  if (verdict === "ok") {
    state.staff = person;
    localStorage.setItem(`kiosk.staff.${state.pairing.slug}`, String(person.id));
    renderStatus();
    show("scan");
    resumeCamera();
  } else {
    $("pin-input").value = "";
    message.textContent = { wrong: t("wrongPin"), locked: t("pinLocked"),
                            unknown: t("pinNeedsNetwork", { name: person.name }) }[verdict];
  }
}

// ---- scanning ------------------------------------------------------------------------------
function scanned(payload, source) {
  if (state.screen === "confirm") return toast(t("finishFirst"));
  if (state.screen !== "scan") return;
  const parsed = state.roster.complete(parseBadge(payload, state.config?.badge));
  startConfirm({ source, payload, parsed });
}

function startConfirm({ source, payload = null, parsed, contact = null, clientId = null, previous = null }) {
  const typed = contact || {};
  state.draft = {
    clientId, source, payload, contact: typed,
    shown: { ...parsed.contact, ...typed }, registrationId: parsed.registrationId,
    capturedAt: previous?.captured_at || new Date().toISOString(),
    answers: { ...(previous?.answers || {}) }, rating: previous?.rating || null,
    consent: previous?.consent ? { granted: previous.consent.granted, language: previous.consent.language } : { granted: null, language: lang() },
    inRoster: parsed.inRoster,
  };
  $("met-before").hidden = true;
  renderConfirm();
  show("confirm");
  lookUpMeetings(state.draft);
}

function renderConfirm() {
  const draft = state.draft;
  const c = draft.shown;
  $("confirm-name").textContent = displayName(c, draft.registrationId);
  $("confirm-company").textContent = [c.job_title, c.company].filter(Boolean).join(" · ");
  $("confirm-detail").textContent = !c.first_name && !c.last_name && draft.registrationId && !draft.inRoster
    ? t("notInRoster", { id: draft.registrationId }) : c.email || "";
  renderQuestions($("questions"), state.config?.questions || [], draft, renderConfirm);
  renderConsent();
}

function consentText(language) {
  const texts = (state.config?.consent?.texts || []).filter((x) => x.language === language);
  return texts[texts.length - 1]; // the newest version of that language
}

function renderConsent() {
  const draft = state.draft;
  const box = $("consent");
  const text = consentText(draft.consent.language) || consentText(draft.consent.language === "fr" ? "en" : "fr");
  box.hidden = !text;
  if (!text) return;
  draft.consent.language = text.language;
  $("consent-text").textContent = text.text;
  for (const code of ["fr", "en"]) {
    $(`consent-lang-${code}`).classList.toggle("on", code === text.language);
    $(`consent-lang-${code}`).hidden = !consentText(code);
  }
  $("consent-yes").textContent = t("consentYes", {}, text.language);
  $("consent-no").textContent = t("consentNo", {}, text.language);
  $("consent-yes").classList.toggle("on", draft.consent.granted === true);
  $("consent-no").classList.toggle("on", draft.consent.granted === false);
}

// Who met this visitor before: this tablet's own scans at once, the server's record when online.
async function lookUpMeetings(draft) {
  const email = draft.shown.email;
  const reg = draft.registrationId;
  if (!email && !reg) return;
  const mine = (await recentScans(500)).filter((r) => r.slug === state.pairing.slug && r.client_id !== draft.clientId
    && ((email && r.display.email === email) || (reg && r.display.registrationId === reg)));
  let meetings = mine.map((r) => ({ by: r.display.staff, at: r.scan.captured_at }));
  const auth = outbox.getAuth();
  if (navigator.onLine && auth) {
    const query = new URLSearchParams({ ...(email && { email }), ...(reg && { registration_id: reg }) });
    try {
      const { data } = await call(`/events/${encodeURIComponent(auth.slug)}/kiosk/met?${query}`, { token: auth.token, timeout: 2000 });
      meetings = meetings.concat(data.met_before);
    } catch {
      // Offline or slow: this tablet's own history is all we can say.
    }
  }
  if (state.draft !== draft || !meetings.length) return;
  const last = meetings.sort((a, b) => a.at.localeCompare(b.at))[meetings.length - 1];
  const at = new Date(last.at);
  const el = $("met-before");
  el.textContent = t("metBefore", { by: last.by, date: at.toLocaleDateString(lang()),
                                   time: at.toLocaleTimeString(lang(), { hour: "2-digit", minute: "2-digit" }) });
  el.hidden = false;
}

async function save() {
  const draft = state.draft;
  const missing = (state.config?.questions || []).filter((q) => q.required && draft.answers[q.id] == null);
  if (missing.length) return toast(t("required", { questions: missing.map((q) => label(q.label)).join(", ") }));
  const clientId = draft.clientId || uuid();
  const answers = Object.fromEntries(Object.entries(draft.answers).filter(([, v]) => v !== undefined));
  const scan = { client_id: clientId, captured_at: draft.capturedAt, source: draft.source, staff: state.staff?.id ?? null,
                 answers, rating: draft.rating };
  if (draft.payload) scan.payload = draft.payload;
  if (Object.keys(draft.contact).length) scan.contact = draft.contact;
  const text = consentText(draft.consent.language);
  if (text && draft.consent.granted !== null) {
    scan.consent = { granted: draft.consent.granted, purposes: state.config.consent.purposes,
                     language: text.language, text_version: text.version };
  }
  const name = displayName(draft.shown, draft.registrationId);
  await outbox.add({
    client_id: clientId, slug: state.pairing.slug, state: "waiting", created: new Date().toISOString(), scan,
    display: { name, company: draft.shown.company || "", email: draft.shown.email || null,
               registrationId: draft.registrationId || null, staff: state.staff?.name || "" },
  });
  state.draft = null;
  toast(t("saved", { name }));
  backToScan();
  outbox.flush({ force: true });
}

function backToScan() {
  state.draft = null;
  if (state.reloadWhenIdle) return location.reload();
  show("scan");
}

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = Array.from(b, (v) => v.toString(16).padStart(2, "0")).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

// ---- manual entry and fixing rejected scans -------------------------------------------------
function openManual(values = {}, fixing = null) {
  const form = document.getElementById("manual-form");
  form.reset();
  for (const [key, value] of Object.entries(values)) if (form.elements[key]) form.elements[key].value = value ?? "";
  form.dataset.fixing = fixing?.client_id || "";
  form.hidden = false;
  form.elements.first_name.focus();
  state.fixing = fixing;
}

function submitManual(event) {
  event.preventDefault();
  const form = event.target;
  const contact = {};
  for (const key of ["first_name", "last_name", "company", "email"]) {
    const value = form.elements[key].value.trim();
    if (value) contact[key] = value;
  }
  const payload = form.elements.payload.value.trim() || null;
  if (!payload && !contact.first_name && !contact.last_name && !contact.email) return toast(t("manualNeedsSomething"));
  form.hidden = true;
  const parsed = state.roster.complete(payload ? parseBadge(payload, state.config?.badge) : { contact: {} });
  const fixing = state.fixing;
  state.fixing = null;
  startConfirm({ source: fixing?.scan.source || "manual", payload, parsed, contact, clientId: fixing?.client_id || null,
                 previous: fixing?.scan || null });
}

function fix(record) {
  openManual({ ...(record.scan.contact || {}), payload: record.scan.payload || "" }, record);
}

async function discard(record) {
  await deleteScan(record.client_id);
  await outbox.changed();
}

// ---- wiring --------------------------------------------------------------------------------
const wedge = new WedgeCapture($("scan-input"), {
  isActive: () => state.screen === "scan" || state.screen === "confirm",
  onScan: (payload) => scanned(payload, "wedge"),
  onTyped: (text) => { if (state.screen === "scan") openManual({ payload: text }); },
});
const camera = new CameraScanner($("camera-video"), (value) => scanned(value, "camera"));
let pairCamera = null;

function wire() {
  for (const button of document.querySelectorAll("header [data-lang]")) {
    button.addEventListener("click", () => {
      setLang(button.dataset.lang);
      renderStatus();
      refreshRecent();
      if (state.screen === "confirm") renderConfirm();
      if (state.screen === "staff") showStaff();
    });
  }
  $("sync-now").addEventListener("click", () => outbox.flush({ force: true }));
  $("switch-staff").addEventListener("click", showStaff);
  document.getElementById("pair-form").addEventListener("submit", (event) => {
    event.preventDefault();
    pair(event.target.elements.code.value);
  });
  $("pair-camera").addEventListener("click", async () => {
    const box = $("pair-camera-box");
    pairCamera ??= new CameraScanner(box.querySelector("video"), (value) => {
      const code = /[#&]pair=([A-Za-z0-9-]+)/.exec(value)?.[1] || value;
      pairCamera.stop();
      box.hidden = true;
      pair(code);
    });
    box.hidden = false;
    pairCamera.start().catch((error) => { $("pair-message").textContent = t("cameraFailed", { error: error.message }); });
  });
  $("pair-again").addEventListener("click", () => show("pair"));
  document.getElementById("pin-form").addEventListener("submit", (event) => { event.preventDefault(); submitPin(); });
  for (const key of document.querySelectorAll(".pinpad button")) {
    key.addEventListener("click", () => {
      const input = $("pin-input");
      if (key.dataset.key === "OK") submitPin();
      else if (key.dataset.key === "⌫") input.value = input.value.slice(0, -1);
      else if (input.value.length < 6) input.value += key.dataset.key;
    });
  }
  $("camera-toggle").addEventListener("click", toggleCamera);
  $("manual-entry").addEventListener("click", () => openManual());
  $("manual-cancel").addEventListener("click", () => { document.getElementById("manual-form").hidden = true; wedge.focus(); });
  document.getElementById("manual-form").addEventListener("submit", submitManual);
  for (const code of ["fr", "en"]) {
    $(`consent-lang-${code}`).addEventListener("click", () => { state.draft.consent.language = code; renderConsent(); });
  }
  $("consent-yes").addEventListener("click", () => { state.draft.consent.granted = state.draft.consent.granted === true ? null : true; renderConsent(); });
  $("consent-no").addEventListener("click", () => { state.draft.consent.granted = state.draft.consent.granted === false ? null : false; renderConsent(); });
  $("save").addEventListener("click", save);
  $("cancel").addEventListener("click", backToScan);
  window.addEventListener("online", () => { renderStatus(); outbox.flush({ force: true }); refreshConfig(); });
  window.addEventListener("offline", renderStatus);
}

function resumeCamera() {
  if (localStorage.getItem("kiosk.camera") === "on" && !camera.running) toggleCamera();
}

async function toggleCamera() {
  const box = $("camera-box");
  if (camera.running) {
    camera.stop();
    box.hidden = true;
    localStorage.setItem("kiosk.camera", "off");
  } else {
    box.hidden = false;
    try {
      await camera.start();
      localStorage.setItem("kiosk.camera", "on");
    } catch (error) {
      box.hidden = true;
      $("scan-message").textContent = t("cameraFailed", { error: error.message });
    }
  }
  $("camera-toggle").textContent = camera.running ? t("cameraOff") : t("camera");
}

async function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  const hadController = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (!hadController) return; // first install, not an update
    if (state.screen === "confirm") state.reloadWhenIdle = true;
    else location.reload();
  });
  await navigator.serviceWorker.register(document.body.dataset.sw, { scope: document.body.dataset.scope });
}

async function boot() {
  setLang(lang());
  wire();
  registerWorker().catch((error) => console.warn("service worker not registered", error));
  state.pairing = (await getMeta("pairing")) || null;
  state.config = (await getMeta("config")) || null;
  state.roster = new Roster(await getMeta("roster"));
  renderStatus();
  const code = /[#&]pair=([A-Za-z0-9-]+)/.exec(location.hash)?.[1];
  if (code) {
    show("pair");
    $("pair-code").value = code;
    await pair(code);
  } else if (!state.pairing) {
    show("pair");
  } else if (state.pairing.revoked) {
    showRevoked();
  } else {
    await chooseStaffOrScan();
    refreshConfig().then(() => { if (state.screen === "staff") showStaff(); });
    setTimeout(() => warmDecoder().catch(() => {}), 3000);
  }
  await outbox.changed();
  outbox.flush();
  setInterval(() => { if (state.status.waiting) outbox.flush(); }, FLUSH_EVERY_MS);
  setInterval(refreshConfig, CONFIG_EVERY_MS);
  document.body.dataset.ready = "true";
}

boot();
