"""The `gateway` command as an organiser uses it, against the test database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.runner import invoke


def test_flows_check_passes(env: dict[str, str]) -> None:
    code, _out, err = invoke(env, "flows", "check")
    assert code == 0, err
    assert "OK" in err


def test_simulate_a_report_then_list_and_export(env: dict[str, str], tmp_path: Path) -> None:
    # report, security incident, urgent, the commune, the text, sent with my number
    answers = "\n".join(["1", "1", "1", "Benkadi", "Route coupée * pont", "2"]) + "\n"
    code, out, err = invoke(env, "simulate", "--phone", "+22370000077", "--language", "fr", stdin=answers)
    assert code == 0, err
    assert "CON Choisissez votre langue" in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("END ")
    reference = next(word.rstrip(".") for word in last.split() if word.startswith("R-"))

    code, out, err = invoke(env, "reports", "list")
    assert code == 0, err
    assert reference in out
    assert "+2237" not in out

    code, out, _ = invoke(env, "reports", "export", "--format", "csv")
    assert code == 0
    header, row = out.strip().splitlines()
    assert header.startswith("reference,created_at,channel,language,topic")
    assert reference in row
    assert "Route coupée * pont" in row
    assert "70000077" not in out

    target = tmp_path / "reports.jsonl"
    code, out, err = invoke(env, "reports", "export", "--format", "jsonl", "--output", str(target))
    assert code == 0
    assert out == ""
    record = json.loads(target.read_text(encoding="utf-8").splitlines()[0])
    assert record["reference"] == reference
    assert record["commune"] == "Benkadi"
    assert record["anonymous"] is False
    assert "phone" not in json.dumps(record)


def test_simulate_hang_up(env: dict[str, str]) -> None:
    code, out, err = invoke(env, "simulate", stdin="")
    assert code == 0
    assert "hung up" in err


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["reports", "export", "--format", "xml"], 2, "xml"),
        (["reports", "list", "--since", "yesterday"], 2, "not an ISO date"),
        (["reports", "list", "--topic", "weather"], 2, "unknown topic"),
        (["areas", "import", "/nonexistent.csv"], 2, "no such file"),
        (["simulate", "--language", "en"], 2, "unknown language"),
        (["simulate", "--phone", "abc"], 2, "bad --phone"),
        (["flows", "check", "--language", "sw"], 2, "unknown language"),
    ],
)
def test_bad_arguments_get_a_precise_error(
    env: dict[str, str], args: list[str], code: int, message: str
) -> None:
    exit_code, _out, err = invoke(env, *args)
    assert exit_code == code
    assert message in err


def test_bad_area_file(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("name\nSikasso\n", encoding="utf-8")
    code, _out, err = invoke(env, "areas", "import", str(bad))
    assert code == 1
    assert "missing column" in err


def test_bad_settings_fail_in_one_line(env: dict[str, str]) -> None:
    code, _out, err = invoke({**env, "GATEWAY_SECRET_KEY": "short"}, "reports", "list")
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "GATEWAY_SECRET_KEY" in err


def test_i18n_status_shows_every_language_and_drafts(env: dict[str, str]) -> None:
    code, out, _err = invoke(env, "i18n", "status")
    assert code == 0
    for code_ in ("fr", "bm", "dyu", "mos"):
        assert f"\n{code_} " in "\n" + out
    assert "draft" in out


def test_ussd_stats(env: dict[str, str]) -> None:
    code, _out, _err = invoke(env, "ussd", "stats", "--json")
    assert code == 0


def test_db_upgrade_is_idempotent(env: dict[str, str]) -> None:
    code, _out, err = invoke(env, "db", "upgrade")
    assert code == 0, err
    assert "upgraded" in err


def test_committees_digest_and_status_from_the_cli(env: dict[str, str]) -> None:
    code, _out, err = invoke(
        env,
        "committees",
        "add",
        "Comité Zégoua",
        "--area",
        "Zégoua",
        "--area",
        "cercle:Kadiolo",
        "--schedule",
        "daily 08:00",
    )
    assert code == 0, err
    code, _out, err = invoke(env, "committees", "add", "Comité Zégoua", "--area", "Zégoua")
    assert (code, "exists already" in err) == (2, True)
    code, _out, err = invoke(env, "committees", "add", "Autre", "--area", "Kourouma")
    assert (code, "ambiguous" in err) == (2, True)
    code, _out, err = invoke(
        env,
        "committees",
        "member",
        "Comité Zégoua",
        "--name",
        "Maire",
        "--phone",
        "+22376100001",
        "--language",
        "bm",
    )
    assert code == 0, err
    code, _out, err = invoke(env, "committees", "member", "Comité Zégoua", "--name", "X", "--phone", "abc")
    assert (code, "not a phone number" in err) == (2, True)
    code, out, _err = invoke(env, "committees", "list")
    assert "Comité Zégoua [daily 08:00" in out
    assert "Maire (-, bm, summaries+alerts)" in out
    assert "+22376100001" not in out

    answers = "\n".join(["1", "1", "1", "1", "1", "9", "1", "Coups de feu la nuit", "3", "2", "1"]) + "\n"
    code, out, err = invoke(env, "simulate", "--phone", "+22376000088", "--language", "fr", stdin=answers)
    assert code == 0, err
    reference = next(w.rstrip(".") for w in out.strip().splitlines()[-1].split() if w.startswith("R-"))

    code, out, err = invoke(env, "digest", "preview", "--committee", "Comité Zégoua", "--language", "fr")
    assert code == 0, err
    assert "1 signalement" in out
    assert "SMS segment" in err
    code, _out, err = invoke(env, "digest", "preview", "--committee", "Nope")
    assert (code, "no committee" in err) == (2, True)
    code, _out, err = invoke(env, "digest", "run")
    assert (code, "0 committee summaries queued" in err) == (0, True)  # not due before tomorrow 08:00

    code, _out, err = invoke(env, "reports", "status", reference, "--set", "closed")
    assert (code, "needs a --note" in err) == (2, True)
    code, _out, err = invoke(
        env, "reports", "status", reference, "--set", "closed", "--note", "Patrouille envoyée."
    )
    assert code == 0, err
    assert "the reporter will be told" in err
    code, _out, err = invoke(env, "reports", "status", "R-ZZZZ", "--set", "closed", "--note", "x")
    assert (code, "no report" in err) == (2, True)
