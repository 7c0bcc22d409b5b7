// A quick look at a badge on the tablet, to show the visitor's name at once, even offline:
// vCard, MECARD, the event's delimited layout, an e-mail, or a registration id looked up in
// the cached roster. The server parses the payload again and its reading is the one stored.

export function parseBadge(payload, badgeSettings = {}) {
  const text = payload.replace(/^\uFEFF/, "").trim();
  if (/^BEGIN:VCARD/i.test(text)) return { format: "vcard", contact: vcard(text) };
  if (/^MECARD:/i.test(text)) return { format: "mecard", contact: mecard(text.slice(7)) };
  const layout = badgeSettings.delimited;
  if (layout && (badgeSettings.formats || []).includes("delimited") && text.includes(layout.delimiter)) {
    const values = text.split(layout.delimiter);
    const contact = {};
    layout.fields.forEach((field, i) => { if (field && values[i]) contact[field] = values[i].trim(); });
    const { registration_id: registrationId, ...rest } = contact;
    return { format: "delimited", contact: rest, registrationId };
  }
  if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text)) return { format: "email", contact: { email: text.toLowerCase() } };
  if (/^[A-Za-z0-9][A-Za-z0-9_\-./:#]{1,63}$/.test(text)) return { format: "id", contact: {}, registrationId: text };
  return { format: "unknown", contact: {} };
}

function vcard(text) {
  const lines = text.replace(/\r\n/g, "\n").replace(/\n[ \t]/g, "").split("\n"); // unfold
  const contact = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).split(";")[0].split(".").pop().toUpperCase();
    const value = unescape(line.slice(colon + 1));
    if (name === "N") {
      const [last, first] = line.slice(colon + 1).split(";").map(unescape);
      if (last) contact.last_name = last;
      if (first) contact.first_name = first;
    } else if (name === "FN" && !contact.first_name && !contact.last_name) {
      const parts = value.split(" ");
      contact.first_name = parts.shift();
      if (parts.length) contact.last_name = parts.join(" ");
    } else if (name === "ORG") contact.company ??= value.split(";")[0];
    else if (name === "TITLE") contact.job_title ??= value;
    else if (name === "EMAIL") contact.email ??= value.toLowerCase();
    else if (name === "TEL") contact.phone ??= value;
  }
  return contact;
}

function mecard(body) {
  const contact = {};
  for (const part of body.split(/(?<!\\);/)) {
    const colon = part.indexOf(":");
    if (colon < 0) continue;
    const key = part.slice(0, colon).toUpperCase();
    const value = unescape(part.slice(colon + 1));
    if (key === "N") {
      const [last, first] = value.split(",");
      if (last) contact.last_name = last.trim();
      if (first) contact.first_name = first.trim();
    } else if (key === "ORG") contact.company ??= value;
    else if (key === "EMAIL") contact.email ??= value.toLowerCase();
    else if (key === "TEL") contact.phone ??= value;
    else if (key === "TITLE") contact.job_title ??= value;
  }
  return contact;
}

function unescape(value) {
  return value.replace(/\\n/gi, " ").replace(/\\([,;:\\])/g, "$1").trim();
}

// The cached roster, indexed for id-only and e-mail-only badges.
export class Roster {
  constructor(data) {
    this.byId = new Map();
    this.byEmail = new Map();
    if (!data) return;
    const at = Object.fromEntries(data.fields.map((f, i) => [f, i]));
    for (const row of data.rows) {
      const person = {};
      for (const [field, i] of Object.entries(at)) if (row[i] != null) person[field] = row[i];
      if (person.registration_id) this.byId.set(person.registration_id, person);
      if (person.email) this.byEmail.set(person.email.toLowerCase(), person);
    }
  }

  // Fill the blanks of a parsed badge from the roster; the badge's own fields win.
  complete(parsed) {
    const person = (parsed.registrationId && this.byId.get(parsed.registrationId))
      || (parsed.contact.email && this.byEmail.get(parsed.contact.email));
    if (!person) return { ...parsed, inRoster: false };
    const { registration_id: registrationId, ...fields } = person;
    return { ...parsed, registrationId: parsed.registrationId || registrationId,
             contact: { ...fields, ...parsed.contact }, inRoster: true };
  }
}
