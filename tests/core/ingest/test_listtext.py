import pyarrow as pa

from core.ingest.listtext import as_string_lists, collect, explode


def test_python_list_text_fast_and_slow_paths():
    lists, bad = as_string_lists(pa.array(["['a', 'b']", "[]", None, "['it\\'s', \"x\"]", "", "['a, b', 'c']"]))
    assert lists.to_pylist() == [["a", "b"], [], [], ["it's", "x"], [], ["a, b", "c"]]
    assert bad == 0


def test_malformed_list_text_is_counted_and_kept_as_empty():
    lists, bad = as_string_lists(pa.array(["['ok']", "['unterminated", "{'a': 1}", "42", "[1, None, 'x']"]))
    assert lists.to_pylist() == [["ok"], [], [], [], ["1", "x"]]
    assert bad == 3


def test_real_lists_pass_through():
    lists, bad = as_string_lists(pa.array([["a"], None, []], pa.list_(pa.large_string())))
    assert lists.to_pylist() == [["a"], [], []]
    assert bad == 0


def test_collect_dedupes_and_keeps_first_order():
    lists, _ = as_string_lists(pa.array(["['b', 'a', 'b']", "[]", "['c']"]))
    rows, values = explode(lists)
    merged = collect(4, [(rows, values), (rows[:1], pa.array(["z"]))])
    assert merged.to_pylist() == [["b", "a", "z"], [], ["c"], []]
