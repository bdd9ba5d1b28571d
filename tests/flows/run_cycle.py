"""Run the cycle flow once in its own process (the kill test starts and kills this).

Usage: python -m tests.flows.run_cycle ROUND DROP_FOLDER
Settings come from the environment (PVPP_*, PREFECT_HOME).
"""

from __future__ import annotations

import sys
from datetime import date

from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

from flows.cycle import cycle

if __name__ == "__main__":
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        cycle(sys.argv[1], sys.argv[2], date(2026, 4, 1))
