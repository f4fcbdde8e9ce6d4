"""state.json: what the launcher started, so later commands can find it.

Written atomically (temp file + rename) because a reader may be another
polis-cluster invocation running at the same moment.
"""

import json
import os
from pathlib import Path


def load(path):
    path = Path(path)
    if not path.exists():
        return None
    return json.loads(path.read_text())


def save(path, state):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)
