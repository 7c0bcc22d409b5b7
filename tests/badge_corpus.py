"""Badge payloads as real shows produce them, each with the contact it must give.

Written by hand for these tests (no real person's data). Used by
tests/test_badges.py and by bench/badges.py, which times the same corpus.
Every case is parsed with CORPUS_SETTINGS at an event in France (CORPUS_COUNTRY).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from leadcapture.event_settings import load_settings

CORPUS_COUNTRY = "FR"
CORPUS_SETTINGS = load_settings({"badge": {
    "formats": ["vcard", "mecard", "bizcard", "json", "url", "email", "id"],
    "delimited": {"preset": "ref-first-last-caret"},
    "url_patterns": [r"/a/(?P<id>[A-Z]{2}-\d+)/"],
}})


@dataclass
class Case:
    id: str
    payload: str
    format: str
    contact: dict
    registration_id: str | None = None
    needs_lookup: bool = False
    warnings: list[str] = field(default_factory=list)  # a fragment of each expected warning, in order


CORPUS = [
    # --- vCard 3.0 ---------------------------------------------------------------------------------
    Case("vcard30-folding-escapes-groups-bom",
         "\ufeffBEGIN:VCARD\r\nVERSION:3.0\r\nN:van der Berg;Anouk\r\nORG:Studio\\, Design;Paris\r\n"
         "TITLE:Head of\r\n  Marketing\r\nitem1.EMAIL;TYPE=INTERNET:Anouk@Studio.example\r\n"
         "TEL;TYPE=WORK:+33 1 23 45 67 89\r\nUID:REG-77\r\nEND:VCARD\r\n",
         "vcard", {"first_name": "Anouk", "last_name": "van der Berg", "company": "Studio, Design",
                   "job_title": "Head of Marketing", "email": "anouk@studio.example", "phone": "+33123456789"},
         registration_id="REG-77"),
    Case("vcard30-french-address-country-name",
         "BEGIN:VCARD\nVERSION:3.0\nN:Lefèvre;Chloé;;;\nFN:Chloé Lefèvre\nORG:Boulangeries Réunies\n"
         "TITLE:Responsable événementiel\nEMAIL:chloe.lefevre@boulangeries.example\nTEL;TYPE=CELL:06 12 34 56 78\n"
         "ADR;TYPE=WORK:;;12 rue de la Paix;Paris;;75002;France\nEND:VCARD",
         "vcard", {"first_name": "Chloé", "last_name": "Lefèvre", "company": "Boulangeries Réunies",
                   "job_title": "Responsable événementiel", "email": "chloe.lefevre@boulangeries.example",
                   "phone": "+33612345678", "city": "Paris", "country": "FR"}),
    Case("vcard30-type-pref-and-fax-avoided",
         "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Martin;Louis\r\nEMAIL;TYPE=INTERNET,HOME:louis@home.example\r\n"
         "EMAIL;TYPE=INTERNET,pref:louis.martin@acme.example\r\nTEL;TYPE=FAX:01 40 00 00 01\r\n"
         "TEL;TYPE=WORK:01 40 00 00 02\r\nEND:VCARD\r\n",
         "vcard", {"first_name": "Louis", "last_name": "Martin", "email": "louis.martin@acme.example",
                   "phone": "+33140000002"}),
    Case("vcard30-several-emails-first-wins",
         "BEGIN:VCARD\nVERSION:3.0\nN:Girard;Manon\nEMAIL:manon@girard.example\nEMAIL:m.girard@other.example\n"
         "END:VCARD",
         "vcard", {"first_name": "Manon", "last_name": "Girard", "email": "manon@girard.example"}),
    Case("vcard30-org-with-units",
         "BEGIN:VCARD\nVERSION:3.0\nN:Chevalier;Hugo\nORG:Acme Industrie;R&D;Laboratoire de Lyon\n"
         "EMAIL:hugo.chevalier@acme.example\nEND:VCARD",
         "vcard", {"first_name": "Hugo", "last_name": "Chevalier", "company": "Acme Industrie",
                   "email": "hugo.chevalier@acme.example"}),
    Case("vcard30-fn-without-n-particles",
         "BEGIN:VCARD\nVERSION:3.0\nFN:Anouk van der Berg\nEMAIL:anouk@studio.example\nEND:VCARD",
         "vcard", {"first_name": "Anouk", "last_name": "van der Berg", "email": "anouk@studio.example"},
         warnings=["only a full name"]),
    Case("vcard30-missing-end-crlf",
         "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Fontaine;Inès\r\nEMAIL:ines.fontaine@example.fr\r\n",
         "vcard", {"first_name": "Inès", "last_name": "Fontaine", "email": "ines.fontaine@example.fr"},
         warnings=["no END:VCARD"]),
    Case("vcard30-tab-folding-and-escaped-backslash",
         "BEGIN:VCARD\nVERSION:3.0\nN:Smith;Oliver\nORG:Smith \\\\ Sons\nTITLE:Directeur comm\n\terciale\n"
         "NOTE:Rencontré au salon\\nallée B\nEMAIL:oliver@smith-sons.example\nEND:VCARD",
         "vcard", {"first_name": "Oliver", "last_name": "Smith", "company": "Smith \\ Sons",
                   "job_title": "Directeur commerciale", "email": "oliver@smith-sons.example"}),
    Case("vcard30-irish-name-and-foreign-phone",
         "BEGIN:VCARD\nVERSION:3.0\nN:O'Brien;Siobhán\nORG:Éire Data Ltd\nEMAIL:siobhan.obrien@eiredata.example\n"
         "TEL:+353 1 234 5678\nADR:;;;Dublin;;;Irlande\nEND:VCARD",
         "vcard", {"first_name": "Siobhán", "last_name": "O'Brien", "company": "Éire Data Ltd",
                   "email": "siobhan.obrien@eiredata.example", "phone": "+35312345678", "city": "Dublin",
                   "country": "IE"}),
    Case("vcard30-mixed-case-names-left-alone",
         "BEGIN:VCARD\nVERSION:3.0\nN:McDonald;Ronan\nORG:MacLeod & Partners\nEMAIL:ronan@macleod.example\n"
         "END:VCARD",
         "vcard", {"first_name": "Ronan", "last_name": "McDonald", "company": "MacLeod & Partners",
                   "email": "ronan@macleod.example"}),
    Case("vcard30-registration-id-over-phone-uid",
         "BEGIN:VCARD\nVERSION:3.0\nN:Moreau;Léa\nEMAIL:lea.moreau@example.fr\n"
         "UID:urn:uuid:0f9a2c1e-5b6d-4e7f-8a9b-0c1d2e3f4a5b\nX-REGISTRATION-ID:SB-000123\nEND:VCARD",
         "vcard", {"first_name": "Léa", "last_name": "Moreau", "email": "lea.moreau@example.fr"},
         registration_id="SB-000123"),
    Case("vcard30-invalid-email-dropped-name-kept",
         "BEGIN:VCARD\nVERSION:3.0\nN:Laurent;Mathis\nEMAIL:mathis.laurent(at)example.fr\nEND:VCARD",
         "vcard", {"first_name": "Mathis", "last_name": "Laurent"}, warnings=["e-mail"]),
    Case("vcard30-unknown-country-and-unreadable-phone",
         "BEGIN:VCARD\nVERSION:3.0\nN:Simon;Amélie\nEMAIL:amelie@example.fr\nTEL:poste 12\n"
         "ADR:;;;Ys;;;Atlantis\nEND:VCARD",
         "vcard", {"first_name": "Amélie", "last_name": "Simon", "email": "amelie@example.fr", "phone": "poste 12",
                   "city": "Ys"}, warnings=["phone 'poste 12' kept as written", "country 'Atlantis' ignored"]),
    # --- vCard 2.1 ---------------------------------------------------------------------------------
    Case("vcard21-qp-charset-then-encoding-german",
         "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=BCrgen\r\n"
         "TEL;WORK;VOICE:+49 30 1234567\r\nTEL;CELL;PREF:+49 170 1234567\r\n"
         "ADR;WORK;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:;;Hauptstra=C3=9Fe 1;Berlin;;10115;Deutschland\r\n"
         "END:VCARD\r\n",
         "vcard", {"first_name": "Jürgen", "last_name": "Müller", "phone": "+491701234567", "city": "Berlin",
                   "country": "DE"}),
    Case("vcard21-qp-encoding-then-charset-latin1-and-cp1252",
         "BEGIN:VCARD\r\nVERSION:2.1\r\nN;ENCODING=QUOTED-PRINTABLE;CHARSET=ISO-8859-1:Lef=E8vre;Chlo=E9\r\n"
         "ORG;ENCODING=QUOTED-PRINTABLE;CHARSET=windows-1252:Caf=E9 =80 Co\r\n"
         "EMAIL;INTERNET:chloe@cafe.example\r\nEND:VCARD\r\n",
         "vcard", {"first_name": "Chloé", "last_name": "Lefèvre", "company": "Café € Co",
                   "email": "chloe@cafe.example"}),
    Case("vcard21-qp-soft-line-break",
         "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Bernard;Camille\r\n"
         "ORG;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Soci=C3=A9t=C3=A9 G=C3=A9n=C3=A9rale d'=\r\nOutillage\r\n"
         "EMAIL;PREF;INTERNET:camille.bernard@sgo.example\r\nEND:VCARD\r\n",
         "vcard", {"first_name": "Camille", "last_name": "Bernard", "company": "Société Générale d'Outillage",
                   "email": "camille.bernard@sgo.example"}),
    Case("vcard21-qp-undeclared-charset-utf8-irish",
         "BEGIN:VCARD\r\nVERSION:2.1\r\nN;ENCODING=QUOTED-PRINTABLE:=C3=93 Briain;Se=C3=A1n\r\n"
         "EMAIL:sean.obriain@example.ie\r\nEND:VCARD\r\n",
         "vcard", {"first_name": "Seán", "last_name": "Ó Briain", "email": "sean.obriain@example.ie"},
         warnings=["declares no CHARSET; read as UTF-8"]),
    Case("vcard21-qp-undeclared-charset-cp1252-spanish",
         "BEGIN:VCARD\r\nVERSION:2.1\r\nN;QUOTED-PRINTABLE:Nu=F1ez Garc=EDa;Jos=E9 Mar=EDa\r\n"
         "EMAIL:jm.nunez@example.es\r\nEND:VCARD\r\n",
         "vcard", {"first_name": "José María", "last_name": "Nuñez García", "email": "jm.nunez@example.es"},
         warnings=["declares no CHARSET; read as Windows-1252"]),
    Case("vcard21-bare-params-pref-email",
         "BEGIN:VCARD\nVERSION:2.1\nN:Dubois;Thomas\nEMAIL;INTERNET:thomas@home.example\n"
         "EMAIL;INTERNET;PREF:thomas.dubois@technobat.example\nTEL;WORK;VOICE:01 23 45 67 89\nEND:VCARD",
         "vcard", {"first_name": "Thomas", "last_name": "Dubois", "email": "thomas.dubois@technobat.example",
                   "phone": "+33123456789"}),
    Case("vcard21-rfc822-folding-keeps-space",
         "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Rousseau;Étienne\r\nTITLE:Responsable\r\n achats\r\n"
         "EMAIL:etienne@vins.example\r\nEND:VCARD\r\n",
         "vcard", {"first_name": "Étienne", "last_name": "Rousseau", "job_title": "Responsable achats",
                   "email": "etienne@vins.example"}),
    # --- vCard 4.0 ---------------------------------------------------------------------------------
    Case("vcard40-pref-numbers-czech",
         "BEGIN:VCARD\nVERSION:4.0\nN:Dvořák;Antonín;;;\nFN:Antonín Dvořák\nORG:Škoda Auto;Nákup\n"
         "EMAIL;PREF=2:antonin@home.example\nEMAIL;PREF=1:antonin.dvorak@skoda.example\n"
         "TEL;VALUE=uri;TYPE=\"voice,work\";PREF=1:tel:+420-212-345-678\nADR:;;;Praha;;;Czech Republic\nEND:VCARD",
         "vcard", {"first_name": "Antonín", "last_name": "Dvořák", "company": "Škoda Auto",
                   "email": "antonin.dvorak@skoda.example", "phone": "+420212345678", "city": "Praha",
                   "country": "CZ"}),
    Case("vcard40-lowercase-chinese",
         "begin:vcard\nversion:4.0\nn:张;伟;;;\nfn:张伟\norg:上海贸易有限公司\nemail:zhang.wei@example.cn\n"
         "tel;type=cell:+86 139 1234 5678\nend:vcard",
         "vcard", {"first_name": "伟", "last_name": "张", "company": "上海贸易有限公司",
                   "email": "zhang.wei@example.cn", "phone": "+8613912345678"}),
    # --- MECARD ------------------------------------------------------------------------------------
    Case("mecard-standard-escapes-uid",
         r"MECARD:N:Curie,Marie;ORG:Institut\; Radium;EMAIL:marie@example.fr;TEL:01 02 03 04 05;UID:A1;;",
         "mecard", {"first_name": "Marie", "last_name": "Curie", "company": "Institut; Radium",
                    "email": "marie@example.fr", "phone": "+33102030405"}, registration_id="A1"),
    Case("mecard-full-name-without-comma",
         "MECARD:N:Ana Sofía García;EMAIL:ana@gamma.example;;",
         "mecard", {"first_name": "Ana Sofía", "last_name": "García", "email": "ana@gamma.example"},
         warnings=["only a full name"]),
    Case("mecard-conf-title-single-semicolon",
         "MECARD:N:Müller,Jürgen;TITLE:Einkaufsleiter;ORG:Bosch GmbH;CONF:SB-2026-0042;",
         "mecard", {"first_name": "Jürgen", "last_name": "Müller", "job_title": "Einkaufsleiter",
                    "company": "Bosch GmbH"}, registration_id="SB-2026-0042"),
    Case("mecard-address-url-note-repeated-keys",
         r"MECARD:N:Ng,Wei Ling;ORG:Dupont\, Fils & Cie;TEL:+65 6123 4567;TEL:+65 9123 4567;"
         r"EMAIL:weiling@dupont.example;EMAIL:wl@home.example;URL:https\://dupont.example;NOTE:stand B12;"
         "ADR:,,1 Raffles Place,Singapore,,048616,Singapore;;",
         "mecard", {"first_name": "Wei Ling", "last_name": "Ng", "company": "Dupont, Fils & Cie",
                    "phone": "+6561234567", "email": "weiling@dupont.example", "city": "Singapore",
                    "country": "SG"}),
    # --- BIZCARD -----------------------------------------------------------------------------------
    Case("bizcard-standard",
         "BIZCARD:N:Sean;X:Owen;T:Software Engineer;C:Google;A:76 9th Avenue, New York, NY 10011;"
         "B:+12125551212;E:srowen@google.com;;",
         "bizcard", {"first_name": "Sean", "last_name": "Owen", "job_title": "Software Engineer",
                     "company": "Google", "phone": "+12125551212", "email": "srowen@google.com"}),
    Case("bizcard-mobile-only-french",
         "BIZCARD:N:Zoé;X:Blanc;C:TechnoBat;M:06 11 22 33 44;E:Zoe.Blanc@TechnoBat.example;;",
         "bizcard", {"first_name": "Zoé", "last_name": "Blanc", "company": "TechnoBat", "phone": "+33611223344",
                     "email": "zoe.blanc@technobat.example"}),
    # --- delimited ---------------------------------------------------------------------------------
    Case("delimited-caret-preset",
         "12345^Jean^Dupont^Jean.Dupont@Acme.fr^Directeur^Acme SA^Lyon^ARA^69002^04 72 00 00 00",
         "delimited", {"first_name": "Jean", "last_name": "Dupont", "email": "jean.dupont@acme.fr",
                       "job_title": "Directeur", "company": "Acme SA", "city": "Lyon", "phone": "+33472000000"},
         registration_id="12345"),
    Case("delimited-caret-short-record",
         "12346^Ana^García^ana@gamma.example^CEO^Gamma SL",
         "delimited", {"first_name": "Ana", "last_name": "García", "email": "ana@gamma.example",
                       "job_title": "CEO", "company": "Gamma SL"},
         registration_id="12346", warnings=["6 fields but the event's field map names 10"]),
    Case("delimited-caret-id-only",
         "12347^^^^^^^^^",
         "delimited", {}, registration_id="12347", needs_lookup=True),
    # --- JSON --------------------------------------------------------------------------------------
    Case("json-english-camel-case",
         '{"firstName": "Emma", "lastName": "Smith", "email": "Emma.Smith@Example.co.uk", '
         '"company": "Nordic Logistics", "jobTitle": "VP Sales", "phone": "+44 20 7946 0000", '
         '"country": "United Kingdom", "ticket": "TK-99812"}',
         "json", {"first_name": "Emma", "last_name": "Smith", "email": "emma.smith@example.co.uk",
                  "company": "Nordic Logistics", "job_title": "VP Sales", "phone": "+442079460000", "country": "GB"},
         registration_id="TK-99812"),
    Case("json-french-keys",
         '{"Prénom": "Étienne", "Nom": "Rousseau", "Courriel": "etienne@vins-du-sud.example", '
         '"Société": "Vins du Sud", "Fonction": "Acheteur", "Téléphone": "04 67 00 00 00", '
         '"Ville": "Montpellier", "Pays": "Allemagne", "Numéro": "SD00042"}',
         "json", {"first_name": "Étienne", "last_name": "Rousseau", "email": "etienne@vins-du-sud.example",
                  "company": "Vins du Sud", "job_title": "Acheteur", "phone": "+33467000000", "city": "Montpellier",
                  "country": "DE"}, registration_id="SD00042"),
    Case("json-nested-attendee",
         '{"event": "salon-2026", "attendee": {"name": {"first": "Lukas", "last": "Müller"}, '
         '"company": {"name": "Helvetia Pharma", "id": 77}, "emails": ["lukas@helvetia.example"], '
         '"address": {"city": "Genève", "country": "Suisse"}}, "ref": "HP-311"}',
         "json", {"first_name": "Lukas", "last_name": "Müller", "company": "Helvetia Pharma",
                  "email": "lukas@helvetia.example", "city": "Genève", "country": "CH"}, registration_id="HP-311"),
    Case("json-id-only-number",
         '{"id": 48213}',
         "json", {}, registration_id="48213", needs_lookup=True),
    Case("json-full-name-irish",
         '{"name": "Seán Ó Briain", "email": "sean@example.ie"}',
         "json", {"first_name": "Seán", "last_name": "Ó Briain", "email": "sean@example.ie"},
         warnings=["only a full name"]),
    # --- URL ---------------------------------------------------------------------------------------
    Case("url-id-query-parameter",
         "https://tickets.example.com/checkin?event=salon&id=SB000777",
         "url", {}, registration_id="SB000777", needs_lookup=True),
    Case("url-last-path-segment-ticket-secret",
         "https://reg.example.org/badge/2026/7f3kq9xv2m/",
         "url", {}, registration_id="7f3kq9xv2m", needs_lookup=True),
    Case("url-event-pattern",
         "https://expo.example/a/ZX-4411/scan?lang=fr",
         "url", {}, registration_id="ZX-4411", needs_lookup=True),
    Case("url-ref-parameter-encoded",
         "HTTP://EXAMPLE.COM/v?REF=AB%2F123",
         "url", {}, registration_id="AB/123", needs_lookup=True),
    # --- bare ids and e-mails ----------------------------------------------------------------------
    Case("id-registration-number", "SD00042", "id", {}, registration_id="SD00042", needs_lookup=True),
    Case("id-ticket-secret", "h2xqrm8e6e4m9vru2hajp5kd3hb4zuf5", "id", {},
         registration_id="h2xqrm8e6e4m9vru2hajp5kd3hb4zuf5", needs_lookup=True),
    Case("id-prefixed", "SB-2026-000123", "id", {}, registration_id="SB-2026-000123", needs_lookup=True),
    Case("email-only", "  Visitor@Example.COM\n", "email", {"email": "visitor@example.com"}, needs_lookup=True),
    Case("email-mailto-czech", "mailto:Jana.Novakova@firma.example?subject=Veletrh", "email",
         {"email": "jana.novakova@firma.example"}, needs_lookup=True),
]
