"""ASF4xx: third-party SDK clients. The matching lives in catalog/sdk_*.toml; ASF400 (names from
``[tool.asyncsafe] blocking-calls``) is reported by ``rules.user_calls``."""

from __future__ import annotations

from asyncsafe.engine.tree.events import Checker
from asyncsafe.rules.registry import RuleSpec, register
from asyncsafe.rules.stdlib_http import FREEZES

OPT_IN = (
    "Opt-in, because the cost depends on configuration or on the size of the input, which a "
    "static analyzer cannot see."
)

register(
    RuleSpec(
        code="ASF400",
        name="configured-blocking-call",
        summary="a call your configuration declares blocking ([tool.asyncsafe] blocking-calls)",
        why=(
            "Your pyproject.toml lists this name (an fnmatch pattern over canonical names, or "
            "Type.method for a tracked object) under blocking-calls: an in-house client, a legacy "
            "SDK, anything asyncsafe cannot know blocks. The message carries the suggestion you "
            f"configured. {FREEZES}"
        ),
        example="""
            # pyproject.toml: blocking-calls = { "mycompany.billing.*" = "use mycompany.billing.aio" }
            async def checkout(request):
                billing.charge(order)
        """,
        fix="""
            async def checkout(request):
                await billing_aio.charge(order)
        """,
    ),
    RuleSpec(
        code="ASF401",
        name="blocking-redis",
        summary="a sync redis-py command inside async code",
        why=(
            "Every command on redis.Redis / StrictRedis / RedisCluster / Sentinel, a pipeline's "
            "execute(), pubsub subscribe/get_message/listen and Lock.acquire (which loops with "
            "time.sleep) wait for the Redis server on the event loop thread. redis.Redis() and "
            "from_url() only build a lazy pool and are clean; redis.asyncio is the async twin with "
            f"the same commands. {FREEZES}"
        ),
        example="""
            r = redis.Redis.from_url(REDIS_URL)

            async def counter(request):
                hits = r.incr("hits")
        """,
        fix="""
            r = redis.asyncio.Redis.from_url(REDIS_URL)

            async def counter(request):
                hits = await r.incr("hits")
        """,
    ),
    RuleSpec(
        code="ASF402",
        name="blocking-memcached",
        summary="a sync memcached client call inside async code",
        why=(
            "pymemcache (Client, PooledClient, HashClient, RetryingClient) and python-memcached "
            f"(memcache.Client) wait for the memcached server on the event loop thread. {FREEZES}"
        ),
        example="""
            async def profile(request):
                data = mc.get(f"profile:{request.user_id}")
        """,
        fix="""
            async def profile(request):
                data = await aiomcache_client.get(f"profile:{request.user_id}".encode())
        """,
    ),
    RuleSpec(
        code="ASF403",
        name="blocking-pymongo",
        summary="a sync pymongo query inside async code",
        why=(
            "find_one, insert_*, update_*, delete_*, aggregate, count_documents and iterating a "
            "Cursor on a pymongo.MongoClient wait for MongoDB on the event loop thread. find() "
            "itself is lazy. pymongo.AsyncMongoClient (and motor, deprecated from May 2026) is the "
            f"async twin. {FREEZES}"
        ),
        example="""
            async def article(request, slug):
                doc = client.blog.articles.find_one({"slug": slug})
        """,
        fix="""
            client = pymongo.AsyncMongoClient(MONGO_URL)

            async def article(request, slug):
                doc = await client.blog.articles.find_one({"slug": slug})
        """,
    ),
    RuleSpec(
        code="ASF404",
        name="blocking-postgres-driver",
        summary="a sync psycopg2/psycopg connection used inside async code",
        why=(
            "psycopg2.connect, psycopg.connect, execute/fetch*/commit on their connections and "
            "cursors, and psycopg_pool's getconn/connection() wait for PostgreSQL on the event "
            "loop thread. Django's ORM raises SynchronousOnlyOperation for its own connection, "
            f"but not for a driver you call directly. {FREEZES}"
        ),
        example="""
            async def report(request):
                with psycopg.connect(DSN) as conn:
                    rows = conn.execute("select ...").fetchall()
        """,
        fix="""
            async def report(request):
                async with await psycopg.AsyncConnection.connect(DSN) as conn:
                    rows = await (await conn.execute("select ...")).fetchall()
        """,
    ),
    RuleSpec(
        code="ASF405",
        name="blocking-elasticsearch",
        summary="a sync Elasticsearch client call inside async code",
        why=(
            "Every API method of elasticsearch.Elasticsearch and its namespaces (es.indices, "
            "es.cluster, ...) and the helpers bulk/scan/reindex wait for the cluster on the event "
            f"loop thread. AsyncElasticsearch has the same API, awaited. {FREEZES}"
        ),
        example="""
            async def search(request):
                hits = es.search(index="books", query={"match": {"title": q}})
        """,
        fix="""
            es = elasticsearch.AsyncElasticsearch(ES_URL)

            async def search(request):
                hits = await es.search(index="books", query={"match": {"title": q}})
        """,
    ),
    RuleSpec(
        code="ASF406",
        name="blocking-solr",
        summary="a pysolr call inside async code",
        why=(
            "pysolr.Solr search/add/delete/commit go through a requests.Session and wait for "
            f"Solr on the event loop thread; pysolr has no async API. {FREEZES}"
        ),
        example="""
            async def search(request):
                results = solr.search(q)
        """,
        fix="""
            async def search(request):
                results = await asyncio.to_thread(solr.search, q)
        """,
    ),
    RuleSpec(
        code="ASF407",
        name="blocking-broker-client",
        summary="a sync kombu/pika broker call inside async code",
        why=(
            "kombu Connection.connect/drain_events, SimpleQueue.get/put, Producer.publish and "
            "pika.BlockingConnection (its constructor connects) with every BlockingChannel "
            f"operation wait for the broker on the event loop thread. {FREEZES}"
        ),
        example="""
            async def notify(request):
                channel = pika.BlockingConnection(params).channel()
                channel.basic_publish("", "events", body)
        """,
        fix="""
            async def notify(request):
                connection = await aio_pika.connect_robust(AMQP_URL)
                channel = await connection.channel()
                await channel.default_exchange.publish(aio_pika.Message(body), routing_key="events")
        """,
    ),
    RuleSpec(
        code="ASF410",
        name="blocking-boto3",
        summary="a boto3/botocore operation inside async code",
        why=(
            "Every operation on a boto3 client (get_object, put_object, send_message, invoke, "
            "upload_file, ...), paginator iteration, waiters, and resource actions and collection "
            "iteration make HTTPS calls to AWS on the event loop thread. The receiver is usually "
            "a variable, an attribute or a module-level client; asyncsafe tracks where it was "
            "built. Presigning (generate_presigned_url) is local and clean. "
            f"{FREEZES}"
        ),
        example="""
            s3 = boto3.client("s3")

            async def avatar(request, key):
                body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        """,
        fix="""
            session = aioboto3.Session()

            async def avatar(request, key):
                async with session.client("s3") as s3:
                    body = await (await s3.get_object(Bucket=BUCKET, Key=key))["Body"].read()
        """,
    ),
    RuleSpec(
        code="ASF411",
        name="blocking-gcs",
        summary="a google-cloud-storage call inside async code",
        why=(
            "get_bucket, upload_from_*, download_as_*, exists, reload, delete and iterating "
            "list_blobs() make HTTP calls to Google Cloud Storage on the event loop thread. "
            f"client.bucket(name) and bucket.blob(name) are local and clean. {FREEZES}"
        ),
        example="""
            async def upload(request):
                bucket.blob(name).upload_from_string(data)
        """,
        fix="""
            async def upload(request):
                await asyncio.to_thread(bucket.blob(name).upload_from_string, data)
        """,
    ),
    RuleSpec(
        code="ASF412",
        name="blocking-azure-blob",
        summary="a sync azure-storage-blob call inside async code",
        why=(
            "Operations on BlobServiceClient, ContainerClient and BlobClient (upload_blob, "
            "download_blob().readall(), delete_blob, get_blob_properties, iterating list_blobs()) "
            "wait for Azure on the event loop thread. azure.storage.blob.aio has the same clients, "
            f"awaited. {FREEZES}"
        ),
        example="""
            async def upload(request):
                container.upload_blob(name, data)
        """,
        fix="""
            from azure.storage.blob.aio import ContainerClient

            async def upload(request):
                async with ContainerClient.from_connection_string(CONN, "media") as container:
                    await container.upload_blob(name, data)
        """,
    ),
    RuleSpec(
        code="ASF413",
        name="blocking-stripe",
        summary="a sync Stripe API call inside async code",
        why=(
            "stripe.Customer.create, PaymentIntent.retrieve and every other API resource method, "
            "and StripeClient services (client.v1.customers.create), send an HTTPS request to "
            "Stripe on the event loop thread. Since stripe-python 8.10 every one of them has an "
            f"'_async' twin. {FREEZES}"
        ),
        example="""
            async def checkout(request):
                intent = stripe.PaymentIntent.create(amount=1000, currency="eur")
        """,
        fix="""
            async def checkout(request):
                intent = await stripe.PaymentIntent.create_async(amount=1000, currency="eur")
        """,
    ),
    RuleSpec(
        code="ASF414",
        name="blocking-llm-client",
        summary="a sync OpenAI/Anthropic client call inside async code",
        why=(
            "openai.OpenAI (and the module-level openai.chat...), AzureOpenAI, anthropic.Anthropic "
            "and its Bedrock/Vertex variants wait for the model's whole response on the event loop "
            "thread, often for seconds. AsyncOpenAI and AsyncAnthropic have the same resources, "
            f"awaited. {FREEZES}"
        ),
        example="""
            client = openai.OpenAI()

            async def answer(request):
                reply = client.chat.completions.create(model=MODEL, messages=messages)
        """,
        fix="""
            client = openai.AsyncOpenAI()

            async def answer(request):
                reply = await client.chat.completions.create(model=MODEL, messages=messages)
        """,
    ),
    RuleSpec(
        code="ASF415",
        name="blocking-slack",
        summary="a sync slack_sdk call inside async code",
        why=(
            "Every API method of slack_sdk.WebClient (chat_postMessage, files_upload_v2, "
            "api_call, ...) and WebhookClient.send wait for Slack on the event loop thread. "
            f"AsyncWebClient and AsyncWebhookClient are the async twins. {FREEZES}"
        ),
        example="""
            async def alert(request):
                slack.chat_postMessage(channel="#ops", text="down")
        """,
        fix="""
            slack = AsyncWebClient(token=TOKEN)

            async def alert(request):
                await slack.chat_postMessage(channel="#ops", text="down")
        """,
    ),
    RuleSpec(
        code="ASF416",
        name="blocking-twilio",
        summary="a sync Twilio API call inside async code",
        why=(
            "create, fetch, update, delete, list and stream on twilio.rest.Client resources "
            "(client.messages.create, client.calls(sid).fetch, ...) wait for Twilio on the event "
            "loop thread. Every one has an '_async' twin once the client has an async HTTP client. "
            f"{FREEZES}"
        ),
        example="""
            async def sms(request):
                client.messages.create(to=number, from_=SENDER, body=text)
        """,
        fix="""
            client = Client(SID, TOKEN, http_client=AsyncTwilioHttpClient())

            async def sms(request):
                await client.messages.create_async(to=number, from_=SENDER, body=text)
        """,
    ),
    RuleSpec(
        code="ASF417",
        name="blocking-sendgrid",
        summary="a SendGrid API call inside async code",
        why=(
            "SendGridAPIClient.send and sg.client.<path>.post/get/... send an HTTPS request "
            f"through urllib on the event loop thread; sendgrid has no async API. {FREEZES}"
        ),
        example="""
            async def welcome(request):
                sg.send(message)
        """,
        fix="""
            async def welcome(request):
                await asyncio.to_thread(sg.send, message)
        """,
    ),
    RuleSpec(
        code="ASF418",
        name="blocking-cloudinary",
        summary="a Cloudinary upload or Admin API call inside async code",
        why=(
            "cloudinary.uploader.upload/destroy/explicit/... and the cloudinary.api functions "
            "send HTTPS requests (and upload file contents) on the event loop thread; cloudinary "
            f"has no async API. {FREEZES}"
        ),
        example="""
            async def avatar(request):
                result = cloudinary.uploader.upload(request.FILES["file"])
        """,
        fix="""
            async def avatar(request):
                result = await asyncio.to_thread(cloudinary.uploader.upload, request.FILES["file"])
        """,
    ),
    RuleSpec(
        code="ASF419",
        name="blocking-ssh",
        summary="a paramiko SSH/SFTP call inside async code",
        why=(
            "SSHClient.connect/exec_command/open_sftp, SFTPClient get/put/listdir/open, SFTP file "
            "reads and writes and Channel recv/send wait on the SSH connection on the event loop "
            f"thread. {FREEZES}"
        ),
        example="""
            async def deploy(request):
                ssh.connect(HOST, username="deploy")
                ssh.exec_command("systemctl restart app")
        """,
        fix="""
            async def deploy(request):
                async with asyncssh.connect(HOST, username="deploy") as conn:
                    await conn.run("systemctl restart app")
        """,
    ),
    RuleSpec(
        code="ASF420",
        name="blocking-task-result",
        summary="waiting for a Celery/dramatiq task result inside async code",
        why=(
            "Celery AsyncResult.get()/wait() and GroupResult.join() block until the task has run "
            "on a worker; ready()/successful()/forget() and dramatiq's get_result() are round "
            "trips to the result backend. Unlike publishing, this is never cheap: the event loop "
            f"waits for another process's work. {FREEZES}"
        ),
        example="""
            async def thumbnail(request):
                url = make_thumbnail.delay(image_id).get(timeout=30)
        """,
        fix="""
            async def thumbnail(request):
                result = make_thumbnail.delay(image_id)
                url = await asyncio.to_thread(result.get, timeout=30)
        """,
    ),
    RuleSpec(
        code="ASF421",
        name="blocking-sentry-flush",
        summary="sentry_sdk.flush() inside async code",
        why=(
            "sentry_sdk.flush() waits, up to its timeout (2 s by default), until queued events "
            "are sent. capture_exception/capture_message only queue events for a background "
            f"thread and are clean. {FREEZES}"
        ),
        example="""
            async def shutdown(request):
                sentry_sdk.flush()
        """,
        fix="""
            async def shutdown(request):
                await sentry_sdk.flush_async()
        """,
    ),
    RuleSpec(
        code="ASF490",
        name="sdk-client-setup",
        summary="building an SDK client (boto3.client, storage.Client) inside async code",
        why=(
            "boto3.client()/resource() load the service model JSON from disk and resolve "
            "credentials, which can query the instance metadata service; google.cloud.storage."
            "Client() runs google.auth.default(). The first call per process is the slow one. "
            "Build clients once at startup and share them. " + OPT_IN
        ),
        example="""
            async def upload(request):
                s3 = boto3.client("s3")
        """,
        fix="""
            session = aioboto3.Session()  # module level

            async def upload(request):
                async with session.client("s3") as s3:
                    ...
        """,
        default_enabled=False,
    ),
    RuleSpec(
        code="ASF491",
        name="celery-publish",
        summary="publishing a Celery task (.delay, .apply_async, send_task) inside async code",
        why=(
            "delay()/apply_async() publish to the broker through kombu: a network round trip "
            "that retries (3 times by default) while the broker is down, and with "
            "task_always_eager=True the task runs inline, on the event loop. Tasks are found by "
            "their @shared_task / @app.task decorator, also across modules. " + OPT_IN
        ),
        example="""
            async def signup(request):
                send_welcome_email.delay(user_id)
        """,
        fix="""
            async def signup(request):
                await asyncio.to_thread(send_welcome_email.delay, user_id)
        """,
        default_enabled=False,
    ),
    RuleSpec(
        code="ASF492",
        name="dramatiq-send",
        summary="enqueuing a dramatiq message (.send, .send_with_options) inside async code",
        why=(
            "actor.send() enqueues on the broker (Redis or RabbitMQ): a network round trip on "
            "the event loop thread. dramatiq's AsyncIO middleware is for running async actors in "
            "workers, not for sending. " + OPT_IN
        ),
        example="""
            async def signup(request):
                send_welcome_email.send(user_id)
        """,
        fix="""
            async def signup(request):
                await asyncio.to_thread(send_welcome_email.send, user_id)
        """,
        default_enabled=False,
    ),
    RuleSpec(
        code="ASF493",
        name="cpu-bound-image",
        summary="Pillow image decoding and processing inside async code",
        why=(
            "Image.open reads the file header; load/resize/thumbnail/convert/save decode and "
            "encode pixels, which takes milliseconds to seconds of CPU on the event loop thread. "
            + OPT_IN
        ),
        example="""
            async def thumbnail(request):
                image = Image.open(upload)
                image.thumbnail((128, 128))
        """,
        fix="""
            async def thumbnail(request):
                await asyncio.to_thread(make_thumbnail, upload)
        """,
        default_enabled=False,
    ),
)

CHECKERS: tuple[type[Checker], ...] = ()
