"""A tiny client for a node's ops HTTP port (always on 127.0.0.1)."""

import http.client
import json

HOST = "127.0.0.1"


def get(port, path, timeout=1.0):
    """Returns (status, body text). Raises OSError when nothing answers."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read().decode(errors="replace")
    except http.client.HTTPException as e:
        raise OSError(f"bad HTTP answer from {HOST}:{port}{path}: {e}") from e
    finally:
        conn.close()


def ready(port):
    """(True, "NODE_READY") when /readyz answers 200; (False, why) otherwise.
    The body's first line is the state; the lines after it (one per center) are left out."""
    try:
        status, body = get(port, "/readyz")
    except OSError as e:
        return False, f"no answer ({e.__class__.__name__})"
    return status == 200, body.strip().split("\n", 1)[0]


def members(port):
    status, body = get(port, "/members")
    if status != 200:
        raise OSError(f"/members on port {port} answered {status}: {body.strip()}")
    return json.loads(body)
