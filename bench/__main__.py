"""``make bench``: run every benchmark on a throw-away server and print the ratio table."""

from __future__ import annotations

import platform
import sys
from datetime import UTC, datetime

from bench import level1
from bench.harness import SERVER_SETTINGS, bench_server, format_table


def main() -> int:
    with bench_server() as cluster:
        results = level1.run(cluster)
    table = format_table(results)
    print(f"pggit benchmarks, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, "
          f"medians of {level1.RUNS} runs; server: {SERVER_SETTINGS}")
    print(table)
    return 0 if all(r.ok is not False for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
