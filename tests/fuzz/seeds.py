"""Writes the seed corpus of each fuzz target into DIR/<target>/ (made fresh
from this file, so nothing binary is committed). Seeds are well-formed
inputs that put the fuzzer on the interesting paths at once."""

import base64
import hashlib
import hmac
import struct
import sys
from pathlib import Path


def frame(kind, msg_id, call_id=0, route_key=0, body=b""):
    header = struct.pack(">BBHIQ", 1, kind, msg_id, call_id, route_key)
    return struct.pack(">I", len(header) + len(body)) + header + body


def field(number, payload):
    tag = bytes([(number << 3) | 2])
    return tag + bytes([len(payload)]) + payload


ECHO, PUSH = 900, 901
echo_body = field(1, b"hello")
channel_seeds = {
    # stranger: a challenge, then a garbage proof
    "stranger_handshake": b"\x00" + frame(5, 1, body=field(1, b"n" * 32)) + frame(5, 2, body=field(1, b"m" * 32)),
    "stranger_request": b"\x00" + frame(1, ECHO, 1, body=echo_body),
    "stranger_oversize": b"\x00" + struct.pack(">I", 1 << 20),
    # authenticated peer: requests, a notify, a stray reply, an error reply
    "peer_calls": b"\x01" + frame(1, ECHO, 1, 7, echo_body) + frame(3, PUSH, 0, 0, echo_body)
                  + frame(1, ECHO, 2, 0, b"\xff\xff") + frame(2, ECHO, 99) + frame(4, ECHO, 98, body=field(2, b"x")),
    "peer_unknown_method": b"\x01" + frame(1, 4242, 3),
}
http_seeds = {
    "get": b"GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n",
    "post": b"POST /x?y=1 HTTP/1.1\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
    "chunked": b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
}


FUZZ_KEY = b"fuzz-key-0123456789abcdef0123456789"  # fuzz_session_token.cc


def token(player_id, expires_at, zone, nonce=b"\x01" * 16, key=FUZZ_KEY):
    """A session token as client/session_token.h lays it out."""
    body = struct.pack(">BQqB", 1, player_id, expires_at, len(zone)) + zone + nonce
    tag = hmac.new(key, b"polis/session/1" + body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(body + tag).rstrip(b"=")


token_seeds = {
    "valid": token(42, 1_900_000_000, b"eu-1"),
    "expired": token(42, 1_700_000_000, b"eu-1"),
    "other_zone": token(7, 1_900_000_000, b"us-west-2"),
    "other_key": token(42, 1_900_000_000, b"eu-1", key=b"k" * 32),
}


def ws_frame(opcode, payload, fin=True, mask=b"\x37\xfa\x21\x3d"):
    """A client's WebSocket frame (masked), as RFC 6455 §5.2 lays it out."""
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n <= 0xFFFF:
        head += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack(">Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


# The first byte of each input picks where the fuzz target splits the rest.
websocket_seeds = {
    "fragments_and_controls": b"\x05" + ws_frame(2, b"hel", fin=False) + ws_frame(9, b"ping") + ws_frame(0, b"lo")
                              + ws_frame(8, b"\x03\xe8bye"),
    "long_message": b"\x40" + ws_frame(2, bytes(200)),
    "upgrade": b"\x00" + b"GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
}


def main(root):
    for target, seeds in (("fuzz_channel", channel_seeds), ("fuzz_http_parser", http_seeds),
                          ("fuzz_session_token", token_seeds), ("fuzz_websocket", websocket_seeds)):
        folder = Path(root) / target
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in seeds.items():
            (folder / f"seed-{name}").write_bytes(data)


if __name__ == "__main__":
    main(sys.argv[1])
