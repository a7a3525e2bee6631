"""Whole-program analysis: ASF6xx messages name the chain; summaries are cached and invalidated;
the process pool gives the serial result; ASF5xx fixes add the missing await."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import replace
from pathlib import Path

import libcst as cst
import pytest
from markers import actual, load

from asyncsafe.catalog import builtin_catalog
from asyncsafe.config import ConfigError, Settings, load_settings
from asyncsafe.engine.cache.store import open_store
from asyncsafe.engine.facts.callgraph import CallGraph
from asyncsafe.engine.facts.context import build_context
from asyncsafe.engine.facts.project import Project
from asyncsafe.engine.tree.events import Finding
from asyncsafe.engine.tree.walker import Walker
from asyncsafe.rules import ruleset
from asyncsafe.run import runner
from asyncsafe.run.analyze import analyze_source

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PROJECT = FIXTURES / "transitive_project"
SERVICES = "(transitive_project/services.py:{})"
TO_COURT = "_load_court() -> Court.refresh() -> requests.get() (transitive_project/models.py:15)"
BLOCKS = "blocks the event loop"


def message_on(path: Path, snippet: str) -> str:
    """The one message reported on the line of ``path`` that contains ``snippet``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    numbers = [n for n, line in enumerate(lines, start=1) if snippet in line]
    assert len(numbers) == 1, f"{snippet!r} must occur once in {path.name}"
    found = [d for d in actual(path) if d.line == numbers[0]]
    assert len(found) == 1, found
    return f"{found[0].code} {found[0].message}"


VIEW_MESSAGES = {
    "context = build_context(pk)": (
        f"ASF601 build_context() -> {TO_COURT} {BLOCKS} (ASF304 in a sync helper); "
        "use 'await sync_to_async(build_context)(...)' or make the helper async"
    ),
    "return services.build_context(pk)": (
        f"ASF601 build_context() -> {TO_COURT} {BLOCKS} (ASF304 in a sync helper); "
        "use 'await sync_to_async(services.build_context)(...)' or make the helper async"
    ),
    "return context_for(pk)": (
        f"ASF601 build_context() -> {TO_COURT} {BLOCKS} (ASF304 in a sync helper); "
        "use 'await sync_to_async(context_for)(...)' or make the helper async"
    ),
    "retry(3)": (
        f"ASF601 retry() -> time.sleep() {SERVICES.format(36)} {BLOCKS} (ASF301 in a sync helper); "
        "use 'await sync_to_async(retry)(...)' or make the helper async"
    ),
    "tick(2)": (
        f"ASF601 tick() -> tock() -> time.sleep() {SERVICES.format(54)} {BLOCKS} (ASF301 in a "
        "sync helper); use 'await sync_to_async(tick)(...)' or make the helper async"
    ),
    "deep_2()": (
        "ASF601 deep_2() -> deep_3() -> deep_4() -> deep_5() -> deep_6() -> deep_7() -> deep_8() "
        f"-> deep_9() -> time.sleep() {SERVICES.format(130)} {BLOCKS} (ASF301 in a sync helper); "
        "use 'await sync_to_async(deep_2)(...)' or make the helper async"
    ),
    "name = court.remote_name": (
        "ASF603 Court.remote_name -> Court.refresh() -> requests.get() "
        f"(transitive_project/models.py:15) {BLOCKS} (ASF304 in a sync helper); use "
        "'await sync_to_async(lambda: court.remote_name)()' or load the data before"
    ),
    "form = CourtForm(request.POST)": (
        "ASF602 CourtForm() -> load_choices() -> requests.get() (transitive_project/models.py:53) "
        f"{BLOCKS} (ASF304 in a sync helper); use 'await sync_to_async(CourtForm)(...)' or make "
        "the class async"
    ),
    "Dashboard().build(pk)": (
        "ASF601 Dashboard.build() -> BaseService.load() -> open() (transitive_project/models.py:48) "
        f"{BLOCKS} (ASF303 in a sync helper); use 'await sync_to_async(Dashboard().build)(...)' "
        "or make the helper async"
    ),
    "fetch_remote(pk)": (
        f"ASF601 fetch_remote() -> Court.refresh() -> requests.get() (transitive_project/models.py:15) "
        f"{BLOCKS} (ASF304 in a sync helper); use 'await sync_to_async(fetch_remote)(...)' or make "
        "the helper async"
    ),
    "    nested()": (
        f"ASF601 nested() -> build_context() -> {TO_COURT} {BLOCKS} (ASF304 in a sync helper); "
        "use 'await sync_to_async(nested)(...)' or make the helper async"
    ),
    'notify("hi")': (
        "ASF601 notify() -> async_to_sync(send)() (transitive_project/services.py:79) raises "
        "RuntimeError on the event loop's thread (ASF501 in a sync helper); use "
        "'await sync_to_async(notify)(...)' or make the helper async"
    ),
    "run_report()": (
        "ASF601 run_report() -> asyncio.run() (transitive_project/services.py:83) raises "
        "RuntimeError on the event loop's thread (ASF502 in a sync helper); use "
        "'await sync_to_async(run_report)(...)' or make the helper async"
    ),
    "return await build_context(pk)": (
        f"ASF601 build_context() -> {TO_COURT} {BLOCKS} (ASF304 in a sync helper); "
        "use 'await sync_to_async(build_context)(...)' or make the helper async ('await' does "
        "not help: the call runs, and blocks, before anything is awaited)"
    ),
    "court.sync_from_upstream()  #": (
        "ASF504 the coroutine from court.sync_from_upstream() is never awaited, so it never runs; "
        "use 'await court.sync_from_upstream()'"
    ),
}

