"""action.yml, the composite GitHub Action, run here as GitHub's runner runs it, as far as that
goes without GitHub: each `shell: bash` step as `bash --noprofile --norc -eo pipefail FILE` in
the workspace, its `env:` and `if:` expressions evaluated from the inputs (defaults filled in,
unknown ones refused as the runner warns) and from earlier steps' $GITHUB_OUTPUT; the
action's outputs read from its `outputs:` the same way. A `uses:` step (actions/setup-python)
is stood in for by a fake giving its documented output.

The tests stand in for the install step with the nginxcache of this venv, but the last, which
runs it too: a venv, pip installing nginxcache from the action's own directory. The quick suite
keeps the checks of the file, the inputs refused before lint runs, and one real lint run; those
that run nginxcache more often are slow (each run imports it anew, a second on a busy machine).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_report_formats import sarif_schema as sarif_schema  # noqa: F401 (a fixture)
from test_report_formats import valid_code_quality, valid_sarif

REPO = Path(__file__).resolve().parent.parent
ACTION = REPO / "action.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
REFERENCE = re.compile(r"^(inputs\.[\w-]+|steps\.[\w-]+\.outputs\.[\w-]+|github\.action_path|runner\.temp)$")
CONDITION = re.compile(r"^(?P<ref>\S+)\s*(?P<op>==|!=)\s*'(?P<literal>[^']*)'$")
THIS_NGINXCACHE = Path(sys.executable).parent / "nginxcache"
Fake = Callable[[dict[str, Any]], dict[str, str]]  # a `uses:` step's stand-in: its `with:` -> its outputs

GOOD_SITE = """\
server {
    listen 80;
    root /srv/example;
    location /assets/ {
        add_header Cache-Control "public, max-age=31536000, immutable";
    }
    location / {
        add_header Cache-Control "no-cache";
        try_files $uri $uri/ =404;
    }
}
"""
CACHE_EVERYTHING = """\
server {
    listen 80;
    root /srv/shop;
    location / {
        expires max;
        try_files $uri /index.html;
    }
}
"""


def action() -> dict[str, Any]:
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def steps() -> list[dict[str, Any]]:
    return action()["runs"]["steps"]  # type: ignore[no-any-return]


def expressions(value: object) -> list[str]:
    """Every ${{ ... }} in a YAML value, however deep."""
    if isinstance(value, str):
        return EXPRESSION.findall(value)
    if isinstance(value, dict):
        return [e for v in value.values() for e in expressions(v)]
    if isinstance(value, list):
        return [e for v in value for e in expressions(v)]
    return []


@dataclass
class Run:
    code: int  # the exit code of the step that failed, or 0
    log: str  # stdout and stderr of the steps, in order
    outputs: dict[str, str]  # the action's outputs
    ran: list[str] = field(default_factory=list)  # ids of the steps that ran


class Runner:
    """The composite action's steps, one after the other, stopping at the first that fails."""

    def __init__(self, workspace: Path, temp: Path, inputs: Mapping[str, str], fakes: Mapping[str, Fake],
                 action_path: Path = REPO, env: Mapping[str, str] | None = None) -> None:
        declared = action()["inputs"]
        unknown = set(inputs) - set(declared)
        assert not unknown, f"the action has no input {unknown}"
        self.inputs = {name: str(spec.get("default", "")) for name, spec in declared.items()}
        self.inputs.update(inputs)
        missing = [name for name, spec in declared.items() if spec.get("required") and not self.inputs[name]]
        assert not missing, f"required inputs missing: {missing}"
        self.workspace, self.temp, self.fakes, self.action_path = workspace, temp, fakes, action_path
        self.env = dict(os.environ if env is None else env)
        self.step_outputs: dict[str, dict[str, str]] = {}

    def value(self, reference: str) -> str:
        parts = reference.split(".")
        if parts[0] == "inputs":
            return self.inputs[parts[1]]
        if parts[0] == "steps":  # a step that did not run has no outputs: ''
            return self.step_outputs.get(parts[1], {}).get(parts[3], "")
        if reference == "github.action_path":
            return str(self.action_path)
        if reference == "runner.temp":
            return str(self.temp)
        raise AssertionError(f"this runner cannot evaluate ${{{{ {reference} }}}}")

    def expand(self, text: object) -> str:
        return EXPRESSION.sub(lambda m: self.value(m.group(1)), str(text))

    def condition(self, text: str) -> bool:
        match = CONDITION.match(text.strip())
        assert match, f"this runner cannot evaluate the condition {text!r}"
        equal = self.value(match["ref"]) == match["literal"]
        return equal if match["op"] == "==" else not equal

    def run(self) -> Run:
        self.temp.mkdir(parents=True, exist_ok=True)
        log, ran = [], []
        code = 0
        for index, step in enumerate(steps()):
            step_id = step.get("id", f"step{index}")
            if "if" in step and not self.condition(step["if"]):
                continue
            ran.append(step_id)
            if step_id in self.fakes:
                self.step_outputs[step_id] = self.fakes[step_id]({k: self.expand(v) for k, v in step.get("with", {}).items()})
                continue
            assert "run" in step, f"step {step_id}: uses {step.get('uses')} needs a fake here"
            script = self.temp / f"{step_id}.sh"
            script.write_text(step["run"])
            output_file = self.temp / f"{step_id}.output"
            output_file.write_text("")
            env = {**self.env, **{k: self.expand(v) for k, v in step.get("env", {}).items()}}
            env.update(GITHUB_OUTPUT=str(output_file), GITHUB_ACTION_PATH=str(self.action_path), RUNNER_TEMP=str(self.temp),
                       GITHUB_WORKSPACE=str(self.workspace))
            result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=self.workspace, env=env,
                                    capture_output=True, text=True, timeout=900)
            log.append(result.stdout + result.stderr)
            self.step_outputs[step_id] = parse_output_file(output_file.read_text())
            if result.returncode != 0:
                code = result.returncode
                break
        outputs = {name: self.expand(spec["value"]) for name, spec in action()["outputs"].items()}
        return Run(code, "".join(log), outputs, ran)


