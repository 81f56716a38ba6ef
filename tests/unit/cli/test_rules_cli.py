"""`keybus rules` through Typer's runner on real files; nothing faked."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from keybus.cli import app

RULES = Path(__file__).resolve().parents[3] / "deploy" / "rules.yaml"
runner = CliRunner()


def test_check_lists_rules() -> None:
    result = runner.invoke(app, ["rules", "check", str(RULES)])

    assert result.exit_code == 0, result.output
    assert "lock-health-alerts: lock-devices -> lock-maintenance, security.alerts" in result.output
    assert "6 rules valid" in result.output


def test_check_reports_invalid_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "rules:\n  - name: broken\n    source: lock-devices\n"
        "    pattern: {type: [{prefix: 5}]}\n    targets: [x]\n"
    )

    result = runner.invoke(app, ["rules", "check", str(path)])

    assert result.exit_code == 1
    assert "rule 'broken'" in result.output
    assert "rules[0].pattern.type[0].prefix" in result.output


def test_match_prints_transformed_output() -> None:
    event = {
        "type": "com.example.access.DeviceStatusChanged",
        "detail": {"lock_id": "lock-eu-7", "status": "TAMPERED"},
    }

    result = runner.invoke(
        app, ["rules", "match", str(RULES), json.dumps(event), "--topic", "lock-devices"]
    )

    assert result.exit_code == 0, result.output
    assert "lock-health-alerts -> lock-maintenance, security.alerts" in result.output
    assert '"status": "TAMPERED"' in result.output


def test_match_without_match_exits_1() -> None:
    result = runner.invoke(app, ["rules", "match", str(RULES), '{"type": "none"}'])

    assert result.exit_code == 1
    assert "no rule matches" in result.output