CONSUMER_MESSAGES = {
    "self.load_context(pk)": (
        f"ASF601 CourtConsumer.load_context() -> build_context() -> {TO_COURT} {BLOCKS} (ASF304 "
        "in a sync helper); use 'await sync_to_async(self.load_context)(...)' or make the helper async"
    ),
    "return super().load(pk)": (
        "ASF601 BaseService.load() -> open() (transitive_project/models.py:48) "
        f"{BLOCKS} (ASF303 in a sync helper); use 'await sync_to_async(super().load)(...)' "
        "or make the helper async"
    ),
    "        Exporter().export(text_data)": (
        "ASF601 Exporter.export() -> Exporter.fetch() -> requests.get() "
        f"(transitive_project/consumers.py:51) {BLOCKS} (ASF304 in a sync helper); use "
        "'await sync_to_async(Exporter().export)(...)' or make the helper async"
    ),
}


DJANGO_MESSAGES = {
    "context = build_context(pk)": (
        "ASF601 build_context() -> _load_court() -> Court.objects.get() (cl/views.py:21) "
        f"{BLOCKS} (ASF101 in a sync helper); use 'await sync_to_async(build_context)(...)' or "
        "make the helper async"
    ),
    "headline = opinion_headline(pk)": (
        "ASF601 opinion_headline() -> Opinion.objects.select_related(\"court\").get() "
        f"(cl/services.py:8) {BLOCKS} (ASF101 in a sync helper); use "
        "'await sync_to_async(opinion_headline)(...)' or make the helper async"
    ),
    "latest = court.latest_opinion": (
        "ASF603 Court.latest_opinion -> self.opinions.order_by(\"-pk\").first() (cl/models.py:11) "
        f"{BLOCKS} (ASF101 in a sync helper); use "
        "'await sync_to_async(lambda: court.latest_opinion)()' or load the data before"
    ),
    "publish(opinion)  #": (
        f"ASF601 publish() -> Opinion.publish() -> self.save() (cl/models.py:29) {BLOCKS} (ASF103 "
        "in a sync helper); use 'await sync_to_async(publish)(...)' or make the helper async"
    ),
    "form = CourtChoiceForm(request.GET)": (
        f"ASF602 CourtChoiceForm() -> Court.objects.all() (cl/forms.py:12) {BLOCKS} (ASF102 in a "
        "sync helper); use 'await sync_to_async(CourtChoiceForm)(...)' or make the class async"
    ),
    "    opinion.asave()": (
        "ASF504 the coroutine from opinion.asave() is never awaited, so it never runs; "
        "use 'await opinion.asave()'"
    ),
    "data = await serializers.serialize(": (
        "ASF109 serializers.serialize() iterates the QuerySet (and each row's many-to-many "
        "managers): a blocking database query on the event loop; use "
        "'await sync_to_async(serializers.serialize)(...)' (there is no async serializer) "
        "('await' does not help: the call runs, and blocks, before anything is awaited)"
    ),
    "name = await Court.objects.aget(pk=pk).name": (
        "ASF506 .name is read off the coroutine Court.objects.aget(pk=pk), not off its result "
        "(AttributeError); use '(await Court.objects.aget(pk=pk)).name'"
    ),
}


