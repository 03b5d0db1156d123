"""Sending the outbox over SMTP: claim, send, mark; retries with back-off.

Exactly once per cause, and never twice:

- a cause queues one row (``mail_outbox.cause_key`` is unique, ``engine.notifications``);
- a worker *claims* a row in a transaction of its own (``pending`` -> ``sending``, attempts
  + 1, a lease) with a conditional update, so two workers never hold it at once;
- it opens the SMTP transaction (MAIL FROM, RCPT TO, DATA) and writes the message, all but
  the final ``.`` line: until that line arrives the server delivers nothing;
- it records the *hand-over* (``sending`` -> ``handed_over``, committed) and only then sends
  the final line; on the server's "250" it *marks* the row ``sent``.

A worker that dies before the hand-over leaves a ``sending`` row whose lease runs out: the
server never saw the end of the message, so the next round sends it again (same Message-ID,
``X-Ketenflow-Attempt`` one higher). A worker that dies after the hand-over may or may not
have delivered: the row becomes ``in_doubt`` when its lease runs out and is never sent
again on its own; ``/metrics`` counts it and an administrator decides. That window is one
round trip wide; a resend could reach the person twice, which this protocol never does.

A failed attempt goes back to ``pending`` at ``next_attempt_at`` (one minute, doubling up to
six hours); after ``MAX_ATTEMPTS``, or on a permanent refusal (5xx), it is ``failed``. The
log and ``last_error`` hold the error's class and SMTP code, never the mail or the address.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import ColumnElement, and_, or_, select, update

from engine.context import EngineContext
from engine.models import OutboxMail, User

log = logging.getLogger("ketenflow.mailer")

#: How long a claim holds; longer than any SMTP conversation (``TIMEOUT_SECONDS``).
LEASE = timedelta(minutes=5)
TIMEOUT_SECONDS = 30.0
MAX_ATTEMPTS = 8
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=6)
#: The states in which a worker holds a mail it claimed.
HELD = ("sending", "handed_over")


@dataclass(frozen=True)
class Claimed:
    """One mail a worker holds: what it sends, and the attempt that is its claim."""

    id: int
    attempts: int
    message_id: str
    to: str | None
    subject: str
    body: str


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 1, 2, 4, … minutes, at most 6 h."""
    wait: timedelta = FIRST_BACKOFF * (2 ** min(20, max(0, attempts - 1)))
    return min(wait, MAX_BACKOFF)


def _claimable(now: datetime) -> ColumnElement[bool]:
    return or_(and_(OutboxMail.state == "pending", OutboxMail.next_attempt_at <= now),
               and_(OutboxMail.state == "sending", OutboxMail.lease_until < now))


def claim_next(ctx: EngineContext) -> Claimed | None:
    """Claim the next mail that is due (or whose sender died), in its own transaction; None
    when there is none."""
    for _race in range(5):
        now = ctx.clock.now()
        with ctx.sessionmaker.begin() as session:
            row_id = session.scalar(select(OutboxMail.id).where(_claimable(now))
                                    .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
                                    .limit(1))
            if row_id is None:
                return None
            took = session.execute(
                update(OutboxMail).where(OutboxMail.id == row_id, _claimable(now))
                .values(state="sending", attempts=OutboxMail.attempts + 1,
                        lease_until=now + LEASE)
                .execution_options(synchronize_session=False))
            if took.rowcount != 1:  # type: ignore[attr-defined]
                continue  # another worker got it first
            found = session.execute(
                select(OutboxMail.attempts, OutboxMail.message_id, OutboxMail.subject,
                       OutboxMail.body, User.email)
                .outerjoin(User, User.id == OutboxMail.user_id)
                .where(OutboxMail.id == row_id)).one()
            return Claimed(row_id, found.attempts, found.message_id, found.email,
                           found.subject, found.body)
    return None


