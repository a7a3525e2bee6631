"""``asyncsafe server``: a language server (LSP over stdio, pygls) on the same engine as the CLI.

Diagnostics on open, on change (debounced: the last edit of a burst is checked) and on save; code
actions for each fix (unsafe ones marked) and for "add ``# noqa: CODE``"; hover over a finding
explains its rule. Each open document is checked as a buffer in its project (``run_source``): its
configuration is the nearest ``[tool.asyncsafe]``, and one project index per configuration stays
warm in the process. A save drops that index (the saved module's facts changed) and re-checks the
open documents, which are the saved module's dependents an editor can show.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from urllib.parse import unquote, urlparse

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from asyncsafe import __version__
from asyncsafe.config import ConfigError, Settings, find_config, load_settings
from asyncsafe.diagnostics import Diagnostic
from asyncsafe.engine.cache.store import open_store
from asyncsafe.engine.facts.project import Project
from asyncsafe.engine.input.lines import split_lines
from asyncsafe.engine.input.source import Source, decode_source
from asyncsafe.fix import Edit, FixEdits, fix_edits, line_edits
from asyncsafe.rules.registry import all_rules
from asyncsafe.run.add_noqa import add_noqa
from asyncsafe.run.runner import run_source

DEBOUNCE_SECONDS = 0.3
SOURCE = "asyncsafe"


@dataclass
class _Checked:
    version: int | None
    text: str
    diagnostics: list[Diagnostic]
    lsp_diagnostics: list[lsp.Diagnostic]


@dataclass
class State:
    """The warm part: settings and project index per configuration file, last results per document."""

    settings: dict[str, Settings] = field(default_factory=dict)
    projects: dict[str, Project] = field(default_factory=dict)
    checked: dict[str, _Checked] = field(default_factory=dict)
    pending: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    def settings_for(self, path: str) -> Settings:
        config = find_config([path])
        key = str(config)
        if key not in self.settings:
            self.settings[key] = load_settings(config)
        return self.settings[key]

    def project_for(self, settings: Settings) -> Project:
        key = f"{settings.root}\0{settings.fingerprint()}"
        if key not in self.projects:
            store, _ = open_store(settings.root, settings.cache_dir)  # the CLI's cache, when trusted
            self.projects[key] = Project(settings.root, settings, cache=store)
        return self.projects[key]


server = LanguageServer("asyncsafe", __version__)
state = State()


def path_of(uri: str) -> str:
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else uri


def check_document(uri: str) -> None:
    """Check the document's current text and publish its diagnostics."""
    document = server.workspace.get_text_document(uri)
    path = path_of(uri)
    try:
        settings = state.settings_for(path)
    except ConfigError as exc:
        server.window_show_message(lsp.ShowMessageParams(lsp.MessageType.Error, f"asyncsafe: {exc}"))
        return
    text = document.source
    result = run_source(path, text.encode("utf-8"), settings, project=state.project_for(settings))
    lines = split_lines(text)
    converted = [to_lsp(d, lines) for d in result.diagnostics]
    state.checked[uri] = _Checked(document.version, text, result.diagnostics, converted)
    server.text_document_publish_diagnostics(
        lsp.PublishDiagnosticsParams(uri=uri, diagnostics=converted, version=document.version)
    )


def utf16_column(line: str, column: int) -> int:
    """A 0-based code-point column as LSP counts it (UTF-16 code units)."""
    return len(line[:column].encode("utf-16-le")) // 2


