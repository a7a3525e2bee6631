"""The Django model index, the ORM types, version-aware advice and fixes (ASF1xx)."""

from __future__ import annotations

import json
import pickle
import textwrap
from dataclasses import replace
from pathlib import Path

import libcst as cst
import pytest
from conftest import FIXTURES, run_cli
from markers import fixture_settings

from asyncsafe.catalog import builtin_catalog
from asyncsafe.config import Settings
from asyncsafe.django.index import ModelIndex
from asyncsafe.django.orm import QUERYSET, OrmTypes
from asyncsafe.django.schema import RelationKind
from asyncsafe.engine.facts.context import build_context
from asyncsafe.engine.facts.project import Project
from asyncsafe.engine.input.source import Source
from asyncsafe.engine.tree.events import Finding
from asyncsafe.engine.tree.walker import Walker
from asyncsafe.rules import ruleset
from asyncsafe.run.analyze import analyze_source

ALL = Settings(select=("ALL",))
FIXTURE_PROJECT = FIXTURES / "django_orm"

MODELS = """
    from django.db import models


    class Tag(models.Model):
        label = models.CharField(max_length=10)


    class Book(models.Model):
        title = models.CharField(max_length=10)
        author = models.ForeignKey("Author", on_delete=models.CASCADE)
        tags = models.ManyToManyField(Tag)
"""
AUTHOR = """
    from django.db import models


    class Author(models.Model):
        name = models.CharField(max_length=10)
"""


def write_project(root: Path, files: dict[str, str]) -> Path:
    """A package ``shop`` (plus any other files) under ``root``; returns the package path."""
    for name, text in {"shop/__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root / "shop"


def fixture_index() -> ModelIndex:
    return ModelIndex.for_project(Project(str(FIXTURE_PROJECT), ALL))


def findings(
    package: Path, name: str, text: str, settings: Settings = ALL
) -> tuple[cst.Module, list[Finding]]:
    """The walked tree and every finding (async and sync functions) of module ``name``."""
    path = package / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    module = cst.parse_module(path.read_text(encoding="utf-8"))
    ctx = build_context(
        str(path), settings, builtin_catalog(), ruleset(), Project(str(package), settings, rules=ruleset())
    )
    Walker(ctx, ruleset().instantiate(ctx)).run(module)
    return module, ctx.findings


def apply_fixes(module: cst.Module, found: list[Finding]) -> str:
    replacements = {id(f.fix.target): f.fix.replacement for f in found if f.fix is not None}

    class Apply(cst.CSTTransformer):
        def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode) -> cst.CSTNode:
            return replacements.get(id(original), updated)  # type: ignore[return-value]

    return module.visit(Apply()).code


# --- the index -------------------------------------------------------------------------------------
def test_models_are_found_through_bases_in_other_modules() -> None:
    index = fixture_index()
    book = index.model("django_orm.models.Book")
    assert book is not None and not book.abstract
    assert {"title", "created"} <= book.fields  # `created` comes from common.TimeStamped
    assert index.model("django_orm.common.TimeStamped").abstract  # type: ignore[union-attr]
    assert index.canonical("django_orm.library.models.Loan") == "django_orm.library.models.loans.Loan"
    assert index.is_model("django_orm.library.models.Loan")  # re-exported with `import *`
    user = index.model("django_orm.accounts.models.User")
    assert user is not None and "username" in user.fields  # from django.contrib.auth's AbstractUser
    for not_a_model in ("django_orm.common.NotAModel", "django_orm.models.BookQuerySet", "django_orm.views.Ticket"):
        assert not index.is_model(not_a_model)


def test_relations_resolve_strings_labels_and_the_user_model() -> None:
    index = fixture_index()
    book = index.model("django_orm.models.Book")
    loan = index.model("django_orm.library.models.loans.Loan")
    assert book is not None and loan is not None
    targets = {name: index.target(book, r) for name, r in book.relations.items()}
    assert targets == {
        "author": "django_orm.models.Author",
        "publisher": "django_orm.models.Publisher",  # "Publisher": same app
        "tags": "django_orm.models.Tag",
        "comments": "django_orm.models.Comment",
        "created_by": "django_orm.accounts.models.User",  # settings.AUTH_USER_MODEL
    }
    assert loan.app_label == "lending"  # LibraryConfig.label
    assert index.target(loan, loan.relations["member"]) == "django_orm.library.models.loans.Member"
    assert index.target(loan, loan.relations["book"]) == "django_orm.models.Book"
    assert index.user_model() == "django_orm.accounts.models.User"


