// Offline PIN checks. The server checks a PIN while online; this tablet then keeps a verifier
// made from the PIN just typed: PBKDF2-SHA256 with a salt of its own (random per tablet) and
// the person's id. The server's PIN hash never leaves the server, and a verifier is useless
// on another tablet. A verifier made for an older PIN (pin_stamp changed) is ignored.
import { getMeta, setMeta } from "./store.js";

const ITERATIONS = 150_000;
const MAX_LOCAL_FAILURES = 5;
const LOCAL_LOCKOUT_MS = 60_000;

async function deviceSalt() {
  let salt = await getMeta("pinSalt");
  if (!salt) {
    salt = hex(crypto.getRandomValues(new Uint8Array(16)));
    await setMeta("pinSalt", salt);
  }
  return salt;
}

async function derive(staffId, pin) {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(pin), "PBKDF2", false, ["deriveBits"]);
  const salt = new TextEncoder().encode(`${await deviceSalt()}:${staffId}`);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations: ITERATIONS }, key, 256);
  return hex(new Uint8Array(bits));
}

export async function remember(staff, pin) {
  const verifiers = (await getMeta("pinVerifiers")) || {};
  verifiers[staff.id] = { stamp: staff.pin_stamp, verifier: await derive(staff.id, pin), failures: 0, lockedUntil: 0 };
  await setMeta("pinVerifiers", verifiers);
}

// "ok", "wrong", "locked" or "unknown" (never signed in here with the current PIN).
export async function verifyOffline(staff, pin) {
  const verifiers = (await getMeta("pinVerifiers")) || {};
  const entry = verifiers[staff.id];
  if (!entry || entry.stamp !== staff.pin_stamp) return "unknown";
  if (Date.now() < entry.lockedUntil) return "locked";
  const ok = (await derive(staff.id, pin)) === entry.verifier;
  entry.failures = ok ? 0 : entry.failures + 1;
  if (entry.failures >= MAX_LOCAL_FAILURES) {
    entry.failures = 0;
    entry.lockedUntil = Date.now() + LOCAL_LOCKOUT_MS;
  }
  await setMeta("pinVerifiers", verifiers);
  return ok ? "ok" : "wrong";
}

// Forget verifiers of people no longer listed or whose PIN changed.
export async function prune(staffList) {
  const verifiers = (await getMeta("pinVerifiers")) || {};
  const stamps = new Map(staffList.map((s) => [String(s.id), s.pin_stamp]));
  for (const id of Object.keys(verifiers)) if (stamps.get(id) !== verifiers[id].stamp) delete verifiers[id];
  await setMeta("pinVerifiers", verifiers);
}

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
