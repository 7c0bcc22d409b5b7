// Keyboard-wedge scanners (Bluetooth or USB) "type" the badge very fast and end with Enter
// or Tab. A hidden, always-focused textarea (inputmode=none: no on-screen keyboard) receives
// the keys; keystroke timing tells a scanner from a person typing. A vCard arrives as many
// lines, each ending with Enter, so a payload that began with BEGIN:VCARD is complete only
// at END:VCARD.
const SCANNER_GAP_MS = 40; // mean gap between a scanner's keystrokes stays well under this
const IDLE_MS = 250; // a scanner without suffix: the payload ends when keys stop
const MIN_LENGTH = 3;

export class WedgeCapture {
  constructor(textarea, { isActive, onScan, onTyped }) {
    this.textarea = textarea;
    this.isActive = isActive; // () => boolean: only while the scan screen shows
    this.onScan = onScan; // (payload) => void
    this.onTyped = onTyped; // (text) => void: slow typing, handed to manual entry
    this.reset();
    document.addEventListener("keydown", (event) => this.#key(event), true);
    textarea.addEventListener("input", () => this.#input());
    textarea.addEventListener("blur", () => setTimeout(() => this.focus(), 0));
  }

  reset() {
    this.buffer = "";
    this.times = [];
    clearTimeout(this.idleTimer);
  }

  focus() {
    const active = document.activeElement;
    const typingElsewhere = active && active !== this.textarea && active.matches("input, textarea, select");
    if (this.isActive() && !typingElsewhere) this.textarea.focus({ preventScroll: true });
  }

  #key(event) {
    if (!this.isActive() || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target !== this.textarea && target.matches?.("input, textarea, select")) return;
    if (event.key === "Enter" || event.key === "Tab") {
      event.preventDefault();
      this.#suffix(event.timeStamp);
    } else if (event.key.length === 1) {
      event.preventDefault();
      this.#char(event.key, event.timeStamp);
    }
    // "Unidentified" keys (some Android scanners) arrive as input events instead.
  }

  #input() {
    const text = this.textarea.value;
    this.textarea.value = "";
    for (const ch of text) {
      if (ch === "\n" || ch === "\t") this.#suffix(performance.now());
      else this.#char(ch, performance.now());
    }
  }

  #char(ch, at) {
    this.buffer += ch;
    this.times.push(at);
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.#finish(false), IDLE_MS);
  }

  #suffix(at) {
    if (!this.buffer) return;
    if (/^BEGIN:VCARD/i.test(this.buffer) && !/END:VCARD\s*$/i.test(this.buffer)) {
      this.buffer += "\n"; // a line of the vCard ended; more lines follow
      this.times.push(at);
      clearTimeout(this.idleTimer);
      this.idleTimer = setTimeout(() => this.#finish(true), IDLE_MS * 2);
      return;
    }
    this.#finish(true);
  }

  #finish(withSuffix) {
    clearTimeout(this.idleTimer);
    const text = this.buffer.replace(/\n+$/, "");
    const times = this.times;
    this.reset();
    if (text.length < MIN_LENGTH) return;
    if (meanGap(times) <= SCANNER_GAP_MS && (withSuffix || text.length >= 6)) this.onScan(text);
    else this.onTyped(text);
  }
}

function meanGap(times) {
  if (times.length < 2) return Infinity;
  return (times[times.length - 1] - times[0]) / (times.length - 1);
}