def test_reverse_accessors() -> None:
    index = fixture_index()

    def accessor(model: str, name: str) -> tuple[RelationKind, str | None] | None:
        holder = index.model(model)
        assert holder is not None
        relation = index.relation(holder, name)
        return (relation.kind, index.target(holder, relation)) if relation else None

    models, user = "django_orm.models", "django_orm.accounts.models.User"
    assert accessor(f"{models}.Author", "books") == (RelationKind.REVERSE_FOREIGN_KEY, f"{models}.Book")
    assert accessor(f"{models}.Publisher", "book_set") == (RelationKind.REVERSE_FOREIGN_KEY, f"{models}.Book")
    assert accessor(f"{models}.Tag", "book_set") == (RelationKind.REVERSE_MANY_TO_MANY, f"{models}.Book")
    assert accessor(f"{models}.Book", "isbn") == (RelationKind.REVERSE_ONE_TO_ONE, f"{models}.Isbn")
    assert accessor(f"{models}.Book", "ebook") == (RelationKind.REVERSE_ONE_TO_ONE, f"{models}.Ebook")
    assert accessor(user, "profile") == (RelationKind.REVERSE_ONE_TO_ONE, "django_orm.accounts.models.Profile")
    assert accessor(user, "book_created") == (RelationKind.REVERSE_FOREIGN_KEY, f"{models}.Book")  # %(class)s
    assert accessor(f"{models}.Ebook", "isbn") is not None  # inherited from the concrete parent
    assert accessor(f"{models}.Publisher", "ebook_set") is None  # the FK lives on Book's table only
    assert accessor("django.contrib.auth.models.Group", "user_set") == (RelationKind.REVERSE_MANY_TO_MANY, user)


def test_reverse_accessors_respect_plus_and_symmetrical(tmp_path: Path) -> None:
    package = write_project(
        tmp_path,
        {
            "shop/models.py": """
                from django.db import models

                class Person(models.Model):
                    friends = models.ManyToManyField("self")
                    follows = models.ManyToManyField("self", symmetrical=False, related_name="followers")
                    boss = models.ForeignKey("self", null=True, on_delete=models.SET_NULL, related_name="+")
            """
        },
    )
    index = ModelIndex.for_project(Project(str(package), ALL))
    person = index.model("shop.models.Person")
    assert person is not None
    assert set(index.reverse_accessors("shop.models.Person")) == {"followers"}


def test_managers_and_custom_querysets() -> None:
    index = fixture_index()
    book = index.model("django_orm.models.Book")
    assert book is not None
    assert book.manager("objects") == index.manager_spec("django_orm.models.BookManager")
    assert book.manager("objects").queryset_class == "django_orm.models.BookQuerySet"  # type: ignore[union-attr]
    assert book.manager("listed").queryset_class == "django_orm.models.BookQuerySet"  # type: ignore[union-attr]
    assert book.manager("_default_manager") == book.manager("objects")
    tag = index.model("django_orm.models.Tag")
    assert tag is not None and tag.manager("objects") is not None  # the implicit default manager
    kinds = {
        name: index.method_kind("django_orm.models.BookQuerySet", name)
        for name in ("published", "by", "total_pages", "apublished_count")
    }
    assert kinds["published"].returns_queryset and kinds["by"].returns_queryset  # type: ignore[union-attr]
    assert kinds["total_pages"].evaluates == "aggregate()"  # type: ignore[union-attr]
    assert kinds["apublished_count"].is_async  # type: ignore[union-attr]