def parse_output_file(text: str) -> dict[str, str]:
    """$GITHUB_OUTPUT: `name=value` lines, or `name<<DELIMITER` ... `DELIMITER`."""
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            outputs[name] = "\n".join(iter(lambda: next(lines), delimiter))
        elif line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


def setup_python(given: dict[str, Any]) -> dict[str, str]:
    """actions/setup-python as the action calls it: beside the job's Python, not instead of it."""
    assert given["update-environment"] == "False", "the job's own python must stay as it was"
    assert re.fullmatch(r"3\.\d+", given["python-version"]), given
    return {"python-path": sys.executable}


def this_venv(given: dict[str, Any]) -> dict[str, str]:
    return {"nginxcache": str(THIS_NGINXCACHE)}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A repository checkout: nginx.conf including conf.d/*.conf, and a Debian site file."""
    root = tmp_path / "workspace"
    (root / "nginx" / "conf.d").mkdir(parents=True)
    (root / "sites-available").mkdir()
    (root / "nginx" / "nginx.conf").write_text("events {}\nhttp {\n    include conf.d/*.conf;\n}\n")
    (root / "nginx" / "conf.d" / "example.conf").write_text(GOOD_SITE)
    (root / "sites-available" / "example.com").write_text(GOOD_SITE)
    return root


def lint_action(workspace: Path, **inputs: str) -> Run:
    fakes = {"python": setup_python, "install": this_venv}
    return Runner(workspace, workspace.parent / "runner-temp", inputs, fakes).run()


# ---------------------------------------------------------------------------------------------
# The file itself


def test_action_is_composite_and_its_scripts_are_bash() -> None:
    spec = action()
    assert spec["runs"]["using"] == "composite"
    assert spec["name"] and spec["description"] and spec["branding"]
    for step in steps():
        assert step.get("name"), step
        if "run" in step:
            assert step["shell"] == "bash", step["name"]
            check = subprocess.run(["bash", "-n"], input=step["run"], capture_output=True, text=True)
            assert check.returncode == 0, f"{step['name']}: {check.stderr}"
        else:
            assert re.fullmatch(r"[\w-]+/[\w-]+@v\d+", step["uses"]), step["uses"]  # a major version tag


def test_inputs_reach_scripts_through_env_only() -> None:
    """An expression inside `run:` is pasted into the script before bash reads it: a file name
    like `$(curl ...)` would run. Values go through env, where they are only data."""
    for step in steps():
        assert not EXPRESSION.search(step.get("run", "")), step["name"]


def test_every_expression_names_something_that_exists() -> None:
    spec = action()
    ids: list[str] = []
    for step in steps():
        for expression in expressions({k: v for k, v in step.items() if k != "if"}) + ([step["if"]] if "if" in step else []):
            reference = CONDITION.match(expression)["ref"] if CONDITION.match(expression) else expression  # type: ignore[index]
            assert REFERENCE.match(reference), f"{step['name']}: {expression}"
            if reference.startswith("inputs."):
                assert reference.split(".")[1] in spec["inputs"], expression
            if reference.startswith("steps."):
                assert reference.split(".")[1] in ids, f"{step['name']}: {expression} names no earlier step"
        ids.append(step.get("id", ""))
    for name, output in spec["outputs"].items():
        [expression] = expressions(output["value"])
        assert expression.split(".")[1] in ids, name
    for name, spec_input in spec["inputs"].items():
        assert spec_input.get("description"), name
        used = any(f"inputs.{name}" in e for step in steps() for e in expressions(step) + [step.get("if", "")])
        assert used, f"input {name} is never used"


# ---------------------------------------------------------------------------------------------
# Running it


@pytest.mark.slow
def test_sarif_of_a_config_with_findings(workspace: Path, sarif_schema) -> None:  # noqa: F811
    (workspace / "sites-available" / "shop").write_text(CACHE_EVERYTHING)
    run = lint_action(workspace, configs="nginx/nginx.conf\nsites-available/*", format="sarif")
    assert run.ran == ["python", "install", "lint"]
    assert run.code == 1, run.log
    assert run.outputs == {"sarif-file": "nginxcache.sarif", "report-file": "nginxcache.sarif", "exit-code": "1"}
    document = valid_sarif(sarif_schema, (workspace / "nginxcache.sarif").read_text())
    found = {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in document["runs"][0]["results"]}
    assert found == {("NC101", "sites-available/shop"), ("NC106", "sites-available/shop"), ("NC107", "sites-available/shop")}
    # the findings are in the log too, one line each
    assert "sites-available/shop:6:9: NC107 try_files falls back to /index.html" in run.log


@pytest.mark.slow
def test_sarif_of_clean_configs_and_a_nested_output_path(workspace: Path, sarif_schema) -> None:  # noqa: F811
    run = lint_action(workspace, configs="nginx/nginx.conf sites-available/*", format="sarif", output="reports/lint.sarif")
    assert run.code == 0, run.log
    assert run.outputs["sarif-file"] == "reports/lint.sarif" and run.outputs["exit-code"] == "0"
    assert valid_sarif(sarif_schema, (workspace / "reports" / "lint.sarif").read_text())["runs"][0]["results"] == []


@pytest.mark.slow
def test_sarif_of_a_config_that_cannot_be_read(workspace: Path, sarif_schema) -> None:  # noqa: F811
    (workspace / "sites-available" / "broken").write_text("server {\n    listen 80\n}\n")
    run = lint_action(workspace, configs="sites-available/*", format="sarif")
    assert run.code == 3 and run.outputs["exit-code"] == "3", run.log
    assert 'nginxcache: error: sites-available/broken:3: unexpected "}"' in run.log
    [result] = valid_sarif(sarif_schema, (workspace / "nginxcache.sarif").read_text())["runs"][0]["results"]
    assert result["ruleId"] == "NC000"  # uploaded, the failure shows in code scanning too


def test_github_annotations_by_default(workspace: Path) -> None:
    (workspace / "nginx" / "conf.d" / "shop.conf").write_text(CACHE_EVERYTHING)
    run = lint_action(workspace, configs="nginx/conf.d/*.conf")
    assert run.code == 1, run.log
    assert "::error file=nginx/conf.d/shop.conf,line=6,col=9,title=NC107::NC107 try_files falls back" in run.log
    assert run.outputs == {"sarif-file": "", "report-file": "", "exit-code": "1"}


@pytest.mark.slow
def test_fail_on_error_lets_warnings_pass(workspace: Path) -> None:
    (workspace / "sites-available" / "headers").write_text(
        "server {\n    add_header X-Frame-Options DENY;\n    location /a/ {\n        add_header X-Foo foo;\n    }\n}\n")
    assert lint_action(workspace, configs="sites-available/headers", format="text").code == 1  # NC105, a warning
    run = lint_action(workspace, configs="sites-available/headers", format="text", **{"fail-on": "error"})
    assert run.code == 0 and "NC105" in run.log


@pytest.mark.slow
def test_code_quality_report_and_extra_args(workspace: Path, monkeypatch) -> None:
    (workspace / "nginx" / "conf.d" / "shop.conf").write_text(CACHE_EVERYTHING)
    run = lint_action(workspace, configs="**/*.conf", format="codeclimate", args="--select NC107 --exit-zero")
    assert run.code == 0, run.log
    assert run.outputs["report-file"] == "gl-code-quality-report.json" and run.outputs["sarif-file"] == ""
    issues = valid_code_quality((workspace / "gl-code-quality-report.json").read_text())
    assert {(i["check_name"], i["location"]["path"], i["location"]["lines"]["begin"]) for i in issues} == {
        ("NC107", "nginx/conf.d/shop.conf", 6)}


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"configs": "nginx/missing/*.conf"}, "::error title=nginxcache::configs: nginx/missing/*.conf matches no file"),
        ({"configs": " \n "}, "::error title=nginxcache::configs: name at least one nginx config file"),
        ({"configs": "nginx/nginx.conf", "format": "xml"},
         "::error title=nginxcache::format: xml is not one of github, sarif, codeclimate, json, text"),
        pytest.param({"configs": "nginx/nginx.conf", "fail-on": "note"}, "--fail-on", marks=pytest.mark.slow),
        pytest.param({"configs": "nginx/nginx.conf", "format": "sarif", "fail-on": "note"}, "--fail-on", marks=pytest.mark.slow),
    ],
)
def test_bad_inputs_are_one_clear_line_and_exit_2(workspace: Path, inputs: dict[str, str], message: str) -> None:
    run = lint_action(workspace, **inputs)
    assert run.code == 2, run.log
    assert message in run.log
    assert "Traceback" not in run.log
    # no report to upload: the upload step of the documented workflow is skipped
    assert run.outputs == {"sarif-file": "", "report-file": "", "exit-code": "2"}
    assert not (workspace / "nginxcache.sarif").exists()


