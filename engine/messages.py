"""Messages from outside (and thrown between processes): scoped, routed, kept, idempotent.

SpiffWorkflow neither buffers nor routes messages, so this module does: a message that starts
a process starts its live version; any other message goes to the instances whose indexed
correlation values match and that wait for it. One that arrives early is kept and delivered
when the instance gets to its catch event (see ``runtime``). An idempotency key makes
re-delivery harmless, and an instance without correlation values never receives anything.

Two doors, so need-to-know holds for every sender (people and machine tokens alike):
``send_message`` takes a fact about an existing case in the sender's scope, only under a name
the processes catch, with the idempotency key namespaced by the sender's organisation; and
``start_case_process``, which only intake calls, is the one way a case's process starts.

The legal track never drops a threat: a ``court_summons``, ``judgment`` or ``eviction_date_set``
for a closed case reopens the household's file as a new linked case (the chain's
``closed_cases`` hook) whose process starts with the event; any later message naming the
closed case goes to it.
"""

from __future__ import annotations

import hashlib
from typing import Any, cast

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.spiff.specs.event_definitions import (
    MessageEventDefinition as SpiffMessageEventDefinition,
)
from sqlalchemy import ColumnElement, Table, and_, select
from sqlalchemy.orm import Session, make_transient_to_detached

from engine import runtime
from engine.access import Actor, may_send_messages, message_case_scope, record_refusal
from engine.context import ClosedCaseEvents, EngineContext
from engine.db import insert_unless_known
from engine.deployments import definition_for_start_message
from engine.errors import EngineError, InvalidInput, NotAllowed, NotFound
from engine.instances import start_definition
from engine.models import Case, InstanceCorrelation, Message, ProcessDefinition, ProcessInstance
from engine.views import MessageResult

LIVE_STATUSES = ("running", "waiting", "suspended")
MAX_THROW_DEPTH = 5
#: The facts from outside that the live processes catch (design.md, processes/README.md).
EXTERNAL_MESSAGES = ("arrears_resolved", "arrangement_broken", "arrangement_payment_received",
                     "court_summons", "judgment", "eviction_date_set", "eviction_postponed",
                     "eviction_cancelled", "eviction_executed", "tenant_left", "tenant_moved")
#: The message that starts a case's process (intake, and a reopened case).
START_MESSAGE = "arrears_signal"
#: The correlation property every case process indexes.
CASE_CORRELATION = "case_number"
#: Key namespaces: an outside sender's keys all begin with ``from:<organisation>:``, so none
#: can produce (or see, or block) intake's own keys or another organisation's.
_OUTSIDE = "from"
_INTAKE = "intake"
_KEY_LENGTH = 200  # Message.idempotency_key
_MESSAGES = cast(Table, Message.__table__)


def _definition_starting(ctx: EngineContext, session: Session, name: str
                         ) -> ProcessDefinition | None:
    """The live definition a message called ``name`` starts, through the process's cache."""
    return ctx.definitions.for_start_message(
        name, lambda: definition_for_start_message(session, name))


def send_message(ctx: EngineContext, session: Session, actor: Actor, name: str,
                 payload: dict[str, Any], correlation_name: str | None = None,
                 correlation_value: str | None = None,
                 idempotency_key: str | None = None) -> MessageResult:
    """A fact about an existing case from outside: delivered, or kept until the case waits
    for it; a repeated idempotency key (from the same organisation) returns the first result.

    ``correlation_name`` is ``case_number``, or ``external_id`` (the sender's own corporation's
    reference for the case).

    :raise NotAllowed: the actor's role sends no messages.
    :raise InvalidInput: a name the processes do not catch, one that starts a process (cases
        start only through intake), or no case named.
    :raise NotFound: no such case, or one outside the actor's scope (the same answer).
    """
    if not may_send_messages(actor):
        raise NotAllowed("uw rol mag geen berichten sturen")
    if _definition_starting(ctx, session, name) is not None:
        raise InvalidInput({"name": "start een proces; een casus begint alleen met een melding "
                                    "(POST /api/v1/signals)"})
    if name not in EXTERNAL_MESSAGES:
        raise InvalidInput({"name": "is geen bekend bericht; kies uit "
                                    + ", ".join(EXTERNAL_MESSAGES)})
    case = _case_in_scope(ctx, session, actor, name, correlation_name, correlation_value)
    closed_cases = ctx.hooks.closed_cases
    if closed_cases is not None:
        case = closed_cases.follow(session, case)
    key = _namespaced(f"{_OUTSIDE}:{actor.organisation}", idempotency_key)
    if closed_cases is not None and closed_cases.reopens(name) and (
            case.closed or _at_closure(session, case.case_number, name)):
        return _reopen(ctx, session, actor, closed_cases, case, name, payload, key)
    case_number = case.case_number
    return _receive(ctx, session, actor, None, name, {**payload, CASE_CORRELATION: case_number},
                    CASE_CORRELATION, case_number, key, depth=0)


