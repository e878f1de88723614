"""Instructions per request under callgrind, endpoint by endpoint: a figure a busy machine does not move.

    valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%p \\
        python -m bench.instructions DATABASE_URL --dumps /tmp/cg [--requests 10] [PATH ...]

Like `bench/cpu.py` (whose requests it sends, afresh), but counting instructions: two runs of
the same code on the same data give the same figure, so a cost that grows with the archive shows
as a difference between a 10k and a 100k corpus however loaded the machine is. Callgrind's counters
are zeroed after a warm-up and dumped after each endpoint's requests, by a three-line C helper
built here with gcc against valgrind's headers (valgrind/callgrind.h). Without PATHs: the entity
list, the most quoted entity and the sections list.
"""

import argparse
import asyncio
import ctypes
import os
import subprocess
import tempfile
from pathlib import Path

from app.config import Settings
from app.db import create_sync_engine
from app.main import create_app
from bench.corpus import most_quoted_speaker
from bench.cpu import cost

_HELPER = """
#include <valgrind/callgrind.h>
void zero(void) { CALLGRIND_ZERO_STATS; }
void dump(const char *label) { CALLGRIND_DUMP_STATS_AT(label); }
"""


def helper(folder: Path) -> ctypes.CDLL:
    (folder / "helper.c").write_text(_HELPER)
    subprocess.run(
        ["gcc", "-O1", "-shared", "-fPIC", "-o", str(folder / "helper.so"), str(folder / "helper.c")], check=True
    )
    return ctypes.CDLL(str(folder / "helper.so"))


def default_paths(database_url: str) -> list[str]:
    engine = create_sync_engine(database_url)
    with engine.connect() as conn:
        speaker = most_quoted_speaker(conn)
    engine.dispose()
    return ["/v1/entities", f"/v1/entities/{speaker}", "/v1/sections"]


def instructions(dump: Path) -> int:
    """The total of a callgrind dump (its `totals:` or `summary:` line)."""
    for line in dump.read_text().splitlines():
        if line.startswith(("totals:", "summary:")):
            return int(line.split()[1])
    raise ValueError(f"no totals in {dump}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("database_url")
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--dumps", required=True, help="valgrind's --callgrind-out-file, without its .%%p")
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args()
    unlimited = "1000000000/minute"
    settings = Settings(
        database_url=args.database_url, load_demo=False, rate_limit=unlimited, anonymous_rate_limit=unlimited
    )
    app = create_app(settings)
    headers = [(b"cache-control", b"no-cache")]
    pid = os.getpid()
    with tempfile.TemporaryDirectory() as folder:
        callgrind = helper(Path(folder))
        async with app.router.lifespan_context(app):
            print(f"{'endpoint':70} {'instructions':>14}  status")
            for n, path in enumerate(args.paths or default_paths(args.database_url), start=1):
                await cost(app, path, 3, headers)  # warm: statement caches, imports
                callgrind.zero()
                # `cost` sends one request more than it is asked for (its own warm-up): `requests` in all.
                _, status = await cost(app, path, args.requests - 1, headers)
                callgrind.dump(path.encode())
                total = instructions(Path(f"{args.dumps}.{pid}.{n}"))
                print(f"{path[:70]:70} {total / args.requests:14,.0f}  {status}")


if __name__ == "__main__":
    asyncio.run(main())
