"""Every vector in vectors.json through the JavaScript evaluator (static/js/conditions.js) in node.

The fields are described to it by ``formflow.web.form_model.condition_fields``, exactly as a form
page describes them to the browser; each result must equal the vector's and the Python evaluator's.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from condition_helpers import context_of, vector_fields, vectors

from formflow.conditions.python import evaluate
from formflow.conditions.tree import parse
from formflow.web.form_model import condition_fields

NODE = shutil.which("node")
EVALUATOR = Path(__file__).resolve().parents[2] / "static" / "js" / "conditions.js"
#: reads [{condition, data, context}, ...] on stdin, prints [result or {"error"}, ...]
RUNNER = """
const conditions = require(process.argv[1]);
let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const {fields, cases} = JSON.parse(input);
  const results = cases.map((item) => {
    try {
      return conditions.evaluate(item.condition, item.data, fields, item.context);
    } catch (error) {
      return {error: String(error)};
    }
  });
  process.stdout.write(JSON.stringify(results));
});
"""

VECTORS = vectors()
IDS = [vector["description"] for vector in VECTORS]


def run_in_node(cases: list[dict[str, Any]], fields: dict[str, Any]) -> list[Any]:
    """Evaluate ``cases`` (condition, data, context) with conditions.js; one node process for all."""
    if NODE is None:
        pytest.fail("node is not installed: the JavaScript evaluator cannot be tested")
    completed = subprocess.run([NODE, "-e", RUNNER, str(EVALUATOR)], input=json.dumps(
        {"fields": fields, "cases": cases}), capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


@pytest.fixture(scope="module")
def js_results() -> list[Any]:
    """The JavaScript evaluator's answer for every vector, in file order."""
    cases = [{"condition": vector["condition"], "data": vector["data"], "context": vector["context"]}
             for vector in VECTORS]
    return run_in_node(cases, condition_fields(vector_fields().values()))


@pytest.mark.parametrize("index", range(len(VECTORS)), ids=IDS)
def test_javascript_evaluator(index: int, js_results: list[Any]) -> None:
    assert js_results[index] is VECTORS[index]["expected"]


@pytest.mark.parametrize("index", range(len(VECTORS)), ids=IDS)
def test_javascript_agrees_with_python(index: int, js_results: list[Any]) -> None:
    vector = VECTORS[index]
    python = evaluate(parse(vector["condition"], vector_fields()), vector["data"], context_of(vector))
    assert js_results[index] is python


#: stored values of unusual shapes (imports, older versions, hand-made JSON): each is tried against
#: every single-leaf vector condition on every field, and JavaScript must answer as Python does
ODD_VALUES: tuple[Any, ...] = (
    None, "", " ", "12", " 12 ", "12.0", "1e3", "1_000", "abc", "inf", "nan", "-0", 0, 12, 12.7, -1.5,
    1e16, True, False, [], [12], ["a", "b"], {}, {"province": "44"}, {"province": "44", "city": "4403"},
    "2026-11-25", "2026-02-30", "2026-11-25T04:00:00Z", "2026-11-25T12:00:00+08:00",
    "2026-11-25 04:00", "2026-11-25T04:00:00.5Z", "10.00", "9.999", "-0.01", "1234.5e1",
)


def _single_leaves() -> list[dict[str, Any]]:
    leaves = {json.dumps(vector["condition"], sort_keys=True): vector for vector in VECTORS
              if "field" in vector["condition"] and vector["condition"]["field"] in vector_fields()}
    return list(leaves.values())


def test_javascript_agrees_with_python_on_unusual_stored_values() -> None:
    fields = vector_fields()
    cases, expected = [], []
    for vector in _single_leaves():
        condition = parse(vector["condition"], fields)
        for value in ODD_VALUES:
            data = {vector["condition"]["field"]: value}
            cases.append({"condition": vector["condition"], "data": data, "context": vector["context"]})
            expected.append(evaluate(condition, data, context_of(vector)))
    results = run_in_node(cases, condition_fields(fields.values()))
    disagreements = [(case["condition"], case["data"], python, javascript)
                     for case, python, javascript in zip(cases, expected, results, strict=True)
                     if javascript is not python]
    assert disagreements == []