#: The step every case ends with; a case there catches no legal event any more.
_CLOSURE_TASK = "confirm_case_closure"


def _at_closure(session: Session, case_number: str, name: str) -> bool:
    """Whether the case's process only waits for its closure to be confirmed: a legal event
    kept there would be dropped when the case completes, so it reopens the file instead."""
    rows = session.execute(select(ProcessInstance.current_elements,
                                  ProcessInstance.waiting_messages).where(
        ProcessInstance.business_key == case_number,
        ProcessInstance.status.in_(LIVE_STATUSES))).all()
    return bool(rows) and all(_CLOSURE_TASK in (current or []) and name not in (waiting or [])
                              for current, waiting in rows)


def _reopen(ctx: EngineContext, session: Session, actor: Actor, closed_cases: ClosedCaseEvents,
            closed: Case, name: str, payload: dict[str, Any], key: str | None
            ) -> MessageResult:
    """A legal event for a closed case: the household's file reopens as a new linked case whose
    process starts with the event (the legal track never drops a threat). The message is kept
    as started by the new case, so its idempotency key returns the new case again."""
    message = _take_in(ctx, session, actor, name, {**payload, CASE_CORRELATION:
                                                   closed.case_number},
                       CASE_CORRELATION, closed.case_number, key)
    if isinstance(message, MessageResult):
        return message
    case, start = closed_cases.reopen(ctx, session, closed, name, payload, actor.username)
    result = start_case_process(ctx, session, actor, START_MESSAGE, start, case.case_number,
                                f"reopen:{message.id}")
    message.status = "started"
    message.instance_id = result.instance_id
    message.delivered_at = ctx.clock.now()
    return MessageResult(message.id, "started", result.instance_id, case.case_number)


def start_case_process(ctx: EngineContext, session: Session, actor: Actor, name: str,
                       payload: dict[str, Any], case_number: str,
                       idempotency_key: str) -> MessageResult:
    """Intake only: start the live process that ``name`` starts, for a case just created.

    Fails rather than leave the case without a process instance, so no signal is ever
    answered with a case that nobody works on.

    :raise EngineError: no live process starts with ``name``, or this start key was used
        before.
    """
    definition = _definition_starting(ctx, session, name)
    if definition is None:
        raise EngineError(f"er is geen proces in gebruik dat start met '{name}'; de melding is "
                          "niet opgeslagen (de proceseigenaar moet de keten deployen)")
    result = _receive(ctx, session, actor, definition, name, payload, CASE_CORRELATION,
                      case_number, _namespaced(_INTAKE, idempotency_key), depth=0)
    if result.status != "started":
        raise EngineError(f"het proces van casus {case_number} is al eerder gestart; de "
                          "melding is niet opgeslagen")
    return result


def _case_in_scope(ctx: EngineContext, session: Session, actor: Actor, name: str,
                   correlation_name: str | None, correlation_value: str | None) -> Case:
    """The case a message names, if the case exists and the actor may send about it;
    else the attempt is logged (see ``record_refusal``) and the answer is ``NotFound``."""
    if not correlation_name or not correlation_value:
        raise InvalidInput({"case_number": "is verplicht: een bericht gaat over een bestaande "
                                           "casus (case_number of external_id)"})
    where: ColumnElement[bool]
    if correlation_name == "case_number":
        where = Case.case_number == correlation_value
    elif correlation_name == "external_id":
        if actor.organisation_kind != "corporation":
            raise InvalidInput({"external_id": "alleen een woningcorporatie wijst een casus aan "
                                               "met haar eigen kenmerk; gebruik case_number"})
        where = and_(Case.corporation == actor.organisation,
                     Case.external_id == correlation_value)
    else:
        raise InvalidInput({"correlation": "gebruik case_number of external_id"})
    found = session.scalars(select(Case).where(where, message_case_scope(actor))
                            .limit(1)).first()
    if found is None:  # missing and out of scope answer the same
        existing = session.scalar(select(Case.case_number).where(where).limit(1))
        record_refusal(ctx, actor, f"message {name}", correlation_value, existing)
        raise NotFound("case not found")
    return found


