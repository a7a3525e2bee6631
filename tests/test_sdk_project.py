"""Receiver tracking across the modules of a project, and the catalog's own consistency."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from conftest import run_cli

from asyncsafe.catalog import builtin_catalog
from asyncsafe.rules.registry import all_rules

MODULES = {
    "proj/__init__.py": "",
    "proj/celery.py": """
        from celery import Celery

        app = Celery("proj")
    """,
    "proj/clients.py": """
        import boto3
        import redis
        from redis.asyncio import Redis as AsyncRedis

        from .celery import app as celery_app

        redis_client = redis.Redis.from_url("redis://")
        async_redis = AsyncRedis()
        s3 = boto3.client("s3")
        settings = {"bucket": "media"}


        class Storage:
            def __init__(self):
                self.bucket = boto3.resource("s3").Bucket(settings["bucket"])
    """,
    "proj/tasks.py": """
        from celery import shared_task

        from proj.celery import app


        @app.task
        def cleanup():
            pass


        @shared_task(bind=True)
        def notify(self, user_id):
            pass


        def plain():
            pass
    """,
    "proj/views.py": """
        from proj import clients
        from proj.clients import Storage, async_redis, celery_app, redis_client, s3, settings
        from proj.tasks import cleanup, notify, plain

        from .tasks import notify as notify_again

        storage = Storage()


        class Base:
            def __init__(self):
                self.cache = redis_client


        class View(Base):
            async def get(self, request):
                redis_client.get("k")
                clients.redis_client.set("k", 1)
                await async_redis.get("k")
                s3.put_object(Bucket="b", Key="k")
                storage.bucket.put_object(Key="k", Body=b"")
                self.cache.incr("n")
                settings.get("bucket")
                cleanup.delay()
                notify.apply_async(args=(1,))
                notify_again.delay(1)
                celery_app.send_task("proj.tasks.cleanup")
                plain()
                cleanup()
    """,
}


def test_clients_and_tasks_defined_in_other_modules(tmp_path: Path) -> None:
    for name, text in MODULES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    result = run_cli(
        "check", "--no-cache", "--format", "json", "--extend-select", "ASF491", ".", cwd=tmp_path
    )
    assert result.returncode == 1, result.stderr
    found = [(d["path"], d["line"], d["code"]) for d in json.loads(result.stdout)]
    views = "proj/views.py"
    assert found == [
        (views, 18, "ASF401"),
        (views, 19, "ASF401"),
        (views, 21, "ASF410"),
        (views, 22, "ASF410"),
        (views, 23, "ASF401"),
        (views, 25, "ASF491"),
        (views, 26, "ASF491"),
        (views, 27, "ASF491"),
        (views, 28, "ASF491"),
    ]


def test_every_catalog_code_is_registered_and_every_sdk_code_is_cataloged() -> None:
    rules = all_rules()
    catalog_codes = builtin_catalog().codes()
    assert catalog_codes <= set(rules), catalog_codes - set(rules)
    sdk_codes = {code for code in rules if code.startswith("ASF4") and code != "ASF400"}
    assert sdk_codes <= catalog_codes, sdk_codes - catalog_codes


def test_wildcard_methods_skip_clean_and_private_names() -> None:
    catalog = builtin_catalog()
    assert catalog.method("redis.Redis", "hgetall") is not None
    assert catalog.method("redis.Redis", "pipeline") is None
    assert catalog.method("redis.Redis", "_execute_command") is None
    assert catalog.method("redis.client.Redis", "get") is not None  # through its base
    blocking = catalog.method("botocore.client.BaseClient", "get_object")
    assert blocking is not None and blocking.what == "boto3 client.get_object()"
    assert catalog.method("botocore.client.BaseClient", "generate_presigned_url") is None
    assert catalog.call("stripe.Customer.create") is not None
    assert catalog.call("stripe.Customer.create_async") is None
