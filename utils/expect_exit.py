#!/usr/bin/env python3
"""expect_exit.py CODE COMMAND...: run COMMAND, pass its stdout and stderr
through, and succeed only if it exits with exactly CODE (lit's `not` accepts
any failure). Tests use it as `%expect_exit 1 tinyprune eval ...`."""

import subprocess
import sys

want = int(sys.argv[1])
proc = subprocess.run(sys.argv[2:])
if proc.returncode != want:
    sys.stderr.write("expect_exit: %s exited with %d, expected %d\n" %
                     (sys.argv[2], proc.returncode, want))
    sys.exit(1)
