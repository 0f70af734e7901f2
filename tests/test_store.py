"""The cell store's chunks depend on the inputs alone, so a change rewrites only the chunk it falls in."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from nianbao.store import MAX_CHUNK, chunk_segment, chunks, is_boundary

PATHS = st.lists(st.text("abc/0123456789.txt巫山县", min_size=1, max_size=12), max_size=300, unique=True)


@settings(max_examples=200, deadline=None)
@given(PATHS, st.text("abc/0123456789.txt巫山县", min_size=1, max_size=12))
def test_adding_a_file_changes_only_the_chunk_it_falls_in(paths, new):
    before = chunks(sorted(paths))
    after = chunks(sorted({*paths, new}))
    assert [p for c in after for p in c] == sorted({*paths, new})  # every path once, in order
    # the chunk the new path joins: the first whose last path sorts after it (or the last one)
    host = next((i for i, c in enumerate(before) if new <= c[-1]), len(before) - 1)
    kept = {tuple(c) for i, c in enumerate(before) if i != host}
    assert kept <= {tuple(c) for c in after}
    assert len(after) - len(kept) <= 2  # the host chunk, split in two when the new path is a boundary


def test_chunks_are_cut_at_boundaries_or_at_the_cap():
    paths = [f"{i:06d}.txt" for i in range(5000)]
    got = chunks(paths)
    assert [p for c in got for p in c] == paths
    for c in got[:-1]:
        assert is_boundary(c[-1]) or len(c) == MAX_CHUNK
    assert all(not is_boundary(p) for c in got for p in c[:-1])


def test_a_segment_id_names_its_files_and_their_content():
    pairs = [("a.txt", "1" * 64), ("b.txt", "2" * 64)]
    assert chunk_segment(pairs, "p1") == chunk_segment(list(pairs), "p1")
    assert chunk_segment(pairs, "p1") != chunk_segment(pairs, "p2")  # another parser
    assert chunk_segment(pairs, "p1") != chunk_segment([pairs[0], ("b.txt", "3" * 64)], "p1")  # a changed file
    assert chunk_segment(pairs, "p1") != chunk_segment(pairs[:1], "p1")  # a removed file
