"""The live feed's merge: an organization's rows are replaced, the rest kept, queue order kept."""

from harmony_portal.live import merge_rows


def _row(request_id: int, org: str, created: str) -> dict[str, str]:
    return {"id": str(request_id), "organization": org, "created": created}


def test_rows_of_changed_organizations_are_replaced_and_order_is_oldest_first():
    current = [_row(1, "A", "2026-01-01T09:00"), _row(2, "B", "2026-01-01T10:00"), _row(3, "A", "2026-01-01T11:00")]
    merged = merge_rows(current, {"A": [_row(3, "A", "2026-01-01T11:00"), _row(4, "A", "2026-01-01T08:00")]})
    assert [r["id"] for r in merged] == ["4", "2", "3"]


def test_an_organization_with_nothing_pending_empties_out():
    current = [_row(1, "A", "2026-01-01T09:00"), _row(2, "B", "2026-01-01T10:00")]
    assert [r["id"] for r in merge_rows(current, {"A": []})] == ["2"]