ASF5 = FIXTURES / "asf5_event_loop.py"
EVENT_LOOP_MESSAGES = {
    'async_to_sync(channel_layer.group_send)("room", {})  # expect': (
        'ASF501 async_to_sync(channel_layer.group_send)("room", {}) raises RuntimeError inside a '
        "running event loop's thread; use 'await' on the coroutine function directly"
    ),
    'push_update("hi")  # expect': (
        'ASF501 push_update("hi") is decorated with @async_to_sync: calling it raises RuntimeError '
        "inside a running event loop's thread; await the coroutine function instead (the wrapper "
        "keeps it as '.awaitable')"
    ),
    "loop.run_until_complete(": (
        "ASF502 loop.run_until_complete() cannot run while this thread's event loop is running "
        "(RuntimeError); use 'await <coroutine>' directly"
    ),
    "await sync_to_async(load_rows)  #": (
        "ASF503 'await sync_to_async(load_rows)' awaits the wrapper without calling it (TypeError: "
        "object SyncToAsync can't be used in 'await' expression); use "
        "'await sync_to_async(load_rows)(...)'"
    ),
    "forgotten = ": (
        "ASF504 the coroutine from fetch_feed(\"u\") is bound to 'forgotten', which is never used, "
        "so it never runs; use 'await fetch_feed(\"u\")'"
    ),
    "ready = ": (
        "ASF505 save_rows([]) is a coroutine, which is always true: the test never sees the result; "
        "use 'await save_rows([])'"
    ),
    "coro.url": (
        "ASF506 .url is read off the coroutine coro, not off its result (AttributeError); use "
        "'(await coro).url'"
    ),
    "json.dumps(fetch_feed": (
        "ASF507 the coroutine fetch_feed(\"u\") is passed to json.dumps() instead of its result; "
        "use 'await fetch_feed(\"u\")'"
    ),
    "rows = await stream_rows()": (
        "ASF508 stream_rows() returns an async iterator, which cannot be awaited (TypeError); "
        "iterate it with 'async for'"
    ),
    "await time.sleep(1)": (
        "ASF301 time.sleep() sleeps the whole thread, so no other request on this worker runs "
        "meanwhile; use 'await asyncio.sleep(...)' ('await' does not help: the call runs, and "
        "blocks, before anything is awaited)"
    ),
}


@pytest.mark.parametrize("snippet", sorted(EVENT_LOOP_MESSAGES))
def test_event_loop_messages(snippet: str) -> None:
    assert message_on(ASF5, snippet) == EVENT_LOOP_MESSAGES[snippet]


@pytest.mark.parametrize("snippet", sorted(DJANGO_MESSAGES))
def test_django_orm_chains_and_coroutines(snippet: str) -> None:
    assert message_on(FIXTURES / "cl" / "views.py", snippet) == DJANGO_MESSAGES[snippet]


@pytest.mark.parametrize("snippet", sorted(VIEW_MESSAGES))
def test_view_messages_name_the_chain(snippet: str) -> None:
    assert message_on(PROJECT / "views.py", snippet) == VIEW_MESSAGES[snippet]


