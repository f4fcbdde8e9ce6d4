"""Where things are: the repo, the built binaries, the system tools."""

import os
import shutil
from pathlib import Path

from .errors import ClusterError

# tools/cluster/polis_cluster/paths.py -> the repository root.
REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_TOPOLOGY = REPO_ROOT / "deploy" / "local" / "dev.yaml"


def build_dir(explicit=None):
    """The CMake build tree: an explicit path, else $POLIS_BUILD_DIR, else <repo>/build."""
    return Path(explicit or os.environ.get("POLIS_BUILD_DIR") or REPO_ROOT / "build").resolve()


def role_binary(build, role):
    path = Path(build) / "src" / role / f"polis-{role}"
    if not os.access(path, os.X_OK):
        raise ClusterError(f"no binary for role '{role}' at {path} (build it, or set POLIS_BUILD_DIR)")
    return path


def system_tool(name):
    """A tool from the system's packages; mariadbd lives in /usr/sbin, often off PATH."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin:/sbin")
    if not found:
        raise ClusterError(f"'{name}' is not installed (see tools/install-deps.sh)")
    return found
