"""Every committed demo submission is valid for its task and scores as intended."""


from benchmark.leaderboard.board import score_board
from benchmark.submissions.folders import discover
from benchmark.data.labels import load_labels
from benchmark.submissions.submission import read_submission, read_submission_bytes


def _entries(registry, root):
    for task in registry:
        for e in discover(root, task.id):
            yield task, e


def test_every_demo_submission_is_valid(registry, root):
    seen = 0
    for task, e in _entries(registry, root):
        assert e.meta_error is None, f"{e.folder}: {e.meta_error}"
        assert e.meta.synthetic is True and e.meta.task == task.id
        labels = load_labels(task, e.meta.split)
        if e.encrypted:  # the confidential demo task: opened with its committed DEMO key
            from benchmark.submissions.confidential import decrypt, resolve_identity

            plain = decrypt(e.predictions.read_bytes(), resolve_identity(task))
            sub = read_submission_bytes(task, plain, labels.public_cases(), format=e.meta.format)
        else:
            sub = read_submission(task, e.predictions, labels.public_cases(), format=e.meta.format)
        assert sub.format == e.meta.format
        seen += 1
    # every task that ships demo submissions ships at least four (a new task may ship none)
    with_entries = [t for t in registry if discover(root, t.id)]
    assert seen >= 4 * len(with_entries)


def test_prevalence_baseline_is_last(registry, root):
    # every task's entries score; where a task ships a prevalence baseline, every model beats it
    for task in registry:
        board = score_board(task, root, replicates=0)
        assert not [r for r in board.rows if r.problems is not None]
        if not any("prevalence" in r.entry.name for r in board.rows):  # none, or no baseline
            continue
        last = board.scored[-1]
        assert "prevalence" in last.entry.name, (task.id, [r.entry.name for r in board.scored])