@pytest.mark.parametrize("snippet", sorted(CONSUMER_MESSAGES))
def test_consumer_messages_name_the_chain(snippet: str) -> None:
    assert message_on(PROJECT / "consumers.py", snippet) == CONSUMER_MESSAGES[snippet]


CHAIN = re.compile(r"^(?P<chain>.+) -> (?P<what>[^ ]+) \((?P<path>[\w/]+\.py):(?P<line>\d+)\) ")


def test_every_transitive_finding_points_at_the_blocking_line() -> None:
    checked = 0
    for path in sorted(PROJECT.glob("*.py")):
        for diagnostic in actual(path):
            if diagnostic.code.startswith("ASF6"):
                match = CHAIN.match(diagnostic.message)
                assert match, diagnostic.message
                target = FIXTURES / match["path"]
                line = target.read_text(encoding="utf-8").splitlines()[int(match["line"]) - 1]
                assert match["what"].split("(")[0] in line, (diagnostic.message, line)
                checked += 1
    assert checked >= 20


def test_results_do_not_depend_on_which_file_is_checked_first() -> None:
    settings = Settings(select=("ALL",), root=str(FIXTURES))
    views, consumers = load(PROJECT / "views.py"), load(PROJECT / "consumers.py")
    orders = []
    for first, second in ((views, consumers), (consumers, views)):
        project = Project(str(FIXTURES), settings)
        results = {s.path: analyze_source(s, settings, project=project).diagnostics for s in (first, second)}
        orders.append(results)
    assert orders[0] == orders[1]


# --- fixes -------------------------------------------------------------------------------------
def findings_in(code: str) -> tuple[cst.Module, list[Finding]]:
    tree = cst.parse_module(code)
    ctx = build_context("snippet.py", Settings(select=("ALL",)), builtin_catalog(), ruleset())
    Walker(ctx, ruleset().instantiate(ctx)).run(tree)
    return tree, ctx.findings


def fixed(code: str, wanted: str) -> str:
    tree, findings = findings_in(code)
    fixes = [f.fix for f in findings if f.code == wanted and f.fix is not None]
    assert len(fixes) == 1, findings
    return tree.deep_replace(fixes[0].target, fixes[0].replacement).code


def test_missing_await_fix() -> None:
    code = "async def save(book):\n    return book\n\n\nasync def publish(book):\n    save(book)\n"
    assert fixed(code, "ASF504").endswith("async def publish(book):\n    await save(book)\n")


def test_missing_await_fix_keeps_parentheses_and_comments() -> None:
    code = "import asyncio\n\n\nasync def pause():\n    (asyncio.sleep(1))  # wait a bit\n"
    assert fixed(code, "ASF504").endswith("    (await asyncio.sleep(1))  # wait a bit\n")


def test_precedence_fix_awaits_before_the_attribute_read() -> None:
    code = "async def fetch():\n    return 1\n\n\nasync def view():\n    return await fetch().real\n"
    assert fixed(code, "ASF506").endswith("    return (await fetch()).real\n")


def test_unused_coroutine_has_no_automatic_fix() -> None:
    code = "async def fetch():\n    return 1\n\n\nasync def view():\n    pending = fetch()\n"
    _, findings = findings_in(code)
    assert [(f.code, f.fix) for f in findings] == [("ASF504", None)]


