"""polis-cluster: the command line over Cluster."""

import argparse
import signal
import subprocess
import sys
import time

from . import processes, topology
from .cluster import Cluster
from .errors import ClusterError
from .paths import DEFAULT_TOPOLOGY

EXIT_NOT_UP = 3


def main(argv=None):
    # Die quietly when piped into `head`, like any other command-line tool.
    # (Children are unaffected: Popen restores default signal dispositions.)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    args = _parser().parse_args(argv)
    try:
        cluster = Cluster(topology.load(args.topology), data_dir=args.data, build_dir=args.build)
        return args.run(cluster, args)
    except ClusterError as e:
        print(f"polis-cluster: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def cmd_up(cluster, args):
    name = cluster.topology.name
    print(f"starting cluster '{name}' in {cluster.data_dir}", flush=True)
    try:
        started = cluster.up(timeout=args.timeout)
    except ClusterError as e:
        print(f"polis-cluster: {e}\n(`polis-cluster down` stops what did start)", file=sys.stderr)
        return 1
    if not started:
        print(f"cluster '{name}' is already up")
    _print_status(cluster)
    return 0


def cmd_down(cluster, args):
    if not cluster.state:
        print(f"cluster '{cluster.topology.name}' is not up")
        return 0
    for name, outcome in cluster.down(timeout=args.timeout).items():
        print(f"{name:<16} {outcome}")
    return 0


def cmd_status(cluster, args):
    if not cluster.state:
        print(f"cluster '{cluster.topology.name}' is not up ({cluster.state_path} not found)")
        return EXIT_NOT_UP
    rows = _print_status(cluster)
    return 0 if all(r["running"] for r in rows) else 1


def cmd_kill(cluster, args):
    sent = cluster.kill(args.name, args.signal)
    print(f"{args.name}: {'sent SIG' + args.signal.upper() if sent else 'not running'}")
    return 0


def cmd_start(cluster, args):
    started = cluster.start(args.name, timeout=args.timeout)
    if not started:
        print(f"{args.name}: already running")
        return 0
    if cluster.entry(args.name).get("role") == "center":
        missing = cluster.registry_missing(args.name)
        if missing:
            print(f"{args.name}: started and ready, but these nodes have not registered with it yet: "
                  f"{', '.join(missing)}")
            return 1
        print(f"{args.name}: started and ready; every running node has registered with it")
        return 0
    print(f"{args.name}: started and ready")
    return 0


def cmd_restart(cluster, args):
    cluster.restart(args.name, timeout=args.timeout)
    print(f"{args.name}: restarted and ready")
    return 0


def cmd_logs(cluster, args):
    path = cluster.log_path(args.name)
    print(processes.tail(path, args.lines), flush=True)
    if args.follow:
        _follow(path)
    return 0


def cmd_ctl(cluster, args):
    argv, env = cluster.ctl_command(args.rest)
    return subprocess.call(argv, env=env)


def _follow(path):
    with open(path, errors="replace") as f:
        f.seek(0, 2)
        while True:
            line = f.readline()
            if line:
                print(line, end="", flush=True)
            else:
                time.sleep(0.2)


def _print_status(cluster):
    rows = cluster.status()
    print(f"{'NAME':<16} {'ROLE':<8} {'PID':>7} {'ALIVE':<5} {'PORTS':<22} {'STATE':<16} HEARTBEAT")
    for r in rows:
        beat = "-" if r["heartbeat_ms_ago"] is None else f"{r['heartbeat_ms_ago']} ms ago"
        print(f"{r['name']:<16} {r['kind']:<8} {r['pid'] or '-':>7} {'yes' if r['running'] else 'NO':<5} "
              f"{r['ports']:<22} {r['state']:<16} {beat}")
    return rows


def _add_common(parser, defaults):
    """-t/--data/--build on `parser`. The main parser holds the real defaults;
    each subcommand adds its own copies with SUPPRESS, so an option given
    before the subcommand is not overwritten by the subcommand's default.
    (argparse's `parents=` would share one action object between them, and
    set_defaults on one would change the other's default too.)"""
    def default(value):
        return value if defaults else argparse.SUPPRESS
    parser.add_argument("-t", "--topology", default=default(str(DEFAULT_TOPOLOGY)),
                        help=f"topology YAML (default {DEFAULT_TOPOLOGY})")
    parser.add_argument("--data", default=default(None),
                        help="data folder (default: the topology's, .polis/<name>/)")
    parser.add_argument("--build", default=default(None),
                        help="CMake build folder with the binaries (default $POLIS_BUILD_DIR or build/)")


def _parser():
    p = argparse.ArgumentParser(prog="polis-cluster",
                                description="Run a local Polis cluster (Redis, MariaDB and every role) "
                                            "as ordinary processes on 127.0.0.1.")
    _add_common(p, defaults=True)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, fn, help_text, timeout=None):
        s = sub.add_parser(name, help=help_text, description=help_text)
        _add_common(s, defaults=False)
        s.set_defaults(run=fn)
        if timeout is not None:
            s.add_argument("--timeout", type=float, default=timeout, help=f"seconds (default {timeout:g})")
        return s

    command("up", cmd_up, "start everything not running and wait until all are ready", 60.0)
    command("down", cmd_down, "stop every node (they drain), then Redis and MariaDB")
    sub.choices["down"].add_argument("--timeout", type=float, default=None,
                                     help="seconds before SIGKILL (default: per process)")
    command("status", cmd_status, "list processes, liveness and the center's view")
    s = command("kill", cmd_kill, "send a signal to one process without waiting")
    s.add_argument("name")
    s.add_argument("--signal", default="KILL", type=str.upper, choices=sorted(processes.SIGNALS))
    command("start", cmd_start, "start one stopped process and wait until it is ready", 30.0).add_argument("name")
    command("restart", cmd_restart, "stop one process (SIGTERM) and start it again", 30.0).add_argument("name")
    s = command("ctl", cmd_ctl, "run polis-ctl against this cluster (its center, its secret): "
                                "members, commands, run, reload, drain")
    s.add_argument("rest", nargs=argparse.REMAINDER, help="polis-ctl's arguments")
    s = command("logs", cmd_logs, "print the end of one process's log")
    s.add_argument("name")
    s.add_argument("-n", "--lines", type=int, default=50)
    s.add_argument("-f", "--follow", action="store_true")
    return p
