"""Physical line numbers of CSV records, found without parsing the file row by row.

DuckDB's CSV reader numbers records, not lines: a record whose quoted cell holds two line
breaks still counts as one "line" in its reject table, and rows that load carry no number
at all. The quarantine and `_source_line` promise the physical line (header = line 1), so
this module finds where every record starts with numpy over the raw bytes.

The rule, RFC 4180: a line feed ends a record unless it sits inside a quoted cell, and it sits
inside one exactly when an odd number of quote characters precede it (an escaped quote `""`
adds two and keeps the parity). Quotes are counted only at line feeds, so memory is eight bytes
per line, not per byte; files are read in 64 MiB chunks.

The rule only holds when the quoting itself is valid: a stray quote inside an unquoted cell
(`5" screen`) is a plain character to a CSV reader but flips the parity. So the scan also
checks every quote (an opening quote follows a delimiter, a line break or the start of the
file; a closing quote precedes one or the end; escaped pairs sit back to back) and reports
`quoting_valid`; the caller re-reads a file that fails with Python's csv module.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

_LF = ord("\n")
_CR = ord("\r")
_QUOTE = ord('"')
_COMMA = ord(",")
_BOM = b"\xef\xbb\xbf"
# Bytes allowed next to a quote on the outside of a quoted cell.
_BOUNDARY = np.array([_COMMA, _LF, _CR], dtype=np.uint8)
_NONE = -1  # "no byte": start or end of the file


@dataclass(frozen=True)
class RecordLines:
    """Where each record of a CSV file starts.

    Index 0 is the header record; index k is the k-th record after it. DuckDB's reject table
    reports record k as `line = k + 1`, so `start_line[line - 1]` is the physical line.
    """

    start_line: np.ndarray  # int64, physical 1-based line each record starts on
    start_offset: np.ndarray  # int64, byte offset each record starts at
    blank: np.ndarray  # bool, record is an empty line (DuckDB skips those silently)
    quoting_valid: bool  # False: the parity rule may be wrong, do not trust start_line

    @property
    def data_records(self) -> int:
        """Records after the header that are not blank lines."""
        return int((~self.blank[1:]).sum())


def _outside(values: np.ndarray) -> np.ndarray:
    return np.isin(values, _BOUNDARY) | (values == _NONE)


def scan_record_lines(chunks: Iterable[bytes]) -> RecordLines:
    """Return the start line and blankness of every record in a CSV byte stream."""
    terminator_lines: list[np.ndarray] = []  # 0-based index of each record-ending line feed
    terminator_offsets: list[np.ndarray] = []
    ends_with_cr: list[np.ndarray] = []
    lines_before = 0
    quotes_before = 0
    offset = 0
    data_start = 0  # after a byte-order mark, if any
    previous_byte = _NONE
    quoting_valid = True
    closing_quote_at_chunk_end = False  # its next byte is the first of the next chunk
    for chunk in chunks:
        if not chunk:
            continue
        if offset == 0 and chunk.startswith(_BOM):
            chunk = chunk[len(_BOM) :]
            offset = data_start = len(_BOM)
            if not chunk:
                continue
        data = np.frombuffer(chunk, dtype=np.uint8)
        first_byte = data[:1].astype(np.int16)
        if closing_quote_at_chunk_end and not (_outside(first_byte)[0] or data[0] == _QUOTE):
            quoting_valid = False

        line_feeds = np.flatnonzero(data == _LF)
        quotes = np.flatnonzero(data == _QUOTE)

        if quoting_valid and len(quotes):
            before = np.where(
                quotes > 0, data[np.maximum(quotes - 1, 0)].astype(np.int16), previous_byte
            )
            after = np.where(
                quotes < len(data) - 1,
                data[np.minimum(quotes + 1, len(data) - 1)].astype(np.int16),
                _NONE,
            )
            opening = ((np.arange(len(quotes)) + quotes_before) & 1) == 0
            # An opening quote (odd-numbered) follows a boundary, or is the second of "".
            bad_open = opening & ~(_outside(before) | (before == _QUOTE))
            # A closing quote (even-numbered) precedes a boundary, or is the first of "".
            bad_close = ~opening & ~(_outside(after) | (after == _QUOTE))
            if bad_open.any() or bad_close.any():
                quoting_valid = False
            closing_quote_at_chunk_end = bool(quotes[-1] == len(data) - 1 and not opening[-1])
        else:
            closing_quote_at_chunk_end = False

        quotes_at_lf = np.searchsorted(quotes, line_feeds) + quotes_before
        is_terminator = (quotes_at_lf & 1) == 0
        ends = line_feeds[is_terminator]
        terminator_lines.append(np.flatnonzero(is_terminator) + lines_before)
        terminator_offsets.append(ends + offset)
        before_end = np.where(
            ends > 0, data[np.maximum(ends - 1, 0)].astype(np.int16), previous_byte
        )
        ends_with_cr.append(before_end == _CR)
        lines_before += len(line_feeds)
        quotes_before += len(quotes)
        offset += len(data)
        previous_byte = int(data[-1])

    total_bytes = offset
    lines = np.concatenate(terminator_lines) if terminator_lines else np.empty(0, np.int64)
    ends = np.concatenate(terminator_offsets) if terminator_offsets else np.empty(0, np.int64)
    crs = np.concatenate(ends_with_cr) if ends_with_cr else np.empty(0, bool)

    # Record k starts right after terminator k-1; record 0 (the header) on line 1.
    starts = np.concatenate(([data_start], ends + 1)).astype(np.int64)
    start_line = np.concatenate(([1], lines + 2)).astype(np.int64)
    lengths = np.append(ends, total_bytes) - starts - np.append(crs, False)
    if starts[-1] >= total_bytes:
        # Nothing after the last line feed: no record there.
        starts, start_line, lengths = starts[:-1], start_line[:-1], lengths[:-1]
    elif total_bytes - starts[-1] == 1 and previous_byte == _CR:
        lengths[-1] = 0
    quoting_valid = quoting_valid and quotes_before % 2 == 0  # no quote left open at the end
    return RecordLines(
        start_line=start_line,
        start_offset=starts,
        blank=lengths <= 0,
        quoting_valid=quoting_valid,
    )


def record_texts(chunks: Iterable[bytes], lines: RecordLines, records: np.ndarray) -> list[str]:
    """The raw text of the given records (indexes into `lines`), line break removed.

    One more pass over the bytes; only used for the few records the CSV reader rejected.
    """
    starts = lines.start_offset
    order = np.argsort(records, kind="stable")
    wanted = [
        (int(starts[k]), int(starts[k + 1]) if k + 1 < len(starts) else None, position)
        for position, k in ((int(p), int(records[p])) for p in order)
    ]
    texts: list[str] = [""] * len(records)
    pieces: list[bytes] = []
    offset = 0
    current = 0
    for chunk in chunks:
        chunk_end = offset + len(chunk)
        while current < len(wanted):
            start, end, position = wanted[current]
            if start >= chunk_end:
                break
            stop = chunk_end if end is None else min(end, chunk_end)
            pieces.append(chunk[max(start - offset, 0) : stop - offset])
            if end is not None and end <= chunk_end:
                texts[position] = _text(b"".join(pieces))
                pieces = []
                current += 1
            else:
                break
        offset = chunk_end
    if current < len(wanted):  # the last record runs to the end of the file
        texts[wanted[current][2]] = _text(b"".join(pieces))
    return texts


def _text(record: bytes) -> str:
    return record.removesuffix(b"\n").removesuffix(b"\r").decode("utf-8", errors="replace")
