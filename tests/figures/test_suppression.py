"""Small counts are hidden as "<5", and complementary cells so no total gives one away."""

from __future__ import annotations

from itertools import product

from engine.chain.figures import HIDDEN, suppress


def _recoverable(counts: list[list[int]], row_totals: bool) -> list[tuple[int, int]]:
    """Hidden cells a reader could work out exactly from one row or column with its total."""
    shown = suppress(counts, row_totals)
    n_rows, n_cols = len(counts), len(counts[0])
    grid: dict[tuple[int, int], int | str] = {}
    for r, c in product(range(n_rows), range(n_cols)):
        grid[(r, c)] = shown.cells[r][c]
    for c in range(n_cols):
        grid[(n_rows, c)] = shown.column_totals[c]
    if row_totals:
        assert shown.row_totals is not None
        for r in range(n_rows):
            grid[(r, n_cols)] = shown.row_totals[r]
        grid[(n_rows, n_cols)] = shown.total if shown.total is not None else HIDDEN
    lines = [[(r, c) for c in range(n_cols + (1 if row_totals else 0))]
             for r in range(n_rows + 1)] if row_totals else []
    lines += [[(r, c) for r in range(n_rows + 1)]
              for c in range(n_cols + (1 if row_totals else 0))]
    found = []
    for line in lines:
        hidden = [key for key in line if grid.get(key) == HIDDEN]
        if len(hidden) == 1:
            found.append(hidden[0])
    return found


def test_counts_from_one_to_four_are_hidden_and_zero_and_five_are_not():
    shown = suppress([[0, 1, 4, 5, 9]], row_totals=False)
    assert shown.cells == [[0, HIDDEN, HIDDEN, 5, 9]]
    assert shown.column_totals == [0, HIDDEN, HIDDEN, 5, 9]


def test_a_single_hidden_cell_in_a_row_with_its_total_hides_a_second_one():
    shown = suppress([[3, 10, 20]])
    # 33 - 10 - 20 would give the 3 away: the smallest other non-zero cell goes too
    assert shown.cells == [[HIDDEN, HIDDEN, 20]]
    assert shown.row_totals == [33]


def test_complementary_cells_in_columns_too():
    counts = [[2, 30, 40],
              [50, 60, 70]]
    shown = suppress(counts)
    assert shown.cells[0][0] == HIDDEN
    # column 0 (2 + 50 = 52 shown) would give the 2 away: 50 is hidden as well
    assert shown.cells[1][0] == HIDDEN
    assert _recoverable(counts, True) == []


def test_a_row_whose_only_other_cells_are_zero_hides_its_total():
    shown = suppress([[0, 3, 0], [10, 10, 10]])
    assert shown.cells[0] == [0, HIDDEN, 0]
    assert shown.row_totals is not None and shown.row_totals[0] == HIDDEN


def test_no_hidden_cell_can_be_worked_out_from_any_line():
    tables = [
        [[1, 7, 9, 12], [8, 2, 6, 30], [0, 0, 4, 11], [15, 16, 17, 18]],
        [[4, 4, 4], [4, 4, 4]],
        [[100, 1], [100, 1], [100, 100]],
        [[0, 0, 0], [0, 6, 1]],
    ]
    for counts in tables:
        assert _recoverable(counts, True) == [], counts
        assert _recoverable(counts, False) == [], counts


def test_without_row_totals_columns_still_protect_their_cells():
    shown = suppress([[3, 9], [12, 9]], row_totals=False)
    assert shown.row_totals is None and shown.total is None
    assert shown.cells[0][0] == HIDDEN and shown.cells[1][0] == HIDDEN
    assert shown.column_totals == [15, 18]


def test_the_share_on_time_is_given_only_where_both_counts_are_shown():
    from engine.chain import figures

    attempt = next(f for f in figures.FIGURES if f.id == "attempt")
    table = figures.FigureTable(attempt, ["2026-01", "2026-02", "2026-03"],
                                list(attempt.columns), [[30, 10], [3, 20], [12, 8]])
    shown = figures.as_dict(table)
    assert shown["shares"] == [75.0, None, None]
    assert shown["cells"][1] == [HIDDEN, HIDDEN]
