"""Plain-text tables line up in a terminal even with Korean or CJK text in their cells."""

from __future__ import annotations

from synapse_sdk.cli.output import display_width, render_table


def test_display_width_counts_terminal_columns():
    assert display_width('abc') == 3
    assert display_width('고양이') == 6  # Hangul syllables are wide
    assert display_width('猫.jpg') == 6
    assert display_width('e\u0301') == 1  # a combining accent takes no column


def test_columns_line_up_with_wide_characters():
    table = render_table(
        ['파일', 'kind', 'count'], [['고양이.jpg', 'attrs', 3], ['dog.jpg', '속성 없음', 12]]
    )
    lines = table.splitlines()
    assert len(lines) == 4
    # The second column starts at the same terminal column on every line.
    second_cells = ['kind', '-' * display_width('속성 없음'), 'attrs', '속성 없음']
    starts = {
        display_width(line[: line.index('  ' + cell) + 2])
        for line, cell in zip(lines, second_cells, strict=True)
    }
    assert starts == {display_width('고양이.jpg') + 2}
    assert lines[1] == '-' * display_width('고양이.jpg') + '  ' + '-' * display_width('속성 없음') + '  -----'
