import json

import pytest

from crmlens.cli import main
from crmlens.config import CrmlensConfig, load_config
from crmlens.errors import ConfigError


def write(tmp_path, text):
    p = tmp_path / "c.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_defaults_and_override(tmp_path):
    cfg = load_config(
        write(tmp_path, "contact_coverage:\n  density_red_line: 4\n  weights: {density: 0.5}\n")
    )
    assert cfg.contact_coverage.density_red_line == 4
    assert cfg.contact_coverage.weights.density == 0.5
    assert cfg.contact_coverage.weights.decision == 0.4
    assert load_config(None) == CrmlensConfig()


def test_unknown_key_names_file_path_and_allowed(tmp_path):
    p = write(tmp_path, "contact_coverage:\n  density_redline: 4\n")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert e.value.params["file"] == str(p)
    assert e.value.params["key"] == "contact_coverage.density_redline"
    assert "density_red_line" in e.value.params["allowed"]


def test_bad_value(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, "contact_coverage:\n  key_account_share: 2\n"))
    assert e.value.params["key"] == "contact_coverage.key_account_share"


def test_bad_regex_and_bad_mapping(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, "titles:\n  vp: ['(unclosed']\n"))
    assert "titles.vp" in e.value.params["key"]
    with pytest.raises(ConfigError) as e:
        load_config(
            write(tmp_path, "source:\n  columns:\n    salesforce__contact_enhanced: {titel: job}\n")
        )
    assert "titel" in e.value.params["reason"]


def test_cli_config_error_is_one_line(tmp_path, capsys):
    p = write(tmp_path, "report: {lang: fr}\n")
    assert main(["config", "show", "--config", str(p)]) == 2
    err = capsys.readouterr().err.strip()
    assert str(p) in err and "report.lang" in err and len(err.splitlines()) == 1


def test_yaml_garbage(tmp_path, capsys):
    p = write(tmp_path, "a: [unclosed\n")
    assert main(["config", "show", "--config", str(p)]) == 2
    assert "not valid YAML" in capsys.readouterr().err


def test_show_and_schema(capsys):
    assert main(["config", "show"]) == 0
    assert "density_red_line: 5.0" in capsys.readouterr().out
    assert main(["config", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["additionalProperties"] is False


def test_usage_errors_are_one_line(capsys):
    assert main(["run"]) == 2  # --source missing
    err = capsys.readouterr().err
    assert "Usage error" in err and "--source" in err and "Traceback" not in err
    assert main(["bench", "--no-such-option"]) == 2
    assert main(["nonsense-command"]) == 2
