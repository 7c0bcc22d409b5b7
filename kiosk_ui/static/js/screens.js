// DOM for the parts of the kiosk that depend on data: the staff list, the qualify screen's
// questions, and the recent scans. No framework: a tiny `h` helper is enough at this size.
import { label, lang, t } from "./i18n.js";

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "testid") el.dataset.testid = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  el.append(...children.flat().filter((c) => c != null && c !== false));
  return el;
}

export const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);

export function renderStaff(list, staff, onPick) {
  list.replaceChildren(...staff.map((person) =>
    h("button", { type: "button", class: "big person", testid: `staff-${person.id}`, onclick: () => onPick(person) },
      person.name)));
}

// Big touch buttons for each question; `draft.answers` is updated in place.
export function renderQuestions(container, questions, draft, onChange) {
  const rating = h("fieldset", { class: "question", testid: "q-rating" },
    h("legend", {}, t("rating")),
    ["hot", "warm", "cold"].map((value) => choice(`rating-${value}`, t(value), draft.rating === value, () => {
      draft.rating = draft.rating === value ? null : value;
      onChange();
    })));
  const blocks = questions.map((q) => {
    const legend = h("legend", {}, label(q.label), q.required ? " *" : "");
    if (q.type === "single" || q.type === "multi") {
      return h("fieldset", { class: "question", testid: `q-${q.id}` }, legend,
        q.options.map((o) => choice(`q-${q.id}-${o.id}`, label(o.label), selected(draft.answers[q.id], o.id), () => {
          draft.answers[q.id] = q.type === "single" ? toggleOne(draft.answers[q.id], o.id) : toggleMany(draft.answers[q.id], o.id);
          onChange();
        })));
    }
    if (q.type === "rating") {
      return h("fieldset", { class: "question", testid: `q-${q.id}` }, legend,
        ["hot", "warm", "cold"].map((v) => choice(`q-${q.id}-${v}`, t(v), draft.answers[q.id] === v, () => {
          draft.answers[q.id] = toggleOne(draft.answers[q.id], v);
          onChange();
        })));
    }
    if (q.type === "boolean") {
      return h("fieldset", { class: "question", testid: `q-${q.id}` }, legend,
        [[true, t("consentYes")], [false, t("consentNo")]].map(([v, text]) =>
          choice(`q-${q.id}-${v}`, text, draft.answers[q.id] === v, () => {
            draft.answers[q.id] = draft.answers[q.id] === v ? undefined : v;
            onChange();
          })));
    }
    const input = h(q.type === "number" ? "input" : "textarea", {
      class: "note", testid: `q-${q.id}`, rows: 2, type: q.type === "number" ? "number" : null,
      oninput: (event) => {
        const raw = event.target.value;
        draft.answers[q.id] = raw === "" ? undefined : q.type === "number" ? Number(raw) : raw;
      },
    });
    input.value = draft.answers[q.id] ?? "";
    return h("label", { class: "question" }, h("span", { class: "legend" }, label(q.label)), input);
  });
  container.replaceChildren(rating, ...blocks);
}

function choice(testid, text, on, onclick) {
  return h("button", { type: "button", class: on ? "opt on" : "opt", "aria-pressed": on ? "true" : "false", testid, onclick }, text);
}

function selected(answer, id) {
  return Array.isArray(answer) ? answer.includes(id) : answer === id;
}

function toggleOne(answer, id) {
  return answer === id ? undefined : id;
}

function toggleMany(answer, id) {
  const list = Array.isArray(answer) ? answer : [];
  const next = list.includes(id) ? list.filter((x) => x !== id) : [...list, id];
  return next.length ? next : undefined;
}

export function renderRecent(list, records, { onFix, onDiscard }) {
  list.replaceChildren(...records.map((r) => {
    const time = new Date(r.scan.captured_at).toLocaleTimeString(lang(), { hour: "2-digit", minute: "2-digit" });
    const stateKey = { waiting: "stateWaiting", sent: "stateSent", rejected: "stateRejected" }[r.state];
    const note = r.state === "rejected" ? flatten(r.errors) : r.result?.message || "";
    return h("li", { "data-state": r.state, testid: "recent-item", "data-client-id": r.client_id },
      h("span", { class: "time" }, time),
      h("span", { class: "who" }, h("b", {}, r.display.name), r.display.company ? ` · ${r.display.company}` : ""),
      h("span", { class: `state ${r.state}` }, t(stateKey)),
      note ? h("span", { class: "note" }, note) : null,
      r.state === "rejected" ? h("span", { class: "fix" },
        h("button", { type: "button", testid: "fix", onclick: () => onFix(r) }, t("fix")),
        h("button", { type: "button", testid: "discard", onclick: () => onDiscard(r) }, t("discard"))) : null);
  }));
}

// The server's per-field messages as one line a person can act on.
function flatten(errors, prefix = "") {
  if (!errors) return "";
  if (Array.isArray(errors)) return errors.map((e) => (typeof e === "string" ? `${prefix}${e}` : flatten(e, prefix))).join("; ");
  if (typeof errors === "object") return Object.entries(errors).map(([k, v]) => flatten(v, `${k}: `)).join("; ");
  return String(errors);
}

export function displayName(contact, registrationId) {
  const name = [contact.first_name, contact.last_name].filter(Boolean).join(" ");
  return name || contact.email || (registrationId ? `#${registrationId}` : t("unknownVisitor"));
}
