import csv
import io

from provinces.spreadsheets import csv_stream


def test_csv_stream_sends_pieces_of_bounded_size_that_add_up_to_the_whole_file():
    rows = ([n, "Núñez", "texto; con separador"] for n in range(10_000))
    pieces = list(csv_stream(rows, chunk_chars=4096))
    assert len(pieces) > 50 and max(len(piece) for piece in pieces) < 4096 + 100
    text = "".join(pieces)
    assert text.startswith("\ufeff")
    parsed = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert len(parsed) == 10_000 and parsed[-1] == ["9999", "Núñez", "texto; con separador"]


def test_csv_stream_of_nothing_is_the_bom_alone():
    assert list(csv_stream([])) == ["\ufeff"]
