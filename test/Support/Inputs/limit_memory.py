#!/usr/bin/env python3
"""Runs a command with its address space limited, and exits with its exit
code (a signal as 128 + its number).

    limit_memory.py MIB COMMAND [ARGS...]
"""

import resource
import subprocess
import sys

limit = int(sys.argv[1]) << 20


def set_limit():
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


code = subprocess.call(sys.argv[2:], preexec_fn=set_limit)
sys.exit(code if code >= 0 else 128 - code)
