"""Messages from outside (and thrown between processes): routed, kept, idempotent.

SpiffWorkflow neither buffers nor routes messages, so this module does: a message that starts
a process starts its newest version; any other message goes to the instances whose indexed
correlation values match and that wait for it. One that arrives early is kept and delivered
when the instance gets to its catch event (see ``runtime``). An idempotency key makes
re-delivery harmless, and an instance without correlation values never receives anything.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.spiff.specs.event_definitions import (
    MessageEventDefinition as SpiffMessageEventDefinition,
)
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import runtime
from engine.access import Actor, may_send_messages
from engine.context import EngineContext
from engine.deployments import definition_for_start_message
from engine.errors import InvalidInput, NotAllowed
from engine.instances import start_definition
from engine.models import InstanceCorrelation, Message, ProcessInstance
from engine.views import MessageResult

LIVE_STATUSES = ("running", "waiting", "suspended")
MAX_THROW_DEPTH = 5


def send_message(ctx: EngineContext, session: Session, actor: Actor, name: str,
                 payload: dict[str, Any], correlation_name: str | None = None,
                 correlation_value: str | None = None,
                 idempotency_key: str | None = None) -> MessageResult:
    """Deliver, keep or start; a repeated idempotency key returns the first result.

    :raise InvalidInput: a message that starts nothing and has no correlation value.
    """
    if not may_send_messages(actor):
        raise NotAllowed("your role may not send messages")
    return _route(ctx, session, actor, name, payload, correlation_name, correlation_value,
                  idempotency_key, depth=0)


def _route(ctx: EngineContext, session: Session, actor: Actor, name: str,
           payload: dict[str, Any], correlation_name: str | None,
           correlation_value: str | None, idempotency_key: str | None,
           depth: int) -> MessageResult:
    if idempotency_key:
        earlier = session.scalars(select(Message).where(
            Message.idempotency_key == idempotency_key)).first()
        if earlier is not None:
            return MessageResult(earlier.id, "duplicate", earlier.instance_id,
                                 _case_number(session, earlier.instance_id))
    now = ctx.clock.now()
    message = Message(name=name, correlation_name=correlation_name,
                      correlation_value=correlation_value, payload=payload,
                      idempotency_key=idempotency_key, status="pending", sender=actor.username,
                      received_at=now)
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        earlier = session.scalars(select(Message).where(
            Message.idempotency_key == idempotency_key)).one()
        return MessageResult(earlier.id, "duplicate", earlier.instance_id,
                             _case_number(session, earlier.instance_id))

    definition = definition_for_start_message(session, name)
    if definition is not None:
        row = _start_by_message(ctx, session, actor, definition, message, depth)
        message.status = "started"
        message.instance_id = row.id
        message.delivered_at = now
        return MessageResult(message.id, "started", row.id, row.business_key)

    if not correlation_name or correlation_value is None:
        raise InvalidInput({"correlation": f"message '{name}' starts no process, so it needs a "
                                           "correlation value (case_number)"})
    candidates = session.scalars(
        select(ProcessInstance).join(InstanceCorrelation,
                                     InstanceCorrelation.instance_id == ProcessInstance.id)
        .where(InstanceCorrelation.name == correlation_name,
               InstanceCorrelation.value == correlation_value,
               ProcessInstance.status.in_(LIVE_STATUSES))
        .order_by(ProcessInstance.id)).unique().all()
    for row in candidates:
        if name not in (row.waiting_messages or []):
            continue
        if _offer(ctx, session, actor, row, name, payload, correlation_name,
                  correlation_value, depth):
            message.status = "delivered"
            message.delivered_at = now
            message.instance_id = row.id
            session.flush()
            return MessageResult(message.id, "delivered", row.id, row.business_key)
    session.flush()
    return MessageResult(message.id, "kept", None, correlation_value)


def _offer(ctx: EngineContext, session: Session, actor: Actor, row: ProcessInstance,
           name: str, payload: dict[str, Any], correlation_name: str,
           correlation_value: str, depth: int) -> bool:
    """One step on ``row`` that offers the message; True when a catch event took it."""
    workflow, cached = runtime.load(ctx, session, row)
    log = runtime.StepLog(actor.username)
    delivered: list[bool] = []

    def offer(wf: BpmnWorkflow) -> None:
        delivered.append(runtime.deliver(wf, name, payload, correlation_name,
                                         correlation_value))
        if delivered[-1]:
            log.add(ctx.clock.now(), "message_delivered", None, None, message=name)

    runtime.step(ctx, session, row, workflow, cached, offer, log)
    if delivered and delivered[0]:
        _route_thrown(ctx, session, actor, log.thrown, depth)
        return True
    return False


def _start_by_message(ctx: EngineContext, session: Session, actor: Actor, definition: Any,
                      message: Message, depth: int) -> ProcessInstance:
    correlations = ({"case_key": {message.correlation_name: message.correlation_value}}
                    if message.correlation_name else {})
    log = runtime.StepLog(actor.username)

    def start(wf: BpmnWorkflow) -> None:
        wf.send_event(BpmnEvent(SpiffMessageEventDefinition(message.name),
                                payload=message.payload, correlations=correlations))
        log.add(ctx.clock.now(), "message_delivered", None, None, message=message.name)

    row, _cached = start_definition(ctx, session, definition, actor, then=start, log=log)
    _route_thrown(ctx, session, actor, log.thrown, depth)
    return row


def _route_thrown(ctx: EngineContext, session: Session, actor: Actor,
                  thrown: list[BpmnEvent], depth: int) -> None:
    """Messages a process threw that nothing inside it caught go to other instances."""
    if depth >= MAX_THROW_DEPTH:
        return
    for event in thrown:
        name = getattr(event.event_definition, "name", None)
        if not name or event.event_definition.__class__.__name__ != "MessageEventDefinition":
            continue
        pairs = [pair for props in (event.correlations or {}).values()
                 for pair in props.items()]
        prop, value = pairs[0] if pairs else (None, None)
        _route(ctx, session, actor, name, dict(event.payload or {}), prop,
               None if value is None else str(value), None, depth + 1)


def _case_number(session: Session, instance_id: int | None) -> str | None:
    if instance_id is None:
        return None
    return session.scalar(select(ProcessInstance.business_key)
                          .where(ProcessInstance.id == instance_id))
