"""Terminal tables wrap: every metric of a task is shown, whatever the width."""

import pytest

from benchmark.leaderboard.board import score_board


@pytest.fixture(scope="module")
def cspine_board(registry, root):
    return score_board(registry.get("rsna-cspine"), root, replicates=0, cache_dir=None)


@pytest.mark.parametrize("width", [80, 100, 400])
def test_every_metric_is_shown_and_lines_fit(cspine_board, width):
    text = cspine_board.text_table(width=width)
    headers = " ".join(l for l in text.splitlines() if l.startswith("rank "))
    names = [s.name for s in cspine_board.task.metric_specs()]
    assert len(names) > 10
    for n in names:  # C6 and C7 included: nothing is dropped
        assert f" {n} " in f" {headers} ", n
    table_lines = [l for l in text.splitlines() if l.startswith(("rank ", "----")) or l[:4].strip().isdigit()]
    if width >= 100:  # at 80 columns one metric beside the fixed columns can be wider
        assert max(map(len, table_lines)) <= width
    assert "auc/C6" in headers and "auc/C7" in headers
    # each submission appears once per block, the blocks together cover every metric once
    blocks = text.count("rank  submission")
    assert blocks == 1 + text.count("(continued)")
    assert (blocks == 1) == (width == 400)
