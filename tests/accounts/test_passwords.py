from __future__ import annotations

import pytest

from gateway.accounts.passwords import PARAMETERS, Passwords, password_problem


async def test_a_password_is_kept_as_argon2id_and_checked() -> None:
    passwords = Passwords()
    stored = await passwords.hash("correct horse battery")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert "correct horse battery" not in stored
    assert (await passwords.check(stored, "correct horse battery")).ok
    assert not (await passwords.check(stored, "correct horse batterY")).ok
    assert not (await passwords.check(stored, "")).ok
    # Same password, another salt: two accounts with one password do not show it.
    assert await passwords.hash("correct horse battery") != stored


async def test_an_unknown_login_is_checked_against_a_made_up_hash() -> None:
    assert not (await Passwords().check(None, "anything at all")).ok


async def test_a_hash_made_with_weaker_parameters_is_replaced_at_the_next_sign_in() -> None:
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("correct horse battery")
    checked = await Passwords().check(weak, "correct horse battery")
    assert checked.ok
    assert checked.new_hash is not None
    assert f"m={PARAMETERS.memory_cost},t={PARAMETERS.time_cost}" in checked.new_hash


async def test_a_broken_stored_hash_is_a_refusal_not_a_crash() -> None:
    assert not (await Passwords().check("not-a-hash", "x" * 12)).ok


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "console.password.too_short"),
        ("x" * 1025, "console.password.too_long"),
        ("Awa Traoré", "console.password.is_login"),
        ("awa@example.org", "console.password.is_login"),
        ("aaaaaaaaaaaa", "console.password.too_simple"),
        ("ɛɔɲŋ ʋɩ mot de passe", None),
    ],
)
def test_new_passwords_are_judged(password: str, problem: str | None) -> None:
    assert password_problem(password, name="Awa Traoré", login="awa@example.org") == problem