def position(lines: list[str], line: int, column: int) -> lsp.Position:
    """1-based line and code-point column -> an LSP position."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return lsp.Position(line=line - 1, character=utf16_column(text, column - 1))


def to_lsp(d: Diagnostic, lines: list[str]) -> lsp.Diagnostic:
    return lsp.Diagnostic(
        range=lsp.Range(position(lines, d.line, d.column), position(lines, d.end_line, d.end_column)),
        message=d.message,
        severity=lsp.DiagnosticSeverity.Warning,
        code=d.code,
        source=SOURCE,
        data={"fixable": d.fixable},
    )


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
async def did_open(params: lsp.DidOpenTextDocumentParams) -> None:
    await asyncio.to_thread(check_document, params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(params: lsp.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    previous = state.pending.pop(uri, None)
    if previous is not None:
        previous.cancel()
    state.pending[uri] = asyncio.create_task(_debounced(uri))


async def _debounced(uri: str) -> None:
    await asyncio.sleep(DEBOUNCE_SECONDS)
    state.pending.pop(uri, None)
    await asyncio.to_thread(check_document, uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
async def did_save(params: lsp.DidSaveTextDocumentParams) -> None:
    state.projects.clear()  # the saved module's facts changed: rebuild the index on next use
    state.settings.clear()  # and a saved pyproject.toml may change the settings
    for uri in list(state.checked):
        await asyncio.to_thread(check_document, uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(params: lsp.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    state.checked.pop(uri, None)
    server.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


@server.feature(
    lsp.TEXT_DOCUMENT_CODE_ACTION,
    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix], resolve_provider=False),
)
def code_actions(params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    uri = params.text_document.uri
    checked = state.checked.get(uri)
    if checked is None:
        return []
    chosen = [
        (d, converted)
        for d, converted in zip(checked.diagnostics, checked.lsp_diagnostics)
        if _overlaps(converted.range, params.range)
    ]
    if not chosen:
        return []
    path = path_of(uri)
    source = decode_source(path, checked.text.encode("utf-8"))
    if not isinstance(source, Source):
        return []
    settings = state.settings_for(path)
    fixes = fix_edits(source, settings, state.project_for(settings)) if any(d.fixable for d, _ in chosen) else {}
    actions = []
    for d, converted in chosen:
        fix = fixes.get(d)
        if fix is not None:
            actions.append(_fix_action(uri, d, converted, fix, checked))
        actions.append(_noqa_action(uri, d, converted, source, checked))
    return actions


def _fix_action(uri: str, d: Diagnostic, converted: lsp.Diagnostic, fix: FixEdits, checked: _Checked) -> lsp.CodeAction:
    unsafe = fix.applicability != "safe"
    title = f"Fix {d.code}: {d.suggestion or 'rewrite'}" + (" (unsafe: can change behaviour)" if unsafe else "")
    return lsp.CodeAction(
        title=title,
        kind=lsp.CodeActionKind.QuickFix,
        diagnostics=[converted],
        is_preferred=not unsafe,
        edit=_workspace_edit(uri, fix.edits, checked),
    )


def _noqa_action(uri: str, d: Diagnostic, converted: lsp.Diagnostic, source: Source, checked: _Checked) -> lsp.CodeAction:
    edited = add_noqa(source, [d])
    edits = line_edits(source.text, edited.text) if not isinstance(edited, str) else ()
    return lsp.CodeAction(
        title=f"Add '# noqa: {d.code}'",
        kind=lsp.CodeActionKind.QuickFix,
        diagnostics=[converted],
        edit=_workspace_edit(uri, edits, checked),
    )


def _workspace_edit(uri: str, edits: tuple[Edit, ...], checked: _Checked) -> lsp.WorkspaceEdit:
    lines = split_lines(checked.text)
    text_edits = [
        lsp.TextEdit(range=lsp.Range(position(lines, e.line, e.column), position(lines, e.end_line, e.end_column)), new_text=e.content)
        for e in edits
    ]
    document = lsp.OptionalVersionedTextDocumentIdentifier(uri=uri, version=checked.version)
    return lsp.WorkspaceEdit(document_changes=[lsp.TextDocumentEdit(text_document=document, edits=list(text_edits))])


def _overlaps(a: lsp.Range, b: lsp.Range) -> bool:
    def key(p: lsp.Position) -> tuple[int, int]:
        return p.line, p.character

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def hover(params: lsp.HoverParams) -> lsp.Hover | None:
    checked = state.checked.get(params.text_document.uri)
    if checked is None:
        return None
    point = lsp.Range(params.position, params.position)
    rules = all_rules()
    explained = [
        rules[converted.code].explanation()
        for converted in checked.lsp_diagnostics
        if isinstance(converted.code, str) and converted.code in rules and _overlaps(converted.range, point)
    ]
    if not explained:
        return None
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.PlainText, value="\n\n".join(dict.fromkeys(explained))))


def serve() -> int:
    """Speak LSP on stdin/stdout until the client says exit."""
    server.start_io()
    return 0

