#!/usr/bin/env python3
"""Check that every name in asyncsafe's catalog still exists in the newest release of its package.

Maintenance only: needs the network (PyPI), is not run in CI, and no test depends on it.

    python scripts/check_catalog.py                 # every cataloged package
    python scripts/check_catalog.py redis stripe    # only these distributions

For each distribution (with the packages it is checked together with), the script
``pip download``s the wheels into a temporary directory, installs them from there into a
private target directory, and imports them in a separate interpreter. It then resolves every
cataloged canonical name (calls, constructors, decorators, module-level objects), checks that
each fnmatch call pattern still matches a real name, and that every method, clean method,
return and attribute named for a type exists on the type (or on a representative object built
without any I/O). What is missing is printed as "moved"; the exit status is 1 if anything moved.
Standard-library names are not checked: they depend on the running Python, not on a release.
"""

from __future__ import annotations

import argparse
import fnmatch
import importlib
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

# distribution(s) installed together -> the top-level import names their catalog entries start with
GROUPS: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
    (("requests",), ("requests",)),
    (("requests-html", "lxml_html_clean"), ("requests_html",)),  # lxml >= 5.2 split html.clean out
    (("httpx",), ("httpx",)),
    (("httpx2",), ("httpx2",)),
    (("urllib3",), ("urllib3",)),
    (("pycurl",), ("pycurl",)),
    (("websocket-client",), ("websocket",)),
    (("websockets",), ("websockets",)),
    (("django",), ("django",)),
    (("djangorestframework",), ("rest_framework",)),
    (("adrf",), ("adrf",)),
    (("asgiref",), ("asgiref",)),
    (("channels",), ("channels",)),
    (("anyio",), ("anyio",)),
    (("starlette",), ("starlette",)),
    (("trio",), ("trio",)),
    (("redis",), ("redis",)),
    (("pymemcache",), ("pymemcache",)),
    (("python-memcached",), ("memcache",)),
    (("pymongo",), ("pymongo",)),
    (("psycopg", "psycopg-pool"), ("psycopg", "psycopg_pool")),
    (("psycopg2-binary",), ("psycopg2",)),
    (("elasticsearch",), ("elasticsearch",)),
    (("pysolr",), ("pysolr",)),
    (("kombu",), ("kombu",)),
    (("pika",), ("pika",)),
    (("boto3",), ("boto3", "botocore")),
    (("google-cloud-storage",), ("google.cloud.storage", "google.api_core")),
    (("azure-storage-blob",), ("azure.storage.blob", "azure.core")),
    (("stripe",), ("stripe",)),
    (("openai",), ("openai",)),
    (("anthropic",), ("anthropic",)),
    (("slack_sdk",), ("slack_sdk",)),
    (("twilio",), ("twilio",)),
    (("sendgrid",), ("sendgrid", "python_http_client")),
    (("cloudinary",), ("cloudinary",)),
    (("sentry-sdk",), ("sentry_sdk",)),
    (("paramiko",), ("paramiko",)),
    (("celery",), ("celery",)),
    (("dramatiq",), ("dramatiq",)),
    (("Pillow",), ("PIL",)),
]

FAKE_AWS = "region_name='us-east-1', aws_access_key_id='x', aws_secret_access_key='x'"

# Objects to check a type's members against when the type name is not an importable class
# (a pseudo type shared by many generated classes) or its members only exist on instances.
# Every expression builds its object without I/O.
REPRESENTATIVES: dict[str, list[str]] = {
    "botocore.client.BaseClient": [f"boto3.client('s3', {FAKE_AWS})", f"boto3.client('rds', {FAKE_AWS})", f"boto3.client('dsql', {FAKE_AWS})"],
    "boto3.resources.base.ServiceResource": [
        f"boto3.resource('{service}', {FAKE_AWS})" for service in ("s3", "sqs", "dynamodb", "ec2", "iam", "sns")
    ] + [
        f"boto3.resource('s3', {FAKE_AWS}).Bucket('b')",
        f"boto3.resource('sqs', {FAKE_AWS}).Queue('https://sqs.us-east-1.amazonaws.com/1/q')",
        f"boto3.resource('dynamodb', {FAKE_AWS}).Table('t')",
    ],
    "boto3.resources.collection.ResourceCollection": [
        "boto3.resources.collection.ResourceCollection", "boto3.resources.collection.CollectionManager",
    ],
    "stripe.StripeService": ["stripe.StripeClient('sk_test_x').v1.customers"],
    "openai.resources.SyncAPIResource": [
        "openai.OpenAI(api_key='x').webhooks", "openai.OpenAI(api_key='x').beta.agents.sessions.artifacts",
    ],
    "anthropic.resources.SyncAPIResource": ["anthropic.Anthropic(api_key='x').beta.webhooks"],
    "twilio.base.Resource": [
        "twilio.rest.Client('ACx', 'x').api.v2010.account.messages",
        "twilio.rest.Client('ACx', 'x').api.v2010.account.messages('SMx')",
        "twilio.rest.conversations.v2.configuration.ConfigurationContext",
    ],
    "elasticsearch.Elasticsearch": ["elasticsearch.Elasticsearch('http://localhost:9200')"],
    "elasticsearch.NamespacedClient": ["elasticsearch.Elasticsearch('http://localhost:9200').indices"],
    "sendgrid.SendGridAPIClient": ["sendgrid.SendGridAPIClient('x')"],
    "python_http_client.Client": ["python_http_client.Client('https://api.example.com')"],
    "websockets.sync.Connection": ["websockets.sync.connection.Connection"],
    "google.api_core.page_iterator.Iterator": ["google.api_core.page_iterator.Iterator"],
    "channels.session": ["django.contrib.sessions.backends.base.SessionBase"],  # scope["session"]
}


