"""What the model index knows about a model, and the Django names it starts from.

Plain frozen/picklable data: ``Model`` (fields, forward relations, managers, parents),
``Relation`` (an accessor and the model at the other end), ``ManagerSpec``, ``MethodKind``,
and the models of ``django.contrib.auth``/``contenttypes`` that project models derive from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

MODEL_ROOTS = frozenset({"django.db.models.Model", "django.db.models.base.Model"})
# Well-known third-party models that projects derive theirs from. Their own fields are not known
# (so reading them is never reported); the project's fields, relations and managers are.
THIRD_PARTY_MODEL_BASES = frozenset(
    {
        "django_extensions.db.models.TimeStampedModel",
        "django_extensions.db.models.TitleDescriptionModel",
        "django_extensions.db.models.TitleSlugDescriptionModel",
        "django_extensions.db.models.ActivatorModel",
        "model_utils.models.TimeStampedModel",
        "model_utils.models.TimeFramedModel",
        "model_utils.models.StatusModel",
        "model_utils.models.SoftDeletableModel",
        "model_utils.models.UUIDModel",
        "polymorphic.models.PolymorphicModel",
        "mptt.models.MPTTModel",
        "treebeard.mp_tree.MP_Node",
        "treebeard.ns_tree.NS_Node",
        "treebeard.al_tree.AL_Node",
        "modelcluster.models.ClusterableModel",
        "ordered_model.models.OrderedModel",
        "safedelete.models.SafeDeleteModel",
        "wagtail.models.Page",
        "wagtail.core.models.Page",
    }
)
QUERYSET_ROOTS = frozenset({"django.db.models.QuerySet", "django.db.models.query.QuerySet"})
MANAGER_ROOTS = frozenset(
    {
        "django.db.models.Manager",
        "django.db.models.manager.Manager",
        "django.db.models.manager.BaseManager",
        "django.contrib.auth.base_user.BaseUserManager",
        "django.contrib.auth.models.UserManager",
        "django.contrib.auth.models.GroupManager",
        "django.contrib.auth.models.PermissionManager",
        "django.contrib.contenttypes.models.ContentTypeManager",
    }
)
# Names Django re-exports, mapped to the module that defines them.
EXTERNAL_ALIASES = {
    "django.contrib.auth.models.AbstractBaseUser": "django.contrib.auth.base_user.AbstractBaseUser",
    "django.contrib.auth.models.BaseUserManager": "django.contrib.auth.base_user.BaseUserManager",
    "django.db.models.fields.related.ForeignKey": "django.db.models.ForeignKey",
    "django.db.models.fields.related.OneToOneField": "django.db.models.OneToOneField",
    "django.db.models.fields.related.ManyToManyField": "django.db.models.ManyToManyField",
}
# Django's own file fields and the FieldFile class their attribute holds on an instance.
FILE_FIELDS = {
    "django.db.models.FileField": "django.db.models.fields.files.FieldFile",
    "django.db.models.fields.files.FileField": "django.db.models.fields.files.FieldFile",
    "django.db.models.ImageField": "django.db.models.fields.files.ImageFieldFile",
    "django.db.models.fields.files.ImageField": "django.db.models.fields.files.ImageFieldFile",
}
USER_MODEL_SETTING = "django.conf.settings.AUTH_USER_MODEL"
GET_USER_MODEL = "django.contrib.auth.get_user_model"
DEFAULT_USER_MODEL = "django.contrib.auth.models.User"


class RelationKind(Enum):
    FOREIGN_KEY = "foreign key"
    ONE_TO_ONE = "one-to-one"
    MANY_TO_MANY = "many-to-many"
    GENERIC_FOREIGN_KEY = "generic foreign key"
    GENERIC_RELATION = "generic relation"
    REVERSE_FOREIGN_KEY = "reverse foreign key"
    REVERSE_ONE_TO_ONE = "reverse one-to-one"
    REVERSE_MANY_TO_MANY = "reverse many-to-many"

    @property
    def single_object(self) -> bool:
        """Reading the accessor loads one related object (a query unless cached)."""
        return self in SINGLE_OBJECT

    @property
    def many(self) -> bool:
        """Reading the accessor gives a related manager (lazy)."""
        return not self.single_object


SINGLE_OBJECT = frozenset(
    {
        RelationKind.FOREIGN_KEY,
        RelationKind.ONE_TO_ONE,
        RelationKind.GENERIC_FOREIGN_KEY,
        RelationKind.REVERSE_ONE_TO_ONE,
    }
)
RELATION_FIELDS = {
    "django.db.models.ForeignKey": RelationKind.FOREIGN_KEY,
    "django.db.models.OneToOneField": RelationKind.ONE_TO_ONE,
    "django.db.models.ManyToManyField": RelationKind.MANY_TO_MANY,
    "django.contrib.contenttypes.fields.GenericForeignKey": RelationKind.GENERIC_FOREIGN_KEY,
    "django.contrib.contenttypes.fields.GenericRelation": RelationKind.GENERIC_RELATION,
}
REVERSE_OF = {
    RelationKind.FOREIGN_KEY: RelationKind.REVERSE_FOREIGN_KEY,
    RelationKind.ONE_TO_ONE: RelationKind.REVERSE_ONE_TO_ONE,
    RelationKind.MANY_TO_MANY: RelationKind.REVERSE_MANY_TO_MANY,
}


@dataclass(frozen=True)
class Relation:
    """An accessor on a model instance that reaches other rows.

    ``target`` is how the other model was named: ``"class:<qualname>"``, ``"self"``,
    ``"label:<app>.<Model>"``, ``"name:<Model>"`` (same app), ``"user"`` (the user model), or
    ``None`` (any model, or not resolvable). Resolve it with ``ModelIndex.target``.
    """

    name: str
    kind: RelationKind
    target: str | None
    related_name: str | None = None
    symmetrical: bool = True
    field: str | None = None  # reverse accessors: the forward field on the other model

    @property
    def caches_owner(self) -> bool:
        """Rows reached through it have the forward field back to the owner cached by Django
        (a reverse foreign key manager's known related objects, a reverse one-to-one read)."""
        reverse = (RelationKind.REVERSE_FOREIGN_KEY, RelationKind.REVERSE_ONE_TO_ONE)
        return self.kind in reverse and self.field is not None


@dataclass(frozen=True)
class ManagerSpec:
    """A manager: its class (for custom methods) and the QuerySet class it proxies."""

    manager_class: str | None = None
    queryset_class: str | None = None


@dataclass
class Model:
    qualname: str
    app_label: str
    abstract: bool = False
    fields: frozenset[str] = frozenset()  # concrete, non-relation fields
    primary_keys: frozenset[str] = frozenset()
    files: dict[str, str] = field(default_factory=dict)  # FileField/ImageField -> its FieldFile type
    relations: dict[str, Relation] = field(default_factory=dict)  # forward, incl. inherited
    declared: frozenset[str] = frozenset()  # relations stored in this model's own table
    managers: dict[str, ManagerSpec] = field(default_factory=dict)  # in declaration order
    parents: tuple[str, ...] = ()  # model bases (canonical), nearest first
    concrete_parents: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]

    def manager(self, attribute: str) -> ManagerSpec | None:
        if attribute in self.managers:
            return self.managers[attribute]
        if attribute in ("_default_manager", "_base_manager") or (
            attribute == "objects" and not self.managers
        ):
            return self.default_manager
        return None

    @property
    def default_manager(self) -> ManagerSpec:
        return next(iter(self.managers.values()), ManagerSpec())