def test_declared_managers_replace_objects(tmp_path: Path) -> None:
    package = write_project(
        tmp_path,
        {
            "shop/models.py": """
                from django.db import models

                class LiveQuerySet(models.QuerySet):
                    pass

                LiveManager = models.Manager.from_queryset(LiveQuerySet)

                class Event(models.Model):
                    live = LiveManager()
            """
        },
    )
    index = ModelIndex.for_project(Project(str(package), ALL))
    event = index.model("shop.models.Event")
    assert event is not None
    assert event.manager("objects") is None  # Django adds `objects` only when none is declared
    assert event.manager("live").queryset_class == "shop.models.LiveQuerySet"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("settings_files", "expected"),
    [
        ({}, "django.contrib.auth.models.User"),
        ({"shop/settings.py": 'AUTH_USER_MODEL = "shop.Customer"'}, "shop.models.Customer"),
        (
            {"shop/settings.py": 'AUTH_USER_MODEL = "shop.Customer"', "shop/other.py": 'AUTH_USER_MODEL = "auth.User"'},
            None,  # settings modules disagree: no guess
        ),
    ],
)
def test_user_model_setting(tmp_path: Path, settings_files: dict[str, str], expected: str | None) -> None:
    customer = """
        from django.contrib.auth.models import AbstractUser

        class Customer(AbstractUser):
            pass
    """
    package = write_project(tmp_path, {"shop/models.py": customer, **settings_files})
    assert ModelIndex.for_project(Project(str(package), ALL)).user_model() == expected


def test_index_is_lazy_and_prefiltered(tmp_path: Path) -> None:
    package = write_project(
        tmp_path,
        {
            "shop/models.py": MODELS,
            "shop/authors.py": AUTHOR,
            "shop/utils.py": "def helper():\n    return 1\n",
            "shop/forms.py": "from django import forms\n\nclass BookForm(forms.Form):\n    pass\n",
            "shop/migrations/__init__.py": "",
            "shop/migrations/0001_initial.py": (
                "from django.db import migrations, models\n\n"
                "class Migration(migrations.Migration):\n"
                "    operations = [models.ForeignKey('shop.Author', on_delete=models.CASCADE)]\n"
            ),
        },
    )
    index = ModelIndex.for_project(Project(str(package), ALL))
    assert index._summaries == {}  # nothing is parsed before a question is asked
    assert set(index.reverse_accessors("shop.authors.Author")) == {"book_set"}
    parsed = {module for module, summary in index._summaries.items() if summary is not None}
    assert parsed == {"shop.models", "shop.authors"}  # the relation, and the "Author" it names
    assert not {"shop.utils", "shop.forms", "shop.migrations.0001_initial"} & set(index._summaries)


def test_index_pickles_for_worker_processes() -> None:
    project = Project(str(FIXTURE_PROJECT), ALL)
    index = ModelIndex.for_project(project)
    accessors = index.reverse_accessors("django_orm.models.Book")
    copy = pickle.loads(pickle.dumps(project))
    again = ModelIndex.for_project(copy)
    assert again is not index and again.reverse_accessors("django_orm.models.Book") == accessors
    fresh = ModelIndex(Project(str(FIXTURE_PROJECT), ALL))  # or rebuilt from scratch
    assert fresh.reverse_accessors("django_orm.models.Book") == accessors


# --- the provider's API ------------------------------------------------------------------------------
def test_provider_api_for_other_rules() -> None:
    path = FIXTURE_PROJECT / "views.py"
    ctx = build_context(
        str(path), ALL, builtin_catalog(), ruleset(), Project(str(FIXTURE_PROJECT), ALL, rules=ruleset())
    )
    orm = OrmTypes.of(ctx)
    resolve = ctx.resolver.resolve
    Walker(ctx, []).run(cst.parse_module(path.read_text(encoding="utf-8")))  # module bindings
    qs = resolve(cst.parse_expression("Book.objects.filter(pk=1)"))
    kind, info = orm.queryset(qs)  # type: ignore[misc]
    assert kind == QUERYSET and info.model == "django_orm.models.Book"
    assert orm.model_class(resolve(cst.parse_expression("User")))[1].qualname == "django_orm.accounts.models.User"  # type: ignore[union-attr]
    row = resolve(cst.parse_expression("Book.objects.get(pk=1)"))
    assert orm.instance_model(row).qualname == "django_orm.models.Book"  # type: ignore[union-attr]
    assert orm.queryset(resolve(cst.parse_expression("NotAModel.objects"))) is None
    user = orm.instance_of(orm.user_model() or "")
    assert user is not None and orm.instance_model(user).name == "User"  # type: ignore[union-attr]
    profile = orm.index.relation(orm.instance_model(user), "profile")  # type: ignore[arg-type]
    assert profile is not None and profile.kind is RelationKind.REVERSE_ONE_TO_ONE
    assert orm.instance_of("django_orm.common.NotAModel") is None


