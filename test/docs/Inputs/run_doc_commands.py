#!/usr/bin/env python3
"""run_doc_commands.py DOC.md REPO: runs the ```sh blocks of DOC.md, in
order, as one bash script (set -euo pipefail) from REPO, skipping blocks
whose first line is `# (setup)` (building and fetching, which the test
suite has done; PATH already holds the tools). Prints each command as it
runs, its output, and finally "ran N commands"."""

import re
import subprocess
import sys

doc, repo = sys.argv[1], sys.argv[2]
blocks = re.findall(r"```sh\n(.*?)```", open(doc).read(), re.S)
script = ["set -euo pipefail", "set -x"]
commands = 0
for block in blocks:
    if block.startswith("# (setup)"):
        continue
    script.append(block)
    # Count commands: lines not continued from the previous one.
    prev = ""
    for line in block.splitlines():
        if line.strip() and not prev.rstrip().endswith("\\"):
            commands += 1
        prev = line
r = subprocess.run(["bash", "-c", "\n".join(script)], cwd=repo,
                   stderr=subprocess.STDOUT, stdout=subprocess.PIPE,
                   text=True)
sys.stdout.write(r.stdout)
if r.returncode != 0:
    print("FAIL: a command of %s exited with %d" % (doc, r.returncode))
    sys.exit(1)
print("ran %d commands" % commands)