def build_message(ctx: EngineContext, mail: Claimed) -> EmailMessage:
    message = EmailMessage()
    message["From"] = ctx.settings.smtp_from
    message["To"] = mail.to or ""
    message["Subject"] = mail.subject
    message["Message-ID"] = mail.message_id
    message["Date"] = format_datetime(ctx.clock.now())
    message["Auto-Submitted"] = "auto-generated"
    message["X-Ketenflow-Attempt"] = str(mail.attempts)
    message.set_content(mail.body)
    return message


def connect(ctx: EngineContext) -> smtplib.SMTP:
    """An SMTP connection as the settings say (STARTTLS and login when configured)."""
    settings = ctx.settings
    server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS)
    try:
        if settings.smtp_starttls:
            server.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            server.login(settings.smtp_user, settings.smtp_password)
    except BaseException:
        server.close()
        raise
    return server


class LostClaim(Exception):
    """Another worker took the mail over while this one was writing it: it is not sent."""


class InDoubt(Exception):
    """The connection broke after the message's end went out: it may have been delivered."""


def wire_form(message: EmailMessage) -> bytes:
    """The message as DATA carries it: CRLF line ends, a leading dot doubled (RFC 5321
    4.5.2), without the final ``.`` line."""
    raw = re.sub(rb"(?:\r\n|\n|\r(?!\n))", b"\r\n", message.as_bytes())
    raw = re.sub(rb"(?m)^\.", b"..", raw)
    return raw if raw.endswith(b"\r\n") else raw + b"\r\n"


def send_claimed(ctx: EngineContext, server: smtplib.SMTP, mail: Claimed) -> None:
    """Hand the claimed mail to the SMTP server, recording the hand-over before the final
    line (see the module's docstring). Raises what smtplib raises for a refusal,
    ``LostClaim`` when the claim was lost before the hand-over (nothing delivered) and
    ``InDoubt`` when the connection broke after it."""
    message = build_message(ctx, mail)
    sender, recipients = ctx.settings.smtp_from, [mail.to or ""]
    server.ehlo_or_helo_if_needed()
    code, text = server.mail(sender)
    if code != 250:
        server.rset()
        raise smtplib.SMTPSenderRefused(code, text, sender)
    code, text = server.rcpt(recipients[0])
    if code not in (250, 251):
        server.rset()
        raise smtplib.SMTPRecipientsRefused({recipients[0]: (code, text)})
    server.putcmd("data")
    code, text = server.getreply()
    if code != 354:
        server.rset()
        raise smtplib.SMTPDataError(code, text)
    server.send(wire_form(message))
    if not _hand_over(ctx, mail):
        server.close()  # the message's end never goes out: the server delivers nothing
        raise LostClaim(mail.id)
    try:
        server.send(b".\r\n")
        code, text = server.getreply()
    except (smtplib.SMTPServerDisconnected, OSError) as error:
        raise InDoubt(mail.id) from error
    if code != 250:
        raise smtplib.SMTPDataError(code, text)


def _update_claimed(ctx: EngineContext, mail: Claimed, states: tuple[str, ...],
                    **values: object) -> bool:
    """Change the mail's row, if this attempt still holds the claim (its state is one of
    ``states`` and its attempt number is this one); False when another worker took it."""
    with ctx.sessionmaker.begin() as session:
        done = session.execute(
            update(OutboxMail).where(OutboxMail.id == mail.id, OutboxMail.state.in_(states),
                                     OutboxMail.attempts == mail.attempts)
            .values(**values).execution_options(synchronize_session=False))
        return bool(done.rowcount == 1)  # type: ignore[attr-defined]


def _hand_over(ctx: EngineContext, mail: Claimed) -> bool:
    """Record, before the message's last line goes out, that it is being handed over; False
    when this attempt no longer holds the claim."""
    return _update_claimed(ctx, mail, ("sending",), state="handed_over",
                           lease_until=ctx.clock.now() + LEASE)


