"""Demo users: one per role and organisation, with known passwords, for ``make run``.

Never for production data: the passwords are printed and documented (docs/demo-logins.md).
Seeding a realistic year of cases is a separate step; this module only makes people.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from engine import users
from engine.chain.municipalities import MUNICIPALITIES
from engine.context import EngineContext


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    organisation: str
    display_name: str
    password: str

    @property
    def email(self) -> str:
        """Notification mails go here: example.org never delivers (RFC 2606)."""
        return f"{self.username}@example.org"


_CORPORATIONS = ("woonbron", "trivire", "woonkracht10", "tablis", "rhiant")
_FIRST = ("Anouk", "Bram", "Chantal", "Daan", "Eline", "Fatima", "Gijs", "Hanneke", "Ilse",
          "Joost", "Karim", "Lotte", "Mees", "Noor", "Orlando", "Pien", "Quinten", "Roos",
          "Sem", "Tess", "Umut", "Vera", "Wout", "Yara")


def demo_users() -> list[DemoUser]:
    """The demo accounts: password ``demo-<username>`` for each."""
    people: list[tuple[str, str, str]] = []
    for m in MUNICIPALITIES:
        people.append((f"st-{m.slug}", "social_team", m.slug))
        people.append((f"stl-{m.slug}", "social_team_lead", m.slug))
    for corp in _CORPORATIONS:
        people.append((f"corp-{corp}", "corporation", corp))
        people.append((f"corpl-{corp}", "corporation_lead", corp))
    people += [("sdd", "budget_advice", "sdd"), ("sddl", "budget_advice_lead", "sdd"),
               ("meldpunt", "care_referral", "veilig-thuis"),
               ("meldpuntl", "care_referral_lead", "veilig-thuis"),
               ("proceseigenaar", "process_owner", "regio"), ("manager", "manager", "regio"),
               ("privacy", "privacy_officer", "regio"), ("admin", "admin", "regio")]
    result = []
    for index, (username, role, org) in enumerate(people):
        name = f"{_FIRST[index % len(_FIRST)]} (demo {username})"
        result.append(DemoUser(username, role, org, name, f"demo-{username}"))
    return result


def seed_users(ctx: EngineContext, session: Session) -> list[DemoUser]:
    """Create or reset the demo accounts (idempotent); returns them with their passwords."""
    users.ensure_organisations(session)
    seeded = demo_users()
    for person in seeded:
        users.add_user(ctx, session, person.username, person.role, person.organisation,
                       person.password, person.display_name, email=person.email)
    return seeded