# --- advice by Django version ---------------------------------------------------------------------
VERSIONED_VIEW = """
    from django.core.paginator import Paginator
    from django.db.models import prefetch_related_objects
    from django.shortcuts import get_object_or_404

    from .models import Book


    async def view(request, pk, tag):
        book = Book.objects.get(pk=pk)
        book.save()
        book.tags.add(tag)
        rows = [b for b in Book.objects.all()]
        other = get_object_or_404(Book, pk=pk)
        prefetch_related_objects([other], "tags")
        page = Paginator(Book.objects.all(), 10).page(1)
"""


def versioned_messages(tmp_path: Path, version: str) -> list[str]:
    package = write_project(tmp_path / version, {"shop/models.py": MODELS, "shop/authors.py": AUTHOR})
    text = f'# settings: django-version = "{version}"\n' + textwrap.dedent(VERSIONED_VIEW)
    path = package / "views.py"
    path.write_text(text, encoding="utf-8")
    settings = fixture_settings(text)
    source = Source(str(path), text.encode(), text, "utf-8")
    analysis = analyze_source(source, settings, project=Project(str(package), settings))
    return [f"{d.code} {d.message}" for d in analysis.diagnostics]


def test_same_code_different_advice_by_version(tmp_path: Path) -> None:
    old, new = versioned_messages(tmp_path, "4.1"), versioned_messages(tmp_path, "5.2")
    assert [m.split()[0] for m in old] == [m.split()[0] for m in new]  # same findings
    joined_old, joined_new = "\n".join(old), "\n".join(new)
    assert "'await Book.objects.aget(...)'" in joined_old  # aget exists in 4.1
    assert "sync_to_async(book.save)" in joined_old and "asave() arrives in Django 4.2" in joined_old
    assert "'await book.asave(...)'" in joined_new
    assert "aadd() arrives in Django 4.2" in joined_old and "'await book.tags.aadd(...)'" in joined_new
    assert "aget_object_or_404 arrives in Django 5.0" in joined_old and "'await aget_object_or_404(...)'" in joined_new
    assert "aprefetch_related_objects arrives in Django 5.0" in joined_old
    assert "AsyncPaginator arrives in Django 6.0" in joined_new
    assert "an AsyncPaginator" in "\n".join(versioned_messages(tmp_path, "6.0"))
    assert "async iteration arrives in Django 4.1" in "\n".join(versioned_messages(tmp_path, "4.0"))


# --- fixes ---------------------------------------------------------------------------------------------
FIXABLE = """
    from .models import Book


    async def view(pk, tag):
        book = Book.objects.get(pk=pk)
        title = Book.objects.get(pk=pk).title
        n = (Book.objects.filter(pk=pk).count())
        book.save(update_fields=["title"])
        book.tags.add(tag)
        for b in Book.objects.all():
            print(b)
        rows = [b.title for b in Book.objects.all()]
        by_pk = {b.pk: b for b in Book.objects.all()}
        copy = list(Book.objects.all())
        lazy = list(b for b in Book.objects.all())
        wrong = await Book.objects.get(pk=1)
        later = await sync_to_async(lambda: Book.objects.get(pk=pk))()
"""
FIXED = """
    from .models import Book


    async def view(pk, tag):
        book = await Book.objects.aget(pk=pk)
        title = (await Book.objects.aget(pk=pk)).title
        n = (await Book.objects.filter(pk=pk).acount())
        await book.asave(update_fields=["title"])
        await book.tags.aadd(tag)
        async for b in Book.objects.all():
            print(b)
        rows = [b.title async for b in Book.objects.all()]
        by_pk = {b.pk: b async for b in Book.objects.all()}
        copy = [row async for row in Book.objects.all()]
        lazy = list(b for b in Book.objects.all())
        wrong = await Book.objects.aget(pk=1)
        later = await sync_to_async(lambda: Book.objects.get(pk=pk))()
"""


