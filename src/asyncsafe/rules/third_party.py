"""Where third-party async objects come from when nothing in the code names their type.

* ``context``, the second parameter of an ``async def`` method of a gRPC servicer (a class
  derived from a ``*Servicer`` class of a generated ``*_pb2_grpc`` module): grpc.aio passes a
  ``grpc.aio.ServicerContext``, whose ``abort``/``read``/``write`` return coroutines;
* ``self.channel_layer`` in a Channels consumer: the layer ``get_channel_layer()`` returns,
  whose ``group_send``/``send``/``group_add`` return coroutines.

What their methods return is data (catalog/event_loop.toml); ASF504 reports a dropped one.
"""

from __future__ import annotations

from asyncsafe.django.hierarchy import ancestry
from asyncsafe.django.orm import OrmTypes
from asyncsafe.engine.tree.scopes import FunctionInfo, Resolver
from asyncsafe.engine.tree.values import Instance, Value
from asyncsafe.engine.tree.providers import FileTypes

SERVICER_CONTEXT = Instance("grpc.aio.ServicerContext")
CHANNEL_LAYER = Instance("channels.layers.BaseChannelLayer")
CONSUMER_FAMILY = ("channels.consumer.", "channels.generic.")


class ThirdPartyAsyncTypes(FileTypes):
    def _ancestors(self, qualname: str) -> tuple[str, ...]:
        assert self.ctx is not None, "start_file() was not called"
        return ancestry(OrmTypes.of(self.ctx).index, qualname).names

    def parameter(
        self, function: FunctionInfo, name: str, position: int, resolver: Resolver
    ) -> Value | None:
        if name != "context" or position != 1 or not function.is_async or self.ctx is None:
            return None
        if function.class_qualname is None:
            return None
        if any(_is_generated_servicer(base) for base in self._ancestors(function.class_qualname)):
            return SERVICER_CONTEXT
        return None

    def member(self, receiver: Value, name: str) -> Value | None:
        if name != "channel_layer" or self.ctx is None:
            return None
        if not isinstance(receiver, Instance) or receiver.info != "self":
            return None
        if any(base.startswith(CONSUMER_FAMILY) for base in self._ancestors(receiver.type_name)):
            return CHANNEL_LAYER
        return None


def _is_generated_servicer(qualname: str) -> bool:
    module, _, name = qualname.rpartition(".")
    return module.endswith("_pb2_grpc") and name.endswith("Servicer")
