"""The tablet kiosk (PWA): its blueprint, static assets and service worker live here."""
