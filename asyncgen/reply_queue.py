"""Which receive operation is the reply queue of which requests (AMQP RPC clients).

RabbitMQ's RPC pattern: a client sends a request with a correlation id and ``reply_to`` = an
exclusive queue the broker named (``amq.gen-...``). A spec says so with a parameterised
``is: queue`` channel (``{queue}``, ``exclusive: true``) the client receives from: a queue whose
name is only known at run time, so nothing can subscribe to it by name. It is the reply queue of
the client's send operations whose messages carry a correlation id (the only thing that ties a
reply to its request); each becomes a ``request_...()`` that returns the queue's messages. The
service templates declare the queue and match the replies (``runtime.ReplyQueue``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from asyncgen.errors import GenerationError
from asyncgen.model import Operation


def role_action(op: Operation, role: str) -> str:
    """The operation's action for the role (the client mirrors the application)."""
    if role == "app":
        return op.action
    return "receive" if op.action == "send" else "send"


def _has_own_reply(op: Operation) -> bool:
    reply = op.reply
    return reply is not None and bool(reply.messages or (reply.channel and reply.channel.messages))


def _address(op: Operation) -> str:
    return repr(op.channel.address or op.channel.key)


def reply_queue_pairs(
    ops: Sequence[Operation], role: str, on_dynamic_queue: Callable[[Operation], bool]
) -> tuple[Operation | None, set[int]]:
    """The receive operation on a queue named at run time, and the ids of the sends it answers.

    ``on_dynamic_queue(op)``: whether ``op`` receives (for the role) from such a queue. Refused
    (GenerationError) when there are several such queues (which reply goes where is then
    unknowable) or no correlated send operation without a reply of its own to pair with.
    """
    queues = [op for op in ops if on_dynamic_queue(op)]
    if not queues:
        return None, set()
    if len(queues) > 1:
        where = ", ".join(f"{op.key!r} ({_address(op)})" for op in queues)
        raise GenerationError(
            f"operations {where} receive from AMQP queues whose name is only known at run time "
            "(parameterised 'is: queue' addresses); asyncgen makes one such queue the reply queue of "
            "the requests, and cannot tell which replies go to which; give all but one of these "
            "channels a fixed queue name or an exchange binding"
        )
    paired = {
        id(op)
        for op in ops
        if role_action(op, role) == "send"
        and not _has_own_reply(op)
        and any(m.correlation_id is not None for m in op.messages or op.channel.messages)
    }
    queue = queues[0]
    if not paired:
        raise GenerationError(
            f"operation {queue.key!r} receives from the AMQP queue {_address(queue)}, whose name is only "
            "known at run time (a parameterised 'is: queue' address), and no send operation's message "
            "has a correlationId, so it cannot be the reply queue of a request; give the channel a fixed "
            "queue name or an exchange binding, or give the request's message a correlationId"
        )
    return queue, paired