@dataclass(frozen=True)
class MethodKind:
    """What a custom QuerySet/manager method does, read from its body."""

    returns_queryset: bool = False
    evaluates: str | None = None  # the first evaluating call inside, e.g. "aggregate()"
    is_async: bool = False


def _builtin_models() -> dict[str, Model]:
    """django.contrib models a project's models derive from or point at."""
    auth = "django.contrib.auth.models"
    group, permission = f"{auth}.Group", f"{auth}.Permission"
    content_type = "django.contrib.contenttypes.models.ContentType"
    user_manager = {"objects": ManagerSpec(f"{auth}.UserManager")}
    base_user = Model(
        "django.contrib.auth.base_user.AbstractBaseUser",
        "auth",
        abstract=True,
        fields=frozenset({"password", "last_login"}),
    )
    permissions_mixin = Model(
        f"{auth}.PermissionsMixin",
        "auth",
        abstract=True,
        fields=frozenset({"is_superuser"}),
        relations={
            "groups": Relation("groups", RelationKind.MANY_TO_MANY, f"class:{group}", "user_set"),
            "user_permissions": Relation(
                "user_permissions", RelationKind.MANY_TO_MANY, f"class:{permission}", "user_set"
            ),
        },
    )
    user_fields = frozenset(
        {"username", "first_name", "last_name", "email", "is_staff", "is_active", "date_joined"}
    )
    abstract_user = Model(
        f"{auth}.AbstractUser",
        "auth",
        abstract=True,
        fields=user_fields | base_user.fields | permissions_mixin.fields,
        relations=dict(permissions_mixin.relations),
        managers=dict(user_manager),
        parents=(base_user.qualname, permissions_mixin.qualname),
    )
    user = Model(
        f"{auth}.User",
        "auth",
        fields=abstract_user.fields,
        relations=dict(abstract_user.relations),
        managers=dict(user_manager),
        parents=(abstract_user.qualname,),
    )
    models = [
        base_user,
        permissions_mixin,
        abstract_user,
        user,
        Model(
            group,
            "auth",
            fields=frozenset({"name"}),
            relations={
                "permissions": Relation(
                    "permissions", RelationKind.MANY_TO_MANY, f"class:{permission}"
                )
            },
            managers={"objects": ManagerSpec(f"{auth}.GroupManager")},
        ),
        Model(
            permission,
            "auth",
            fields=frozenset({"name", "codename"}),
            relations={
                "content_type": Relation(
                    "content_type", RelationKind.FOREIGN_KEY, f"class:{content_type}"
                )
            },
            managers={"objects": ManagerSpec(f"{auth}.PermissionManager")},
        ),
        Model(
            content_type,
            "contenttypes",
            fields=frozenset({"app_label", "model"}),
            managers={
                "objects": ManagerSpec("django.contrib.contenttypes.models.ContentTypeManager")
            },
        ),
    ]
    for model in models:
        model.declared = frozenset(model.relations)  # no multi-table inheritance among them
    return {model.qualname: model for model in models}


BUILTIN_MODELS = _builtin_models()
BUILTIN_BY_LABEL = {(m.app_label, m.name): m.qualname for m in BUILTIN_MODELS.values() if not m.abstract}