@pytest.mark.slow
def test_a_missing_file_is_lints_own_exit_3(workspace: Path) -> None:
    run = lint_action(workspace, configs="nginx/nope.conf")
    assert run.code == 3
    assert "::error file=nginx/nope.conf" in run.log and "no such file" in run.log


def test_config_names_are_data_not_shell(workspace: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    run = lint_action(workspace, configs=f"$(touch {marker}) `touch {marker}` ;touch {marker}", format="text")
    assert run.code == 3  # lint was asked for a file of that name
    assert not marker.exists()


def test_the_job_python_is_checked_when_no_version_is_set_up(workspace: Path, tmp_path: Path) -> None:
    """python-version '' uses python3 from PATH: an old one is refused in one line."""
    old = tmp_path / "bin"
    old.mkdir()
    (old / "python3").write_text("#!/bin/sh\ncase \"$*\" in *-V*) echo 'Python 3.10.12';; *) exit 1;; esac\n")
    (old / "python3").chmod(0o755)
    env = {**os.environ, "PATH": f"{old}:{os.environ['PATH']}"}
    run = Runner(workspace, tmp_path / "temp", {"configs": "nginx/nginx.conf", "python-version": ""}, {}, env=env).run()
    assert run.ran == ["install"]
    assert run.code == 2
    assert ("::error title=nginxcache::nginxcache needs Python 3.11 or later, python3 is Python 3.10.12: "
            "set the python-version input") in run.log


@pytest.mark.slow
def test_installs_nginxcache_from_the_action_itself(workspace: Path, tmp_path: Path, sarif_schema) -> None:  # noqa: F811
    """The whole action, its install step too: a venv in RUNNER_TEMP, nginxcache pip-installed
    from the action's directory (a copy of this checkout), no PYTHONPATH from the test run."""
    action_path = tmp_path / "action"
    shutil.copytree(REPO, action_path, ignore=shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", "*.egg-info", ".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache", "node_modules",
        "build", "dist"))
    (workspace / "sites-available" / "shop").write_text(CACHE_EVERYTHING)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    run = Runner(workspace, tmp_path / "temp", {"configs": "nginx/nginx.conf sites-available/*", "format": "sarif"},
                 {"python": setup_python}, action_path=action_path, env=env).run()
    offline = r"Failed to establish a new connection|Temporary failure in name resolution|No matching distribution"
    if run.code != 0 and re.search(offline, run.log):
        pytest.skip("no package index reachable")
    assert run.ran == ["python", "install", "lint"]
    installed = tmp_path / "temp" / "nginxcache-action" / "bin" / "nginxcache"
    assert installed.is_file()
    from nginxcache import __version__

    assert f"nginxcache {__version__}" in run.log
    assert run.code == 1, run.log
    document = valid_sarif(sarif_schema, (workspace / "nginxcache.sarif").read_text())
    assert {r["ruleId"] for r in document["runs"][0]["results"]} == {"NC101", "NC106", "NC107"}
    assert json.loads((workspace / "nginxcache.sarif").read_text())["runs"][0]["tool"]["driver"]["version"] == __version__


def test_documented_workflows_use_the_actions_real_inputs_and_outputs() -> None:
    """Every YAML block of docs/integrations/ci.md parses; each step that uses this action gives
    only inputs it has, and each `steps.<that step>.outputs.X` is an output it has."""
    page = (REPO / "docs" / "integrations" / "ci.md").read_text(encoding="utf-8")
    blocks = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", page, re.S)]
    spec = action()
    workflows = [b for b in blocks if "jobs" in b]
    assert len(workflows) == 2
    for workflow in workflows:
        for job in workflow["jobs"].values():
            ours = [s for s in job["steps"] if s.get("uses", "").startswith("nginxcache/nginxcache@")]
            assert len(ours) == 1
            assert set(ours[0]["with"]) <= set(spec["inputs"]), ours[0]["with"]
            assert ours[0]["with"]["configs"]
            for step in job["steps"]:
                for expression in expressions(step):
                    for step_id, output in re.findall(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression):
                        assert step_id == ours[0]["id"] and output in spec["outputs"], expression
    [gitlab] = [b for b in blocks if "nginxcache-lint" in b]
    job = gitlab["nginxcache-lint"]
    assert job["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    assert any("--format codeclimate" in line and line.endswith("> gl-code-quality-report.json") for line in job["script"])