def test_fixes_rewrite_to_the_async_twin(tmp_path: Path) -> None:
    package = write_project(tmp_path, {"shop/models.py": MODELS, "shop/authors.py": AUTHOR})
    module, found = findings(package, "views.py", FIXABLE, replace(ALL, django_version="5.2"))
    assert apply_fixes(module, found) == textwrap.dedent(FIXED)
    cst.parse_module(textwrap.dedent(FIXED))  # the result is valid Python


def test_no_fix_where_the_twin_does_not_exist(tmp_path: Path) -> None:
    package = write_project(tmp_path, {"shop/models.py": MODELS, "shop/authors.py": AUTHOR})
    _, found = findings(package, "views.py", FIXABLE, replace(ALL, django_version="4.0"))
    assert found and all(f.fix is None for f in found)
    _, found = findings(package, "views.py", FIXABLE, replace(ALL, django_version="4.1"))
    fixed = {f.code for f in found if f.fix is not None}
    unfixed = {f.message.split()[0] for f in found if f.fix is None}
    assert fixed == {"ASF101", "ASF102"}  # the QuerySet API is async from 4.1 ...
    assert {"book.save()", "related"} <= unfixed  # ... Model.asave and related aadd from 4.2


# --- the CLI over a project, through the process pool --------------------------------------------
def test_cli_finds_models_across_files_in_worker_processes(tmp_path: Path) -> None:
    views = {
        f"shop/views_{n}.py": f"""
            from .models import Book

            async def view_{n}(request):
                return Book.objects.get(pk={n})
        """
        for n in range(10)
    }
    write_project(tmp_path, {"shop/models.py": MODELS, "shop/authors.py": AUTHOR, **views})
    result = run_cli("check", "--jobs", "2", "--no-cache", "--format", "json", ".", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    reported = json.loads(result.stdout)
    assert sorted(Path(d["path"]).name for d in reported) == sorted(Path(v).name for v in views)
    assert {d["code"] for d in reported} == {"ASF101"}


def test_canonical_follows_aliases_and_re_exports(tmp_path: Path) -> None:
    package = write_project(
        tmp_path,
        {
            "shop/base.py": "from django.db import models\n\nclass Base(models.Model):\n    class Meta:\n        abstract = True\n",
            "shop/aliases.py": "from shop import base\n\nAlias = base.Base\nLIMIT = 3\n",
            "shop/models.py": "from .aliases import Alias\n\nclass Thing(Alias):\n    pass\n",
        },
    )
    index = ModelIndex.for_project(Project(str(package), ALL))
    assert index.canonical("shop.models.Alias") == "shop.base.Base"
    assert index.is_model("shop.models.Thing")
    assert index.canonical("shop.utils.helper") == "shop.utils.helper"  # no class: not followed


def test_classes_without_django_bases_are_never_parsed(tmp_path: Path) -> None:
    package = write_project(
        tmp_path,
        {
            "shop/models.py": MODELS,
            "shop/authors.py": AUTHOR,
            "shop/services.py": "class Mailer:\n    def send(self):\n        return 1\n",
            "shop/base.py": "from django.db import models\n\nclass Stamped(models.Model):\n    pass\n",
            "shop/deep.py": "from .base import Stamped\n\nclass Deeper(Stamped):\n    pass\n",
        },
    )
    index = ModelIndex.for_project(Project(str(package), ALL))
    assert not index.is_model("shop.services.Mailer")
    assert index.class_kind("shop.services.Mailer") is None
    assert "shop.services" not in index._summaries  # ruled out from the text alone
    assert index.is_model("shop.deep.Deeper")  # Django bases reached through a project class