def settle_in_doubt(ctx: EngineContext) -> int:
    """Hand-overs whose worker died before it heard the server's answer: ``in_doubt``, never
    resent on their own (a resend could deliver twice). Returns how many."""
    now = ctx.clock.now()
    with ctx.sessionmaker.begin() as session:
        done = session.execute(
            update(OutboxMail).where(OutboxMail.state == "handed_over",
                                     OutboxMail.lease_until < now)
            .values(state="in_doubt", lease_until=None, last_error="worker died at hand-over")
            .execution_options(synchronize_session=False))
        settled = int(done.rowcount)  # type: ignore[attr-defined]
    if settled:
        log.warning("%s mail(s) in doubt: their worker died while handing them over", settled)
    return settled


def mark_sent(ctx: EngineContext, mail: Claimed) -> bool:
    """Record the send, if this attempt still holds the claim; False when it lost it."""
    return _update_claimed(ctx, mail, HELD, state="sent", sent_at=ctx.clock.now(),
                           lease_until=None, last_error=None)


def mark_failed(ctx: EngineContext, mail: Claimed, error: BaseException,
                permanent: bool = False) -> None:
    """Back the mail off (or give it up), if this attempt still holds the claim."""
    code = getattr(error, "smtp_code", None)
    reason = f"{type(error).__name__}{f' {code}' if code else ''}"[:200]
    give_up = permanent or mail.attempts >= MAX_ATTEMPTS
    _update_claimed(ctx, mail, HELD, state="failed" if give_up else "pending",
                    lease_until=None, last_error=reason,
                    next_attempt_at=ctx.clock.now() + backoff(mail.attempts))
    log.warning("mail %s attempt %s failed (%s)%s", mail.id, mail.attempts, reason,
                "; given up" if give_up else "; backed off")


def mark_in_doubt(ctx: EngineContext, mail: Claimed) -> None:
    """The connection broke after the hand-over: the mail may have arrived, so it is not
    tried again on its own."""
    _update_claimed(ctx, mail, ("handed_over",), state="in_doubt", lease_until=None,
                    last_error="connection lost at hand-over")
    log.warning("mail %s in doubt: the connection broke while it was handed over", mail.id)


def _permanent(error: BaseException) -> bool:
    """A refusal that a retry will not change: the recipient or the message refused (5xx)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in error.recipients.values())
    return isinstance(error, (smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) and \
        error.smtp_code >= 500


def send_due(ctx: EngineContext, limit: int | None = None) -> int:
    """Send the mails that are due (at most ``limit``) over one SMTP connection; returns how
    many were sent. Without ``KETENFLOW_SMTP_HOST`` nothing is sent (the mails wait). When
    the server cannot be reached the claimed mail is backed off and the round ends."""
    if not ctx.settings.smtp_host:
        return 0
    limit = limit or ctx.settings.worker_batch_size
    settle_in_doubt(ctx)
    sent = 0
    server: smtplib.SMTP | None = None
    try:
        for _ in range(limit):
            mail = claim_next(ctx)
            if mail is None:
                break
            if not mail.to:  # the address was removed since the mail was queued
                mark_failed(ctx, mail, LookupError("no address"), permanent=True)
                continue
            try:
                if server is None:
                    server = connect(ctx)
                send_claimed(ctx, server, mail)
            except LostClaim:
                log.info("mail %s was claimed again before it was handed over", mail.id)
                server = None
                continue
            except InDoubt:
                mark_in_doubt(ctx, mail)
                if server is not None:
                    server.close()
                server = None
                break  # the connection broke: try the rest later
            except (smtplib.SMTPException, OSError) as error:
                mark_failed(ctx, mail, error, permanent=_permanent(error))
                if not isinstance(error, (smtplib.SMTPRecipientsRefused,
                                          smtplib.SMTPDataError)):
                    break  # the server is down or the connection broke: try again later
                continue
            if mark_sent(ctx, mail):
                sent += 1
            else:
                log.info("mail %s was claimed again before its send was recorded", mail.id)
    finally:
        if server is not None:
            try:
                server.quit()
            except (smtplib.SMTPException, OSError):
                server.close()
    return sent
