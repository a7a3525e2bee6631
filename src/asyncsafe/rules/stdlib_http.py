"""ASF3xx: blocking standard-library and HTTP calls. The matching lives in catalog/*.toml."""

from __future__ import annotations

from asyncsafe.engine.tree.events import Checker
from asyncsafe.rules.registry import RuleSpec, register

FREEZES = (
    "An ASGI worker runs every request on one event loop thread. While this call waits, the "
    "loop cannot switch to any other task: every request on the worker stalls with it, health "
    "checks time out, and websockets stop answering. Django's runtime guard "
    "(SynchronousOnlyOperation) only protects database access, so this passes silently in tests."
)

register(
    RuleSpec(
        code="ASF301",
        name="blocking-sleep",
        summary="time.sleep() inside async code",
        why=f"time.sleep() suspends the whole thread, not just the current task. {FREEZES}",
        example="""
            async def poll(request):
                time.sleep(0.5)
        """,
        fix="""
            async def poll(request):
                await asyncio.sleep(0.5)
        """,
    ),
    RuleSpec(
        code="ASF302",
        name="blocking-subprocess",
        summary="a child process started or waited for synchronously inside async code",
        why=(
            "subprocess.run/call/check_output, os.system, os.popen, os.wait*, os.spawn* and "
            "Popen.wait/communicate hold the thread until the child process exits. "
            f"{FREEZES}"
        ),
        example="""
            async def thumbnail(request):
                subprocess.run(["convert", src, dst], check=True)
        """,
        fix="""
            async def thumbnail(request):
                proc = await asyncio.create_subprocess_exec("convert", src, dst)
                await proc.wait()
        """,
    ),
    RuleSpec(
        code="ASF303",
        name="blocking-file-io",
        summary="blocking file I/O inside async code",
        why=(
            "open(), reads and writes on a file object, pathlib read/write, os.listdir/walk, "
            "glob, shutil copies and tempfile all wait on the disk (or a network filesystem) "
            f"in the event loop thread. {FREEZES}"
        ),
        example="""
            async def export(request):
                with open(path) as f:
                    data = f.read()
        """,
        fix="""
            async def export(request):
                async with aiofiles.open(path) as f:
                    data = await f.read()
                # or: data = await asyncio.to_thread(Path(path).read_text)
        """,
    ),
    RuleSpec(
        code="ASF304",
        name="blocking-http",
        summary="a sync HTTP client call inside async code",
        why=(
            "requests, sync httpx (module functions and httpx.Client), urllib3, "
            "urllib.request.urlopen, http.client and pycurl wait for the remote server "
            "(DNS, connect, TLS, response) in the event loop thread. A slow upstream freezes "
            f"every request on the worker. {FREEZES}"
        ),
        example="""
            async def weather(request):
                data = requests.get(API_URL, timeout=5).json()
        """,
        fix="""
            async def weather(request):
                async with httpx.AsyncClient() as client:
                    data = (await client.get(API_URL, timeout=5)).json()
        """,
    ),
    RuleSpec(
        code="ASF305",
        name="blocking-socket",
        summary="blocking socket, DNS or select() call inside async code",
        why=(
            "socket.create_connection, getaddrinfo/gethostbyname, blocking socket "
            "connect/recv/send/accept and select.select wait on the network in the event loop "
            f"thread. {FREEZES}"
        ),
        example="""
            async def probe(request):
                sock = socket.create_connection((host, 6379))
        """,
        fix="""
            async def probe(request):
                reader, writer = await asyncio.open_connection(host, 6379)
        """,
    ),
    RuleSpec(
        code="ASF306",
        name="blocking-smtp-ftp",
        summary="smtplib/ftplib network calls inside async code",
        why=(
            "smtplib.SMTP(host) and ftplib.FTP(host) connect in their constructor; sendmail, "
            "login, starttls, retrbinary and friends wait for the server. "
            f"{FREEZES}"
        ),
        example="""
            async def notify(request):
                with smtplib.SMTP("mail.example.com") as smtp:
                    smtp.send_message(msg)
        """,
        fix="""
            async def notify(request):
                await asyncio.to_thread(send_via_smtp, msg)  # or aiosmtplib
        """,
    ),
    RuleSpec(
        code="ASF307",
        name="blocking-websocket-client",
        summary="a sync websocket client inside async code",
        why=(
            "websocket-client (import websocket) and websockets.sync block on connect, send "
            "and recv. The websockets package also ships an asyncio API with the same names. "
            f"{FREEZES}"
        ),
        example="""
            async def relay(request):
                ws = websocket.create_connection(URL)
        """,
        fix="""
            async def relay(request):
                async with websockets.connect(URL) as ws:
                    await ws.send("hi")
        """,
    ),
    RuleSpec(
        code="ASF308",
        name="blocking-console-input",
        summary="input()/getpass() inside async code",
        why=f"input() and getpass.getpass() wait for a human at a terminal. {FREEZES}",
        example="""
            async def main():
                answer = input("continue? ")
        """,
        fix="""
            async def main():
                answer = await asyncio.to_thread(input, "continue? ")
        """,
    ),
    RuleSpec(
        code="ASF309",
        name="blocking-thread-primitive",
        summary="waiting on a thread lock, queue, thread or future inside async code",
        why=(
            "queue.Queue.get/put, threading Lock.acquire/Event.wait/Thread.join and "
            "concurrent.futures Future.result block the thread until another thread acts; if "
            f"that thread needs the event loop, the worker deadlocks. {FREEZES}"
        ),
        example="""
            async def consume(request):
                job = jobs.get()  # jobs = queue.Queue()
        """,
        fix="""
            async def consume(request):
                job = await jobs.get()  # jobs = asyncio.Queue()
        """,
    ),
    RuleSpec(
        code="ASF310",
        name="blocking-sqlite3",
        summary="sqlite3 calls inside async code",
        why=(
            "sqlite3.connect, execute and fetch* do disk I/O and take file locks in the event "
            f"loop thread. In Django, use the ORM's async API instead. {FREEZES}"
        ),
        example="""
            async def stats(request):
                rows = sqlite3.connect(DB).execute("select 1").fetchall()
        """,
        fix="""
            async def stats(request):
                async with aiosqlite.connect(DB) as db:
                    rows = await (await db.execute("select 1")).fetchall()
        """,
    ),
    RuleSpec(
        code="ASF390",
        name="filesystem-metadata",
        summary="filesystem metadata syscalls (os.path.exists, Path.stat, ...) inside async code",
        why=(
            "os.path.exists/isfile/getsize, os.stat/remove/rename/makedirs and the matching "
            "pathlib methods make one short syscall. On a local disk that is usually "
            "microseconds, on NFS or a cold cache it can be much longer. Opt-in, because "
            "most projects accept the cost."
        ),
        example="""
            async def download(request, name):
                if os.path.exists(path):
                    ...
        """,
        fix="""
            async def download(request, name):
                if await aiofiles.os.path.exists(path):
                    ...
        """,
        default_enabled=False,
    ),
)

CHECKERS: tuple[type[Checker], ...] = ()
