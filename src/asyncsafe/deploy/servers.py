"""Server command lines in Procfile, Dockerfile (CMD/ENTRYPOINT/ENV), docker-compose
``command:``, gunicorn.conf.py and uwsgi.ini: which server runs which module, over which
protocol, with which settings module."""

from __future__ import annotations

import ast
import os
import re
import shlex
from dataclasses import dataclass

from asyncsafe.deploy.files import ProjectFiles
from asyncsafe.deploy.values import Where

ASGI_SERVERS = frozenset({"uvicorn", "daphne", "hypercorn", "granian"})
WSGI_SERVERS = frozenset({"gunicorn", "uwsgi", "waitress-serve", "mod_wsgi-express"})
ASGI_WORKER = re.compile(r"uvicorn|asgi", re.IGNORECASE)
# Options of these servers that take a value: the value is not the app's import path.
VALUE_OPTIONS = frozenset({
    "-k", "--worker-class", "-w", "--workers", "-b", "--bind", "--log-file", "--log-level",
    "-c", "--config", "--chdir", "--env", "-e", "--host", "--port", "-p", "--timeout", "-t",
    "--threads", "--max-requests", "--access-logfile", "--error-logfile", "--pythonpath",
    "--worker-connections", "--graceful-timeout", "--keep-alive", "--forwarded-allow-ips",
    "--root-path", "--uds", "--fd", "--log-config", "--name", "-n", "--user", "-u", "--group",
    "-g", "--certfile", "--keyfile", "--limit-concurrency", "--backlog", "--ws", "--http",
    "--loop", "--lifespan", "--app-dir", "--interface", "--settings", "--max-requests-jitter",
    "--worker-tmp-dir", "--proxy-headers-trusted-hosts", "--access-log-format",
})
SETTINGS_ENV = re.compile(r"DJANGO_SETTINGS_MODULE[=\s]+[\"']?([A-Za-z_][\w.]*)")
TARGET = re.compile(r"^[A-Za-z_][\w.]*(:[A-Za-z_]\w*)?$")
SETTINGS_OPTION = re.compile(r"--settings[=\s]+[\"']?([A-Za-z_][\w.]*)")
CONFIG_FILES = ("Procfile", "Dockerfile", "docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml")


@dataclass(frozen=True)
class ServerCommand:
    where: Where
    server: str
    protocol: str  # "asgi" or "wsgi"
    target: str | None  # "proj.asgi:application" (module[:attribute])
    worker: str | None  # gunicorn worker class, when given

    @property
    def target_module(self) -> str | None:
        return self.target.split(":")[0] if self.target else None

    @property
    def target_attribute(self) -> str:
        return self.target.split(":")[1] if self.target and ":" in self.target else "application"

    def describe(self, root: str) -> str:
        worker = f" -k {self.worker}" if self.worker else ""
        what = f" {self.target}" if self.target else ""
        return f"{_relative(self.where.path, root)}:{self.where.line} runs {self.server}{worker}{what}"


@dataclass(frozen=True)
class SettingsName:
    name: str
    where: Where


def config_files(root: str, extra_dirs: list[str]) -> list[str]:
    seen: list[str] = []
    for directory in (root, *extra_dirs):
        for name in (*CONFIG_FILES, "gunicorn.conf.py", "uwsgi.ini"):
            path = os.path.join(directory, name)
            if os.path.isfile(path) and os.path.abspath(path) not in map(os.path.abspath, seen):
                seen.append(path)
    return seen


