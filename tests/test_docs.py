"""Docs are checked: every CLI command, config key and canonical table is in the README;
.ci/run runs the README's test command."""

import re
from pathlib import Path

from pydantic import BaseModel

from crmlens.cli import app
from crmlens.config import full_config_model
from crmlens.schema.contracts import CONTRACTS

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def commands(typer_app, prefix="crmlens"):
    import typer.main

    group = typer.main.get_group(typer_app)

    def walk(cmd, path):
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                yield from walk(sub, f"{path} {name}")
        else:
            yield path

    yield from walk(group, prefix)


def config_keys(model=None, prefix=""):
    model = model or full_config_model()  # core sections + every analysis unit's section
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            yield from config_keys(ann, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}"


def test_every_cli_command_documented():
    cmds = list(commands(app))
    assert "crmlens config show" in cmds and "crmlens demo" in cmds
    missing = [c for c in cmds if f"`{c}" not in README]
    assert not missing


def test_every_option_documented():
    import typer.main

    group = typer.main.get_group(app)
    missing = []
    for name, cmd in group.commands.items():
        subs = getattr(cmd, "commands", {name: cmd})
        for sub in subs.values():
            for p in sub.params:
                for opt in getattr(p, "opts", []):
                    if opt.startswith("--") and opt not in README:
                        missing.append(f"{name} {opt}")
    assert not missing


def test_every_config_key_documented():
    missing = [k for k in config_keys() if f"`{k}`" not in README]
    assert not missing


def test_every_table_and_required_column_documented():
    for spec in CONTRACTS.values():
        assert f"`{spec.name}`" in README
        for col in spec.columns:
            if col.required_by:
                assert f"`{col.name}`" in README, col.name


def test_ci_runs_the_readme_test_command():
    blocks = re.findall(r"```bash\n(.*?)\n```", README, re.S)
    test_cmd = next(b for b in blocks if "pytest" in b).strip()
    assert test_cmd in (ROOT / ".ci" / "run").read_text()
    demo_cmd = next(b for b in blocks if "crmlens demo" in b).strip()
    assert demo_cmd.startswith("python3.11 -m venv")
