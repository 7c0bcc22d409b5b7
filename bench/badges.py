"""Benchmark badge parsing on one core: parse_badge on the test corpus, beside vobject alone.

    .venv/bin/python bench/badges.py             # needs the test extra (vobject): make test installs it
    .venv/bin/python bench/badges.py --help      # timing options, JSON output

Rows, all measured in the same run, in one thread (so on one core at a time):
(a) parse_badge on the whole mixed corpus of tests/badge_corpus.py (every
    format, with normalisation: e-mail validation, E.164 phones, ISO countries);
(b) parse_badge on the corpus's vCards that vobject can read;
(c) vobject.readOne on those same vCards (parsing only, no normalisation).
The ratio column is each row's rate over (c). Each rate is the best of
several rounds, to keep other processes' noise out. No cache is involved:
parse_badge keeps nothing between payloads, so repeating the corpus is fair.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import vobject

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from badge_corpus import CORPUS, CORPUS_COUNTRY, CORPUS_SETTINGS  # noqa: E402

from leadcapture.badges import parse_badge  # noqa: E402

GOAL = 10_000  # mixed payloads per second on one core


def rate(parse, payloads: list[str], rounds: int, seconds: float) -> float:
    """Best payloads/s over `rounds` rounds of at least `seconds` each."""
    best = 0.0
    for _ in range(rounds):
        done, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds:
            for payload in payloads:
                parse(payload)
            done += len(payloads)
        best = max(best, done / elapsed)
    return best


def vobject_readable(payloads: list[str]) -> list[str]:
    """The vCards vobject accepts; the others (no END:VCARD, ...) cannot be compared."""
    readable = []
    for payload in payloads:
        try:
            vobject.readOne(payload)
        except Exception:  # vobject raises ParseError and assorted others on what it refuses
            continue
        readable.append(payload)
    return readable


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds per row; the best is kept (default 5)")
    parser.add_argument("--seconds", type=float, default=0.5, help="minimum length of a round (default 0.5)")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args()

    mixed = [case.payload for case in CORPUS]
    vcards = [case.payload for case in CORPUS if case.format == "vcard"]
    comparable = vobject_readable(vcards)

    def ours(payload: str):
        return parse_badge(payload, CORPUS_SETTINGS, CORPUS_COUNTRY)

    rows = [
        ("parse_badge, mixed corpus", len(mixed), rate(ours, mixed, args.rounds, args.seconds)),
        ("parse_badge, vCards vobject reads", len(comparable), rate(ours, comparable, args.rounds, args.seconds)),
        ("vobject.readOne, same vCards", len(comparable),
         rate(vobject.readOne, comparable, args.rounds, args.seconds)),
    ]
    baseline = rows[-1][2]
    print(f"badge parsing, one core ({platform.python_implementation()} {platform.python_version()}, "
          f"{platform.machine()}); vobject reads {len(comparable)} of the corpus's {len(vcards)} vCards")
    print(f"{'what':38} {'payloads':>8} {'per second':>11} {'vs vobject':>10}")
    for name, count, per_second in rows:
        print(f"{name:38} {count:8d} {per_second:11,.0f} {per_second / baseline:9.2f}x")
    verdict = "met" if rows[0][2] >= GOAL else "NOT met"
    print(f"goal: {GOAL:,} mixed payloads/s on one core: {verdict}")
    if args.json:
        args.json.write_text(json.dumps({"rows": [{"what": n, "payloads": c, "per_second": round(r)}
                                                  for n, c, r in rows], "goal": GOAL}, indent=2))


if __name__ == "__main__":
    main()