def read_servers(files: ProjectFiles, paths: list[str]) -> tuple[list[ServerCommand], list[SettingsName]]:
    """Every server command and every DJANGO_SETTINGS_MODULE the configuration files name."""
    commands: list[ServerCommand] = []
    names: list[SettingsName] = []
    gunicorn_worker = _gunicorn_conf_worker(files, paths)
    for path in paths:
        text = files.text(path)
        if text is None:
            continue
        if os.path.basename(path) == "uwsgi.ini":
            commands.extend(_uwsgi(path, text))
            continue
        if os.path.basename(path) == "gunicorn.conf.py":
            commands.extend(_gunicorn_conf_app(path, text, gunicorn_worker))
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            for match in (*SETTINGS_ENV.finditer(line), *SETTINGS_OPTION.finditer(line)):
                names.append(SettingsName(match.group(1), Where(path, number, match.start(1))))
            command = _command(path, number, line, gunicorn_worker)
            if command is not None:
                commands.append(command)
    return commands, names


def _command(path: str, number: int, line: str, conf_worker: str | None) -> ServerCommand | None:
    tokens = _tokens(line)
    for index, token in enumerate(tokens):
        server = os.path.basename(token)
        if server in ASGI_SERVERS or server in WSGI_SERVERS:
            rest = tokens[index + 1:]
            worker = _option(rest, ("-k", "--worker-class")) or (conf_worker if server == "gunicorn" else None)
            protocol = "asgi" if server in ASGI_SERVERS or (worker and ASGI_WORKER.search(worker)) else "wsgi"
            if server == "granian" and (_option(rest, ("--interface",)) or "").startswith("wsgi"):
                protocol = "wsgi"
            if server == "uwsgi":
                target = _option(rest, ("--module", "-w"))
            else:
                target = _positional(rest)
            return ServerCommand(Where(path, number, line.find(token)), server, protocol, target, worker)
    return None


def _tokens(line: str) -> list[str]:
    text = line.split("#", 1)[0] if not line.lstrip().startswith(("CMD", "ENTRYPOINT")) else line
    text = re.sub(r"^\s*\w[\w-]*:\s*", "", text)  # "web: gunicorn ...", "command: ..."
    text = text.replace("[", " ").replace("]", " ").replace(",", " ")
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _option(tokens: list[str], names: tuple[str, ...]) -> str | None:
    for index, token in enumerate(tokens):
        for name in names:
            if token == name and index + 1 < len(tokens):
                return tokens[index + 1]
            if token.startswith(name + "="):
                return token.split("=", 1)[1]
    return None


def _positional(tokens: list[str]) -> str | None:
    skip = False
    for token in tokens:
        if skip:
            skip = False
            continue
        if token.startswith("-"):
            skip = token in VALUE_OPTIONS
            continue
        if token in ("&&", ";", "|"):
            return None
        if TARGET.match(token) and ("." in token or ":" in token):
            return token
    return None


def _gunicorn_conf_worker(files: ProjectFiles, paths: list[str]) -> str | None:
    for path in paths:
        if os.path.basename(path) == "gunicorn.conf.py":
            value = _conf_string(files.text(path) or "", "worker_class")
            if value is not None:
                return value
    return None


def _gunicorn_conf_app(path: str, text: str, worker: str | None) -> list[ServerCommand]:
    app = _conf_string(text, "wsgi_app")
    if app is None:
        return []
    line = next((n for n, row in enumerate(text.splitlines(), 1) if "wsgi_app" in row), 1)
    protocol = "asgi" if worker and ASGI_WORKER.search(worker) else "wsgi"
    return [ServerCommand(Where(path, line, 0), "gunicorn", protocol, app, worker)]


def _conf_string(text: str, name: str) -> str | None:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                return node.value.value
    return None


def _uwsgi(path: str, text: str) -> list[ServerCommand]:
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.match(r"\s*(module|wsgi-file|wsgi)\s*=\s*(\S+)", line)
        if match:
            target = match.group(2)
            if match.group(1) == "wsgi-file":
                target = target.removesuffix(".py").replace("/", ".")
            return [ServerCommand(Where(path, number, 0), "uwsgi", "wsgi", target, None)]
    return []


def _relative(path: str, root: str) -> str:
    try:
        relative = os.path.relpath(path, root)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative.replace(os.sep, "/")
