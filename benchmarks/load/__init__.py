"""The parts of the USSD load benchmark (benchmarks/ussd_load.py, the command), one job a module.

- stub: the bare endpoint the gateway is compared with, run as a process of its own;
- processes: starting, waiting for and stopping the servers (also used by the other benchmarks);
- database: the database a run writes into, migrated and checked empty;
- connection: how one form POST is sent (raw HTTP/1.1 streams, or httpx to compare);
- client: the callers, what they send and how many at once, timed;
- stats: percentiles, throughput and CPU shares from what a phase measured.

Imports go one way, down this list's dependencies: client uses connection, stats and stub (for its
route and answer); processes uses tests/ops/processes.py, the test suite's process helpers, so
there is one copy of those; nothing here imports the command, and the test suite imports nothing
from benchmarks/.
"""