# --- configuration -----------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["0", "51", '"3"', "true", "2.5"])
def test_max_depth_must_be_a_small_positive_integer(tmp_path: Path, value: str) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text(f"[tool.asyncsafe]\nmax-depth = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(config)
    assert str(error.value).startswith(f"{config}: error: [tool.asyncsafe] max-depth: expected")


def test_max_depth_from_the_command_line_config(tmp_path: Path, cli) -> None:
    project = tmp_path / "proj"
    shutil.copytree(PROJECT, project / "transitive_project")
    (project / "pyproject.toml").write_text("[tool.asyncsafe]\nmax-depth = 1\n", encoding="utf-8")
    result = cli("check", "transitive_project/views.py", "--no-cache", cwd=project)
    asf6 = [line for line in result.stdout.splitlines() if " ASF6" in line]
    assert asf6 and all(line.count(" -> ") == 1 for line in asf6), result.stdout
    assert any("retry() -> time.sleep()" in line for line in asf6)
    assert not any("build_context()" in line for line in asf6)


# --- cache and process pool --------------------------------------------------------------------
def copy_project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(PROJECT, root / "transitive_project")
    (root / "pyproject.toml").write_text("[tool.asyncsafe]\n", encoding="utf-8")
    return root


def run_in(root: Path, monkeypatch: pytest.MonkeyPatch, jobs: int = 1) -> tuple[list[str], list[str]]:
    """Messages of a cached run, and the modules whose helpers had to be walked again."""
    walked: list[str] = []
    extraction = CallGraph._open_extraction

    def counting(self: CallGraph, module: str) -> Walker | None:
        walked.append(module)
        return extraction(self, module)

    monkeypatch.setattr(CallGraph, "_open_extraction", counting)
    monkeypatch.chdir(root)
    settings = replace(load_settings(root / "pyproject.toml"), root=str(root))
    result = runner.run(["transitive_project"], settings, use_cache=True, jobs=jobs)
    return [f"{d.path}:{d.line}: {d.code} {d.message}" for d in result.diagnostics], sorted(walked)


def test_summaries_are_cached_across_runs_and_invalidated_by_their_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_project(tmp_path)
    first, walked = run_in(root, monkeypatch)
    assert "transitive_project.services" in walked and "transitive_project.models" in walked
    views = root / "transitive_project" / "views.py"
    os.utime(views)  # same content, new mtime: every file's diagnostics are computed again
    second, walked = run_in(root, monkeypatch)
    assert walked == [], "helpers whose files did not change must come from the cache"
    assert second == first
    services = root / "transitive_project" / "services.py"
    text = services.read_text(encoding="utf-8")
    services.write_text(text.replace("        time.sleep(0.1)\n", "        pass\n"), encoding="utf-8")
    third, walked = run_in(root, monkeypatch)
    # services.py itself, and whatever facts depended on it (the ORM's model index reads it).
    assert "transitive_project.services" in walked
    assert not any("retry() -> time.sleep()" in m for m in third)
    assert len(third) == len(first) - 1


def test_cached_facts_depend_on_the_content_of_what_they_read(tmp_path: Path) -> None:
    """Facts are valid while the files their walk read through the project keep their content
    (services.py imports models.py); a new mtime alone changes nothing, and a file the walk never
    read (consumers.py imports services.py, not the other way) does not invalidate them."""
    root = copy_project(tmp_path)
    settings = Settings(root=str(root))

    def cached_project() -> Project:
        store, refused = open_store(str(root), None)
        assert store is not None, refused
        return Project(str(root), settings, cache=store, rules=ruleset())

    def cached_services() -> object:
        graph = cached_project().facts("asyncsafe.callgraph", CallGraph)
        return graph._load("transitive_project.services")

    project = cached_project()
    assert project.facts("asyncsafe.callgraph", CallGraph).body("transitive_project.services", "retry")
    assert cached_services() is not None
    models = root / "transitive_project" / "models.py"
    os.utime(models)
    assert cached_services() is not None
    consumers = root / "transitive_project" / "consumers.py"
    consumers.write_text(consumers.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert cached_services() is not None
    models.write_text(models.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert cached_services() is None


def test_process_pool_gives_the_serial_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_project(tmp_path)
    package = root / "transitive_project"
    for number in range(runner.PARALLEL_THRESHOLD):
        (package / f"extra_view_{number}.py").write_text(
            "from .services import build_context, retry\n\n\n"
            f"async def view_{number}(pk):\n    build_context(pk)\n    retry(pk)\n",
            encoding="utf-8",
        )
    serial, _ = run_in(root, monkeypatch, jobs=1)
    shutil.rmtree(root / ".asyncsafe_cache")
    parallel, _ = run_in(root, monkeypatch, jobs=2)
    assert parallel == serial
    assert sum(" ASF601 " in m for m in parallel) > 2 * runner.PARALLEL_THRESHOLD