# Members that exist only on instances at run time (set by middleware on each request).
UNCHECKED = frozenset(("django.http.HttpRequest.user", "django.http.HttpRequest.session"))


@dataclass
class Checks:
    """What to verify inside the interpreter that has the packages installed."""

    names: set[str] = field(default_factory=set)
    patterns: set[str] = field(default_factory=set)
    members: dict[str, tuple[list[str], set[str]]] = field(default_factory=dict)  # type -> (objects, names)

    def as_json(self) -> str:
        return json.dumps({
            "names": sorted(self.names),
            "patterns": sorted(self.patterns),
            "members": {t: [objs, sorted(ms)] for t, (objs, ms) in sorted(self.members.items())},
        })


def _root(name: str, roots: tuple[str, ...]) -> bool:
    return any(name == r or name.startswith(r + ".") for r in roots)


def collect(roots: tuple[str, ...]) -> Checks:
    from asyncsafe.catalog import builtin_catalog, is_pattern

    catalog = builtin_catalog()
    checks = Checks()
    plain = [*catalog.calls, *catalog.constructors, *catalog.decorators, *catalog.instances, *catalog.offloaders]
    checks.names.update(n for n in plain if _root(n, roots))
    for group in catalog.call_patterns.patterns.values():
        checks.patterns.update(p for p, _ in group if _root(p, roots))
    for name, spec in catalog.types.items():
        members = {*spec.methods, *spec.clean, *spec.returns, *spec.attributes} - {"__call__"}
        members = {m for m in members if not is_pattern(m) and f"{name}.{m}" not in UNCHECKED}
        if name in REPRESENTATIVES:  # checked with the group of the type's own package
            objects = REPRESENTATIVES[name] if _root(name, roots) else []
        else:
            makers = [m for m, made in catalog.constructors.items() if made == name]
            objects = [o for o in (name, *makers) if _root(o, roots)]
        if members and objects:
            checks.members[name] = (objects, members)
    return checks


# --- inside the interpreter with the packages -----------------------------------------------
def resolve(name: str) -> Any:
    """Import the longest importable module prefix, then follow attributes."""
    parts = name.split(".")
    failure: ImportError | None = None
    for cut in range(len(parts), 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError as exc:
            failure = exc  # the last one is the package itself: the informative one
            continue
        for attribute in parts[cut:]:
            found = getattr(found, attribute)
        return found
    raise ImportError(f"cannot import {parts[0]}: {failure}")


def build(expression: str) -> Any:
    path = expression.split("(")[0]
    if path == expression:
        return resolve(expression)
    parts = path.split(".")
    for cut in range(1, len(parts) + 1):  # load the submodules the expression goes through
        try:
            importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            break
    return eval(expression, {parts[0]: sys.modules[parts[0]]})  # noqa: S307 - the table above


def public_names(module: Any) -> set[str]:
    """A module's names, including the ones it imports lazily (``__all__``, stripe's
    ``_import_map``)."""
    lazy = getattr(module, "_import_map", None)
    return {
        *(n for n in dir(module) if not n.startswith("_")),
        *getattr(module, "__all__", ()),
        *(lazy if isinstance(lazy, dict) else ()),
    }


def pattern_matches(pattern: str) -> bool:
    """Some real ``root.X.method`` or ``root.ns.X.method`` matches ``root.*.method``."""
    root, _, rest = pattern.partition(".")
    method = rest.rsplit(".", 1)[-1]
    module = importlib.import_module(root)
    for name in sorted(public_names(module)):
        try:
            owner = getattr(module, name)
        except Exception:
            continue
        owners = [(f"{root}.{name}", owner)]
        if isinstance(owner, type(module)):
            owners += [(f"{root}.{name}.{n}", getattr(owner, n, None)) for n in public_names(owner)]
        for qualname, candidate in owners:
            if fnmatch.fnmatchcase(f"{qualname}.{method}", pattern) and hasattr(candidate, method):
                return True
    return False


def configure_django() -> None:
    """Django's settings-backed names (cache, connection, auth models) need configured settings."""
    try:
        django = importlib.import_module("django")
        settings = importlib.import_module("django.conf").settings
    except ImportError:
        return
    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "django.contrib.sessions"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    )
    django.setup()


