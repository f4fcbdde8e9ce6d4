"""Starting, signalling and watching background processes.

Every process runs in its own session (so a Ctrl-C in the launcher's terminal
does not reach it and it outlives the launcher) with stdin from /dev/null and
stdout+stderr appended to a log file.

Liveness is read from /proc rather than os.kill(pid, 0): a zombie answers
kill(0) but is dead, and a pid recorded in state.json may since have been
reused by an unrelated process, so callers pass a `marker` that must appear
in the process's command line.
"""

import os
import signal
import subprocess
import time
from pathlib import Path

SIGNALS = {"TERM": signal.SIGTERM, "KILL": signal.SIGKILL, "INT": signal.SIGINT,
           "STOP": signal.SIGSTOP, "CONT": signal.SIGCONT}


def _block_stop_signals():
    # Runs in the child between fork and exec. A Polis node unblocks SIGTERM
    # and SIGINT once its handler is installed, so a stop sent in its first
    # milliseconds waits instead of killing it before main() could react.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})


def spawn(argv, log_path, env=None, block_stop_signals=False):
    """Starts argv in the background. `block_stop_signals` only for programs
    that unblock them themselves (Polis nodes); Redis and MariaDB do not."""
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        # Logs are appended across restarts; mark where this run begins.
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        log.write(f"--- polis-cluster {stamp}: starting {' '.join(map(str, argv))}\n".encode())
        log.flush()
        return subprocess.Popen([str(a) for a in argv], stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, env=env, start_new_session=True,
                                close_fds=True,
                                preexec_fn=_block_stop_signals if block_stop_signals else None)


def is_running(pid, marker=None):
    """True when `pid` is a live (non-zombie) process whose command line holds `marker`."""
    if not pid:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    # The state letter follows the command name, which may itself hold ')'.
    state = stat.rsplit(")", 1)[1].split()[0]
    if state in ("Z", "X"):
        return False
    return marker is None or marker.encode() in cmdline


def send(pid, sig, marker=None):
    """Sends `sig` if the process is still the one we started. Returns whether it was sent."""
    if not is_running(pid, marker):
        return False
    try:
        os.kill(pid, sig)
        return True
    except ProcessLookupError:
        return False


def wait_gone(pid, timeout, marker=None, popen=None):
    """Waits for the process to exit; reaps it when it is our child. True if it is gone."""
    deadline = time.monotonic() + timeout
    while True:
        if popen is not None and popen.poll() is not None:
            return True
        if popen is None and not is_running(pid, marker):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


def stop(pid, timeout, marker=None, popen=None):
    """SIGTERM, then SIGKILL after `timeout` seconds. Returns 'stopped', 'killed' or 'not running'."""
    if not send(pid, signal.SIGTERM, marker):
        if popen is not None:
            popen.poll()
        return "not running"
    if wait_gone(pid, timeout, marker, popen):
        return "stopped"
    send(pid, signal.SIGKILL, marker)
    wait_gone(pid, 5, marker, popen)
    return "killed"


def tail(path, lines=40):
    try:
        text = Path(path).read_text(errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])