def _namespaced(namespace: str, key: str | None) -> str | None:
    """``namespace:key``; a key too long for the column is replaced by its hash."""
    if not key:
        return None
    full = f"{namespace}:{key}"
    if len(full) > _KEY_LENGTH:
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        full = f"{namespace}:#{digest}"
    return full


def _route(ctx: EngineContext, session: Session, actor: Actor, name: str,
           payload: dict[str, Any], correlation_name: str | None,
           correlation_value: str | None, idempotency_key: str | None,
           depth: int) -> MessageResult:
    """A message thrown by a process: it starts a live process, or goes to waiting ones."""
    return _receive(ctx, session, actor, _definition_starting(ctx, session, name), name,
                    payload, correlation_name, correlation_value, idempotency_key, depth)


def _receive(ctx: EngineContext, session: Session, actor: Actor,
             definition: ProcessDefinition | None, name: str, payload: dict[str, Any],
             correlation_name: str | None, correlation_value: str | None,
             idempotency_key: str | None, depth: int) -> MessageResult:
    """Keep the message (a repeated key returns the first one's result), then start
    ``definition`` with it or, without one, deliver it to an instance waiting for it."""
    message = _take_in(ctx, session, actor, name, payload, correlation_name,
                       correlation_value, idempotency_key)
    if isinstance(message, MessageResult):
        return message
    if definition is None:
        return _deliver(ctx, session, actor, message, depth)
    row = _start_by_message(ctx, session, actor, definition, message, depth)
    message.status = "started"
    message.instance_id = row.id
    message.delivered_at = ctx.clock.now()
    return MessageResult(message.id, "started", row.id, row.business_key)


def _take_in(ctx: EngineContext, session: Session, actor: Actor, name: str,
             payload: dict[str, Any], correlation_name: str | None,
             correlation_value: str | None,
             idempotency_key: str | None) -> Message | MessageResult:
    """The new pending message, or the result of the first one with the same key."""
    values = {"name": name, "correlation_name": correlation_name,
              "correlation_value": correlation_value, "payload": payload,
              "idempotency_key": idempotency_key, "status": "pending",
              "sender": actor.username, "received_at": ctx.clock.now(),
              "delivered_at": None, "instance_id": None}
    if not idempotency_key:
        message = Message(**values)
        session.add(message)
        session.flush()  # its id is the answer's
        return message
    # One statement whether the key is new or known (no read before it, no savepoint around
    # it); a concurrent sender of the same key waits on the unique index, then finds it known.
    new_id = session.execute(insert_unless_known(_MESSAGES, "idempotency_key",
                                                 session.get_bind().dialect, returning="id"),
                             values).scalar()
    if new_id is None:
        earlier = session.scalars(select(Message).where(
            Message.idempotency_key == idempotency_key)).one()
        return MessageResult(earlier.id, "duplicate", earlier.instance_id,
                             _case_number(session, earlier.instance_id))
    message = Message(id=new_id, **values)
    make_transient_to_detached(message)  # it is in the table: the session takes it as loaded
    session.add(message)
    return message


def _deliver(ctx: EngineContext, session: Session, actor: Actor, message: Message,
             depth: int) -> MessageResult:
    """``message`` to the first live instance with its correlation value that waits for it;
    kept when none does."""
    name, payload = message.name, message.payload
    correlation_name, correlation_value = message.correlation_name, message.correlation_value
    if not correlation_name or correlation_value is None:
        raise InvalidInput({"correlation": f"message '{name}' starts no process, so it needs a "
                                           "correlation value (case_number)"})
    now = ctx.clock.now()
    candidates = session.scalars(
        select(ProcessInstance).join(InstanceCorrelation,
                                     InstanceCorrelation.instance_id == ProcessInstance.id)
        .where(InstanceCorrelation.name == correlation_name,
               InstanceCorrelation.value == correlation_value,
               ProcessInstance.status.in_(LIVE_STATUSES))
        .order_by(ProcessInstance.id)).unique().all()
    for row in candidates:
        # a suspended instance does not move: the message is kept until it is resumed
        if row.status == "suspended" or name not in (row.waiting_messages or []):
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