def inside(payload: dict[str, Any]) -> dict[str, Any]:
    configure_django()
    moved: list[str] = []
    for name in payload["names"]:
        try:
            resolve(name)
        except Exception as exc:
            moved.append(f"{name}: {type(exc).__name__}: {exc}")
    for pattern in payload["patterns"]:
        if not pattern_matches(pattern):
            moved.append(f"{pattern}: matches no name any more")
    notes: list[str] = []
    for type_name, (expressions, members) in payload["members"].items():
        objects = []
        for expression in expressions:
            try:
                objects.append(build(expression))
            except Exception as exc:
                notes.append(f"{type_name}: cannot build {expression}: {type(exc).__name__}: {exc}")
        if not objects:
            moved.append(f"{type_name}: no importable class or representative to check members on")
            continue
        missing = [m for m in members if not any(hasattr(o, m) for o in objects)]
        moved.extend(f"{type_name}.{m}: no such member" for m in sorted(missing))
    return {"moved": moved, "notes": notes}


# --- outside: download, install, run ---------------------------------------------------------
def pip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True)


def installed_versions(target: Path) -> list[str]:
    return sorted(
        p.name.removesuffix(".dist-info") for p in target.glob("*.dist-info")
    )


def check_group(dists: tuple[str, ...], roots: tuple[str, ...], wheels: Path, sites: Path) -> bool:
    checks = collect(roots)
    label = " + ".join(dists)
    downloaded = pip("download", "--quiet", "--dest", str(wheels), *dists)
    if downloaded.returncode != 0:
        print(f"{label}: could not download: {downloaded.stderr.strip().splitlines()[-1:]}")
        return False
    target = sites / dists[0]
    # --find-links prefers the downloaded files; the index is only asked for an sdist's build tools.
    installed = pip("install", "--quiet", "--find-links", str(wheels), "--target", str(target), *dists)
    if installed.returncode != 0:
        print(f"{label}: could not install: {installed.stderr.strip().splitlines()[-1:]}")
        return False
    result = subprocess.run(
        [sys.executable, __file__, "--inside", str(target)],
        input=checks.as_json(), capture_output=True, text=True,
    )
    if result.returncode != 0:
        print(f"{label}: the check itself failed:\n{result.stderr}")
        return False
    report = json.loads(result.stdout)
    versions = [v for v in installed_versions(target) if _dist_matches(v, dists)]
    counted = len(checks.names) + len(checks.patterns) + sum(len(m) for _, m in checks.members.values())
    status = "ok" if not report["moved"] else f"{len(report['moved'])} moved"
    print(f"{label} ({', '.join(versions)}): {counted} names checked, {status}")
    for line in report["moved"]:
        print(f"    moved: {line}")
    for line in report["notes"]:
        print(f"    note: {line}")
    return not report["moved"]


def _dist_matches(dist_info: str, dists: tuple[str, ...]) -> bool:
    name = dist_info.rsplit("-", 1)[0].lower().replace("_", "-")
    return name in {d.lower().replace("_", "-") for d in dists}


def unmapped_roots() -> set[str]:
    """Third-party roots in the catalog that no group covers (a new family needs a row)."""
    from asyncsafe.catalog import builtin_catalog

    catalog = builtin_catalog()
    covered = tuple(r for _, roots in GROUPS for r in roots)
    names = [*catalog.calls, *catalog.constructors, *catalog.decorators, *catalog.instances,
             *catalog.offloaders, *catalog.types]
    tops = {n.split(".")[0] for n in names if not _root(n, covered)}
    # "asyncsafe.*" names are the catalog's own pseudo types (e.g. a Channels scope)
    return {t for t in tops if t not in sys.stdlib_module_names and t not in ("builtins", "asyncsafe")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("distributions", nargs="*", help="check only these (default: all)")
    parser.add_argument("--inside", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        sys.path.insert(0, args.inside)
        print(json.dumps(inside(json.loads(sys.stdin.read()))))
        return 0
    wanted = {d.lower() for d in args.distributions}
    groups = [g for g in GROUPS if not wanted or wanted & {d.lower() for d in g[0]}]
    ok = True
    with tempfile.TemporaryDirectory(prefix="asyncsafe-catalog-") as temp:
        wheels, sites = Path(temp, "wheels"), Path(temp, "sites")
        for dists, roots in groups:
            ok = check_group(dists, roots, wheels, sites) and ok
    for root in sorted(unmapped_roots()):
        print(f"not checked: catalog names under {root!r} have no row in GROUPS")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
