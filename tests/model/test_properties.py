"""Properties: files round-trip losslessly, and validation fails only with a clear error."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coachkit.errors import InvalidWorkbook
from coachkit.model import Deal
from coachkit.model.files import dumps, parse_workbook, validate_document
from coachkit.store import Store
from support.strategies import deal_documents

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@SETTINGS
@given(doc=deal_documents())
def test_export_of_import_is_identity(doc: dict[str, Any], tmp_path_factory) -> None:
    canonical = Deal.model_validate(doc).to_json_dict()
    text = json.dumps(canonical, ensure_ascii=False)
    location = str(tmp_path_factory.mktemp("rt") / "s.db")
    with Store(location) as store:
        store.put(parse_workbook(text.encode("utf-8"), "x.json"), author="prop")
        exported = dumps(store.get(canonical["deal"]["id"]).deal)
    assert json.loads(exported) == canonical
    assert dumps(parse_workbook(exported, "again.json")) == exported


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                  max_size=4),
    max_leaves=20,
)


@st.composite
def mutated_documents(draw: st.DrawFn) -> Any:
    """A valid document with one value somewhere replaced by anything at all."""
    doc = draw(deal_documents())
    node: Any = doc
    path: list[Any] = []
    while isinstance(node, dict | list) and node and draw(st.booleans()):
        key = draw(st.sampled_from(list(node) if isinstance(node, dict) else range(len(node))))
        path.append((node, key))
        node = node[key]
    if path:
        parent, key = path[-1]
        parent[key] = draw(json_values)
    return doc


@settings(max_examples=400, deadline=None)
@given(value=json_values | mutated_documents())
def test_validation_fails_only_with_a_validation_error(value: Any) -> None:
    try:
        validate_document(value, "fuzz.json")
    except InvalidWorkbook as exc:
        line = str(exc)
        assert line.startswith("fuzz.json: ") and "\n" not in line.strip()


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=200) | st.text(max_size=200).map(lambda t: t.encode("utf-8",
                                                                                  "surrogatepass")))
def test_parsing_bytes_fails_only_with_a_validation_error(data: bytes) -> None:
    try:
        parse_workbook(data, "bytes.json")
    except InvalidWorkbook as exc:
        assert str(exc).startswith("bytes.json: ")
