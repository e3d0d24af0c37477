#!/usr/bin/env python3
"""Records an editor's LSP session with jwtlens as a replay for tests/replays.rs.

    record.py OUT.json ROOT CLIENT-NAME WORKSPACE -- JWTLENS [ARGS...]

Configure the editor to start this script instead of `jwtlens --stdio`. It runs JWTLENS,
passes the bytes both ways unchanged, and when the session ends writes OUT.json: the
client's requests and notifications in order, what the client answered to each kind of
server request, and, for each document opened, the codes of its last diagnostics. ROOT
(the workspace the editor opened) is replaced by ${ROOT_URI} / ${ROOT_PATH}, so the file
holds no machine path. WORKSPACE is the repository folder ROOT is a copy of (the replay
copies it again: `examples`). Nothing is written to stderr or stdout but the protocol.
"""

import json
import os
import subprocess
import sys
import threading
import urllib.parse


def frames(stream, sink, messages, saved):
    """Copies framed messages from stream to sink, keeping each parsed body."""
    while True:
        headers = {}
        while True:
            line = stream.readline()
            if not line:
                return
            sink.write(line)
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode("ascii").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = stream.read(int(headers["content-length"]))
        sink.write(body)
        sink.flush()
        messages.append(json.loads(body))
        saved()


def main():
    out, root, client, workspace, separator, *command = sys.argv[1:]
    assert separator == "--", __doc__
    server = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    sent, received = [], []
    lock = threading.Lock()

    def saved():
        # After every message: editors may kill the recorder with the server (Emacs does).
        with lock:
            write_replay(out, root, client, workspace, sent, received)

    upstream = threading.Thread(
        target=lambda: (frames(sys.stdin.buffer, server.stdin, sent, saved), server.stdin.close())
    )
    upstream.daemon = True
    upstream.start()
    frames(server.stdout, sys.stdout.buffer, received, saved)
    server.wait()
    # The editor's last messages (exit) are read once it closes its end.
    upstream.join(timeout=5)
    saved()


def write_replay(out, root, client, workspace, sent, received):
    requests_by_id = {m["id"]: m["method"] for m in received if "method" in m and "id" in m}
    answers = {}
    for message in sent:
        if "method" not in message and message.get("id") in requests_by_id:
            answer = {key: message[key] for key in ("result", "error") if key in message}
            answers.setdefault(requests_by_id[message["id"]], answer)
    last_codes = {}
    for message in received:
        if message.get("method") == "textDocument/publishDiagnostics":
            params = message["params"]
            last_codes[params["uri"]] = sorted({d.get("code") for d in params["diagnostics"] if d.get("code")})
    opened = [m["params"]["textDocument"]["uri"] for m in sent if m.get("method") == "textDocument/didOpen"]
    replay = {
        "client": client,
        "workspace": workspace,
        "sources": [f"recorded with tests/replays/record.py from a real {client} session"],
        "answers": answers,
        "session": [m for m in sent if "method" in m],
        "diagnostics": {uri: last_codes[uri] for uri in opened if last_codes.get(uri)},
    }
    text = json.dumps(replay, indent=2) + "\n"
    root_uri = "file://" + urllib.parse.quote(root.rstrip("/"))
    text = text.replace(root_uri, "${ROOT_URI}").replace(root.rstrip("/"), "${ROOT_PATH}")
    with open(out + ".partial", "w") as f:
        f.write(text)
    os.replace(out + ".partial", out)


main()
