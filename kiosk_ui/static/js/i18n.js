// The kiosk's own words in French and English. The visitor-facing consent text is not here:
// it comes from the event settings, in the visitor's language.
const STRINGS = {
  fr: {
    starting: "Démarrage…", online: "En ligne", offline: "Hors ligne", unreachable: "Serveur injoignable",
    waiting: "en attente", lastSync: "Dernier envoi", syncNow: "Envoyer", never: "jamais",
    pairTitle: "Associer cette tablette", pairHint: "Scannez le QR code affiché par la page « Tablettes » du salon, ou tapez le code.",
    pairButton: "Associer", pairCamera: "Scanner le QR code", pairing: "Association…",
    pairNeedsNetwork: "L'association demande le réseau : reconnectez la tablette.",
    revokedTitle: "Tablette révoquée", revokedHint: "Cette tablette a été révoquée : elle n'envoie plus rien. Les scans en attente restent ici ; associez-la de nouveau pour les envoyer.",
    pairAgain: "Associer de nouveau",
    whoScans: "Qui scanne ?", pinFor: "Code PIN de {name}", wrongPin: "Code PIN incorrect.",
    pinLocked: "Trop d'essais : attendez quelques minutes.", pinNeedsNetwork: "Première connexion de {name} sur cette tablette : il faut le réseau.",
    ready: "Prêt : scannez un badge", camera: "Caméra", cameraOff: "Arrêter la caméra", manual: "Saisie manuelle",
    cameraFailed: "Caméra indisponible : {error}",
    firstName: "Prénom", lastName: "Nom", company: "Société", email: "E-mail", badgeText: "Texte ou n° de badge",
    cancel: "Annuler", next: "Suivant", save: "Enregistrer", recent: "Scans récents de cette tablette",
    manualNeedsSomething: "Indiquez au moins un nom, un e-mail ou un n° de badge.",
    unknownVisitor: "Visiteur", notInRoster: "Badge n° {id} : nom inconnu, le serveur complétera.",
    metBefore: "Déjà rencontré par {by} le {date} à {time}", rating: "Potentiel", hot: "Chaud", warm: "Tiède", cold: "Froid",
    consentYes: "J'accepte", consentNo: "Je refuse", saved: "Enregistré : {name}", finishFirst: "Enregistrez ou annulez ce visiteur d'abord.",
    required: "Répondez à : {questions}",
    stateWaiting: "en attente", stateSent: "envoyé", stateRejected: "refusé", fix: "Corriger", discard: "Supprimer",
    updateReady: "Nouvelle version installée.",
  },
  en: {
    starting: "Starting…", online: "Online", offline: "Offline", unreachable: "Server unreachable",
    waiting: "waiting", lastSync: "Last sync", syncNow: "Send now", never: "never",
    pairTitle: "Pair this tablet", pairHint: "Scan the QR code shown on the event's “Tablets” page, or type the code.",
    pairButton: "Pair", pairCamera: "Scan the QR code", pairing: "Pairing…",
    pairNeedsNetwork: "Pairing needs the network: reconnect the tablet.",
    revokedTitle: "Tablet revoked", revokedHint: "This tablet was revoked: it no longer sends anything. Waiting scans stay here; pair it again to send them.",
    pairAgain: "Pair again",
    whoScans: "Who is scanning?", pinFor: "PIN of {name}", wrongPin: "Wrong PIN.",
    pinLocked: "Too many tries: wait a few minutes.", pinNeedsNetwork: "{name}'s first sign-in on this tablet needs the network.",
    ready: "Ready: scan a badge", camera: "Camera", cameraOff: "Stop camera", manual: "Type it in",
    cameraFailed: "Camera unavailable: {error}",
    firstName: "First name", lastName: "Last name", company: "Company", email: "E-mail", badgeText: "Badge text or number",
    cancel: "Cancel", next: "Next", save: "Save", recent: "Recent scans on this tablet",
    manualNeedsSomething: "Give at least a name, an e-mail or a badge number.",
    unknownVisitor: "Visitor", notInRoster: "Badge {id}: name unknown, the server will fill it in.",
    metBefore: "Already met by {by} on {date} at {time}", rating: "Lead rating", hot: "Hot", warm: "Warm", cold: "Cold",
    consentYes: "I agree", consentNo: "I decline", saved: "Saved: {name}", finishFirst: "Save or cancel this visitor first.",
    required: "Answer: {questions}",
    stateWaiting: "waiting", stateSent: "sent", stateRejected: "rejected", fix: "Fix", discard: "Delete",
    updateReady: "New version installed.",
  },
};

let current = localStorage.getItem("kiosk.lang") || (navigator.language || "fr").slice(0, 2);
if (!STRINGS[current]) current = "en";

export function lang() { return current; }

export function setLang(value) {
  current = STRINGS[value] ? value : "en";
  localStorage.setItem("kiosk.lang", current);
  document.documentElement.lang = current;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
}

export function t(key, params = {}, language = current) {
  const text = STRINGS[language]?.[key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => params[name] ?? "");
}

// A label {fr, en} from the event settings, in the given language.
export function label(value, language = current) {
  return value?.[language] ?? value?.en ?? value?.fr ?? "";
}
