"""The import dialog keeps a preview's rows in a PlanStore (pickled pages in a temporary SQLite file, compact
arrays in memory): it must give back every row as planned, in order, and its filters' arrays must agree."""

from __future__ import annotations

from desktop.importing.plan import Issue, Kind, RowPlan, Status
from desktop.importing.plan_store import PAGE, PlanStore
from desktop.importing.reading import Record

STATUSES = [Status.CREATE, Status.UPDATE, Status.ERROR, Status.SAME_AS, Status.DUPLICATE, Status.UNCHANGED]


def plans(start: int, count: int) -> list[RowPlan]:
    made = []
    for n in range(start, start + count):
        status = STATUSES[n % len(STATUSES)]
        issues = [Issue(n + 2, "Store", "changes from Kauri to Rimu", Kind.ALERT)] if n % 7 == 0 else []
        made.append(RowPlan(row=n + 2, status=status, values={"name": f"Ngaio Ruru {n}", "email": f"n{n}@example.test"},
                            issues=issues, record=Record(n + 2, [f"Ngaio Ruru {n}", f"n{n}@example.test"])))
    return made


def test_rows_come_back_in_order_across_chunks_pages_and_the_tail() -> None:
    store = PlanStore()
    expected: list[RowPlan] = []
    for size in (5, PAGE * 3 + 1, 1, PAGE - 1, 777):  # chunks that end inside, at and across pages
        chunk = plans(len(expected), size)
        expected.extend(chunk)
        store.extend(chunk)
        assert len(store) == len(expected)
    assert [p.row for p in store] == [p.row for p in expected]
    assert store[len(expected) - 1].row == expected[-1].row and store[-1].row == expected[-1].row
    assert [p.row for p in store[PAGE - 3:PAGE * 2 + 5]] == [p.row for p in expected[PAGE - 3:PAGE * 2 + 5]]
    assert store[134].values == expected[134].values and store[134].status is Status.ERROR  # (a second page)
    # Records are kept for rows with errors only (the error CSV): nothing else reads them.
    assert all((p.record is not None) == (p.status is Status.ERROR) for p in store)
    assert list(store.file_rows) == [p.row for p in expected]
    for status in STATUSES:
        assert [store[i].row for i in store.indexes_of(status)] == [p.row for p in expected if p.status is status]
        assert [p.row for p in store.of_status(status)] == [p.row for p in expected if p.status is status]
        assert store.counts[status] == sum(p.status is status for p in expected)
    assert list(store.alert_rows) == [i for i, p in enumerate(expected) if p.issues]
    assert [row for row, _text in store.alerts] == [p.row for p in expected if p.issues]
    assert store.alerts[0][1] == "Row 2  ·  Store: changes from Kauri to Rimu"


def test_a_closed_store_refuses_reads() -> None:
    store = PlanStore()
    store.extend(plans(0, PAGE * 2))
    store.close()
    try:
        store[0]
    except ValueError:
        pass
    else:  # pragma: no cover
        raise AssertionError("a closed store gave a row")
