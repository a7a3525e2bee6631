"""``asyncsafe server``: a real subprocess speaking LSP (JSON-RPC over stdio) to a minimal client
written here: open a document, get its diagnostics, apply a code action, see them go."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from pathlib import Path
from typing import IO, Any

import pytest

from conftest import console_script

VIEW = "import time\n\n\nasync def view(request):\n    time.sleep(1)\n    return None\n"


class Client:
    """JSON-RPC with Content-Length framing over a subprocess's pipes."""

    def __init__(self, cwd: Path) -> None:
        self.process = subprocess.Popen(
            [console_script(), "server"], cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.next_id = 0
        assert self.process.stdout is not None
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()

    def _read(self, stream: IO[bytes]) -> None:
        while True:
            headers: dict[str, str] = {}
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("ascii").partition(":")
                headers[name.strip().lower()] = value.strip()
            if not headers:
                return
            self.messages.put(json.loads(stream.read(int(headers["content-length"]))))

    def send(self, payload: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **payload}).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode("ascii") + body)
        self.process.stdin.flush()

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: dict[str, Any]) -> Any:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        reply = self.wait(lambda m: m.get("id") == self.next_id and "method" not in m)
        assert "error" not in reply, reply
        return reply["result"]

    def wait(self, wanted: Any, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            message = self.messages.get(timeout=max(0.1, deadline - time.monotonic()))
            if message.get("method") in ("workspace/configuration", "client/registerCapability"):
                self.send({"id": message["id"], "result": None})
            if wanted(message):
                return message

    def diagnostics(self, uri: str, version: int) -> list[dict[str, Any]]:
        message = self.wait(
            lambda m: m.get("method") == "textDocument/publishDiagnostics"
            and m["params"]["uri"] == uri and m["params"].get("version") == version
        )
        found: list[dict[str, Any]] = message["params"]["diagnostics"]
        return found

    def close(self) -> int:
        self.request("shutdown", {})
        self.notify("exit", {})
        return self.process.wait(timeout=60)


def apply(text: str, edits: list[dict[str, Any]]) -> str:
    """Apply LSP text edits (ASCII text here: UTF-16 columns are code points), last first."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def offset(position: dict[str, int]) -> int:
        return offsets[min(position["line"], len(lines))] + position["character"]

    for edit in sorted(edits, key=lambda e: offset(e["range"]["start"]), reverse=True):
        text = text[: offset(edit["range"]["start"])] + edit["newText"] + text[offset(edit["range"]["end"]) :]
        lines = text.splitlines(keepends=True)
        offsets = [0]
        for line in lines:
            offsets.append(offsets[-1] + len(line))
    return text


@pytest.fixture
def client(tmp_path: Path) -> Any:
    (tmp_path / "pyproject.toml").write_text("[tool.asyncsafe]\n", encoding="utf-8")
    session = Client(tmp_path)
    session.request("initialize", {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}})
    session.notify("initialized", {})
    yield session
    assert session.close() == 0


def open_view(client: Client, tmp_path: Path, text: str = VIEW) -> str:
    path = tmp_path / "views.py"
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}})
    return uri


def actions_for(client: Client, uri: str, diagnostic: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": diagnostic["range"], "context": {"diagnostics": [diagnostic]},
    })
    return found


def test_open_diagnose_fix_and_the_diagnostic_goes(client: Client, tmp_path: Path) -> None:
    uri = open_view(client, tmp_path)
    [diagnostic] = client.diagnostics(uri, 1)
    assert (diagnostic["code"], diagnostic["source"]) == ("ASF301", "asyncsafe")
    assert diagnostic["range"] == {"start": {"line": 4, "character": 4}, "end": {"line": 4, "character": 17}}
    actions = actions_for(client, uri, diagnostic)
    titles = [action["title"] for action in actions]
    assert titles == ["Fix ASF301: 'await asyncio.sleep(...)'", "Add '# noqa: ASF301'"]
    [change] = actions[0]["edit"]["documentChanges"]
    fixed = apply(VIEW, change["edits"])
    assert fixed == "import asyncio\n\n\nasync def view(request):\n    await asyncio.sleep(1)\n    return None\n"
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}],
    })
    assert client.diagnostics(uri, 2) == []


def test_noqa_action_hover_and_debounced_changes(client: Client, tmp_path: Path) -> None:
    uri = open_view(client, tmp_path)
    [diagnostic] = client.diagnostics(uri, 1)
    hover = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 4, "character": 8}})
    assert "ASF301" in hover["contents"]["value"] and "asyncio.sleep" in hover["contents"]["value"]
    noqa = actions_for(client, uri, diagnostic)[1]
    silenced = apply(VIEW, noqa["edit"]["documentChanges"][0]["edits"])
    assert "    time.sleep(1)  # noqa: ASF301\n" in silenced
    # A burst of edits: only the last one is checked (no diagnostics for the versions in between).
    for version, text in ((2, VIEW.replace("(1)", "(2)")), (3, VIEW.replace("(1)", "(3)")), (4, silenced)):
        client.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}],
        })
    message = client.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics")
    assert message["params"]["version"] == 4 and message["params"]["diagnostics"] == []


def test_a_project_helper_is_seen_and_a_save_rechecks(client: Client, tmp_path: Path) -> None:
    (tmp_path / "helpers.py").write_text("def pause():\n    return None\n", encoding="utf-8")
    uri = open_view(client, tmp_path, "from helpers import pause\n\n\nasync def view(request):\n    pause()\n")
    assert client.diagnostics(uri, 1) == []
    (tmp_path / "helpers.py").write_text("import time\n\n\ndef pause():\n    time.sleep(1)\n", encoding="utf-8")
    client.notify("textDocument/didSave", {"textDocument": {"uri": (tmp_path / "helpers.py").as_uri()}})
    found = client.diagnostics(uri, 1)
    assert [d["code"] for d in found] == ["ASF601"]


def test_server_without_pygls_says_how_to_install_it(tmp_path: Path) -> None:
    script = "import sys; sys.modules['pygls'] = None; from asyncsafe.cli import main; raise SystemExit(main(['server']))"
    result = subprocess.run(
        [str(Path(console_script()).parent / "python"), "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "pip install 'asyncsafe[lsp]'" in result.stderr
