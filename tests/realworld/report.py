"""Counts per category and the failing pairs / walk steps, for a corpus.

    python -m tests.realworld.report [--corpus fast|full] [--json FILE]

starts its own PostgreSQL server (the test layer's), builds pggit's head template, replays
the corpus and runs the oracle (the same as tests/realworld/test_realworld.py), then prints
the summary; exit status 0 when every pair is exact and both walks lost nothing.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from tests.realworld.corpus import versions
from tests.realworld.harness import Replay
from tests.realworld.oracle import DIFFERS, EXACT, FAILS, PairResult, Summary, normalise, pairs, pg_dump, run_pairs
from tests.realworld.walks import Walk, checkout_walk, revert_walk

# Far spans (i <-> i+k) per corpus: the fast slice has only 0 <-> last.
FAR_SPANS = {"fast": (), "full": (5, 20, 60)}
KINDS = ("adjacent-forward", "adjacent-backward", "far-forward", "far-backward")


@dataclass
class Outcome:
    corpus: str
    steps: int
    summary: Summary
    revert: Walk
    checkout: Walk
    seconds: float
    replay_diff: list[str]  # pg_dump -n public of the pggit database against the plain one's, at the end

    @property
    def ok(self) -> bool:
        return (not self.replay_diff and not self.summary.failing()
                and not self.revert.failed and not self.checkout.failed
                and len(self.revert.steps) == self.revert.planned and len(self.checkout.steps) == self.checkout.planned)


def checkout_targets(last: int) -> list[int]:
    """One step back at a time to 0, then forward to the end with one far jump back (last -> last // 2)."""
    return list(range(last - 1, -1, -1)) + [last, last // 2]


def run(replay: Replay) -> Outcome:
    started = time.monotonic()
    last = len(replay.steps) - 1
    # -n public prints the schema public itself (a plain dump of the whole database does not)
    live = [line for line in normalise(pg_dump(replay.conninfo(), "--schema=public"))
            if " SCHEMA public" not in line and not line.startswith("-- Name: public; Type: SCHEMA")]
    replay_diff = list(difflib.unified_diff(normalise(replay.dump_text(last)), live, lineterm=""))[:40]
    summary = run_pairs(replay, pairs(last, FAR_SPANS[replay.corpus]))
    revert = revert_walk(replay)
    checkout = checkout_walk(replay, checkout_targets(last))
    return Outcome(replay.corpus, last, summary, revert, checkout, time.monotonic() - started, replay_diff)


def cause(result: PairResult) -> str:
    """A short grouping key for a failing pair (the error without names and numbers)."""
    if result.status == DIFFERS:
        return "runs but differs"
    text = result.error.splitlines()[0] if result.error else ""
    text = re.sub(r'"[^"]*"', '"…"', text)
    text = re.sub(r"\b\d+\b", "N", text)
    return text[:140]


def format_outcome(outcome: Outcome) -> str:
    s = outcome.summary
    lines = [f"corpus {outcome.corpus}: {outcome.steps} migrations "
             f"({', '.join(f'{k} {v}' for k, v in versions(outcome.corpus).items())}); {outcome.seconds:.0f} s"]
    if outcome.replay_diff:
        lines.append("the pggit database's schema differs from the plain one's at the end of the replay:")
        lines.extend(f"  {line}" for line in outcome.replay_diff)
    lines.append(f"pairs: {len(s.results)} (" + ", ".join(
        f"{kind} {sum(1 for r in s.results if r.pair.kind == kind)}" for kind in KINDS) + ")")
    for status in (EXACT, DIFFERS, FAILS):
        lines.append(f"  {status:8} {s.count(status):4}  (" + ", ".join(
            f"{kind} {s.count(status, kind)}" for kind in KINDS) + ")")
    lines.append(f"  pairs with lossy (commented) steps to review: {s.lossy_pairs}")
    causes = Counter(cause(r) for r in s.failing())
    if causes:
        lines.append("failing pairs by cause:")
        for text, number in causes.most_common():
            lines.append(f"  {number:4}  {text}")
    for walk in (outcome.revert, outcome.checkout):
        seeded = sum(1 for v in walk.seeded.rows.values() if v)
        blocked = sum(1 for st in walk.failed if st.blocked)
        lines.append(f"{walk.kind} walk: {len(walk.steps)} of {walk.planned} steps run, {len(walk.failed)} failed"
                     f" ({blocked} of them blocked by an earlier failure), "
                     f"{sum(1 for st in walk.steps if st.forced)} forced (lossy); seeded {seeded} of "
                     f"{len(walk.seeded.rows)} tables")
        for table, error in sorted(walk.seeded.errors.items()):
            lines.append(f"  seeding {table}: {error}")
        for st in walk.steps:
            if st.person:
                lines.append(f"  to step {st.target}: a person filled NULLs first (the column becomes NOT NULL): "
                             + "; ".join(st.person))
        for st in walk.failed:
            if st.blocked:
                continue
            lines.append(f"  to step {st.target} ({st.action}): {st.error or '; '.join(st.lost)}")
    if s.failing():
        lines.append("failing pairs:")
        for r in s.failing():
            lines.append(f"- {r.pair.kind} {r.pair.a} -> {r.pair.b} [{r.migrations}]: {r.status}")
            if r.failing_step:
                lines.append(f"    {r.failing_step[:400]}")
            for line in r.error.splitlines()[:12]:
                lines.append(f"    {line[:300]}")
    return "\n".join(lines)


def to_json(outcome: Outcome) -> dict[str, object]:
    return {
        "corpus": outcome.corpus,
        "steps": outcome.steps,
        "pairs": [asdict(r) for r in outcome.summary.results],
        "walks": [asdict(w) for w in (outcome.revert, outcome.checkout)],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", choices=("fast", "full"), default="fast")
    parser.add_argument("--json", type=Path, help="write every pair's and walk step's result here")
    args = parser.parse_args(argv)

    from pggit_sql import levels
    from pggit_sql.testing.server import PggitServer
    from pggit_sql.testing.templates import TemplateChain
    from tests.realworld.harness import prepare

    server = PggitServer()
    server.start()
    try:
        folder = levels.default_migrations_dir()
        head = levels.head(levels.discover(folder))
        chain = TemplateChain(server.conninfo, folder, head)
        with tempfile.TemporaryDirectory(prefix="pggit-realworld-") as work:
            outcome = run(prepare(server, chain, head, args.corpus, Path(work)))
    finally:
        server.stop()
    print(format_outcome(outcome))
    if args.json:
        args.json.write_text(json.dumps(to_json(outcome), indent=1), "utf-8")
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
