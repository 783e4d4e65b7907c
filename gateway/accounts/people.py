"""Who a console account is: roles, logins as stored, and the person a request acts as."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from gateway.accounts.models import ROLES

MAX_NAME = 120
MAX_LOGIN = 254


class AccountError(ValueError):
    """A request about an account that cannot be met; `message_id` says why, in the catalogs."""

    def __init__(self, message_id: str) -> None:
        super().__init__(message_id)
        self.message_id = message_id


def normal_login(login: str) -> str:
    # One spelling per login: `Awa@Example.org ` and `awa@example.org` are the same person, and
    # a login typed on a phone with a composed or decomposed é is the same login.
    return unicodedata.normalize("NFKC", login).strip().casefold()


def clean_name(name: str) -> str:
    # Control characters (a NUL, a right-to-left override) have no place in a name shown to others.
    printable = "".join(c if c.isprintable() else " " for c in unicodedata.normalize("NFC", name))
    return " ".join(printable.split())


def check_role(role: str, committee_id: int | None) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r} (known: {', '.join(ROLES)})")
    if (role == "committee") != (committee_id is not None):
        raise ValueError("a committee account needs --committee, and only a committee account takes one")


def audit_label(name: str, user_id: int) -> str:
    """How the audit log names a console account."""
    return f"{name} (#{user_id})"


@dataclass(frozen=True)
class Person:
    """The account a console request acts as (audit.service.Actor)."""

    user_id: int
    name: str
    role: str
    committee_id: int | None
    session_id: int

    @property
    def audit_name(self) -> str:
        # Two people may share a name; the account id tells them apart in the log, as it does
        # for sign-in, sign-out and invitations (accounts.people.audit_label).
        return audit_label(self.name, self.user_id)

    @property
    def read_only(self) -> bool:
        return self.role == "viewer"

    def sees_committee(self, committee_id: int) -> bool:
        """Organisers and viewers see every committee's work; a committee member only their own."""
        return self.role != "committee" or self.committee_id == committee_id


def masked_login(login: str) -> str:
    """A login as the audit log keeps a failed attempt with an unknown one: enough to see the same
    attempt repeated, not to read an email address."""
    head = login[:1] if login[:1].isalnum() else "?"
    return f"{head}***@***" if "@" in login else f"{head}***"
