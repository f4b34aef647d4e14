"""Reading notices and registers: a bad row is reported with its line and reason and the
rest still reads; a file without the needed columns is refused whole."""

from pathlib import Path

import pytest

from hoptac.screening.records import FileRefused, read_notices, read_register

HEADER = (
    "notice_id,name,alt_names,birth_date,sex,nationality,document_number,issuing_agency,charges"
)
NOTICES = f"""{HEADER}
N1,王健,Wang Jian;Vương Kiện,1985-03-07,M,CN,E 1234-5678,Beijing PSB,fraud
N2,,Li Qiang,1980,M,CN,,Beijing PSB,fraud
N3,박근혜,,1952-02-30,F,KR,,KNPA,
N4,Trần Văn Hùng,,06/1990,X,VN,,,
N1,Someone Else,,,,,,,
N5,Nguyễn Thị Lan,,,nữ,vn,,,
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_notices_read_with_aliases_and_bad_rows_reported(tmp_path: Path) -> None:
    people, errors = read_notices(_write(tmp_path, "n.csv", NOTICES))
    assert [p.id for p in people] == ["N1", "N5"]
    n1 = people[0]
    assert n1.names == ("王健", "Wang Jian", "Vương Kiện")
    assert n1.evidence.document == "E12345678" and n1.evidence.sex == "M"
    assert n1.evidence.birth is not None and n1.evidence.birth.day == 7
    assert people[1].evidence.sex == "F" and people[1].evidence.nationality == "VN"
    assert [e.line for e in errors] == [3, 4, 5, 6]
    assert errors[0].reason == "name is empty"
    assert "1952-02-30 does not exist" in errors[1].reason
    assert errors[2].reason == "sex 'X' is not M or F"
    assert errors[3].reason == "notice_id N1 appears twice; the first is kept"
    assert str(errors[0]) == "line 3: name is empty"


def test_register_rows_check_their_source(tmp_path: Path) -> None:
    text = (
        "record_id,name,birth_date,sex,nationality,document_number,source,seen_at\n"
        "R1,Wang Jian,1985-03-07,M,CN,E12345678,hotel,2024-06-01\n"
        "R2,Li Qiang,1980,M,CHN,,arrival,\n"
        "R3,Kim Jong-un,,,,,prison,\n"
    )
    people, errors = read_register(_write(tmp_path, "r.csv", text))
    assert [p.id for p in people] == ["R1"]
    assert [e.line for e in errors] == [3, 4]
    assert "two-letter country code" in errors[0].reason
    assert "not one of resident, arrival, hotel" in errors[1].reason


def test_a_file_without_the_needed_columns_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileRefused, match="missing column"):
        read_register(_write(tmp_path, "r.csv", "id,full_name\n1,Wang Jian\n"))


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(b"record_id,name\nR1,Tr\xe2n V\xe2n An\n")  # Latin-1, not UTF-8
    with pytest.raises(FileRefused, match="not UTF-8"):
        read_register(path)


def test_an_open_stream_reads_like_a_file_and_long_ids_are_refused() -> None:
    import io

    text = (
        "record_id,name,birth_date,sex,nationality,document_number,source,seen_at\n"
        f"R1,Wang Jian,1985,M,CN,,hotel,\n{'R' * 121},Li Qiang,,,,,,\n"
    )
    stream = io.StringIO(text)
    stream.name = "upload.csv"
    people, errors = read_register(stream)
    assert [p.id for p in people] == ["R1"]
    assert [str(e) for e in errors] == ["line 3: record_id is longer than 120 characters"]
    with pytest.raises(FileRefused, match=r"upload\.csv: missing column"):
        bad = io.StringIO("id,full_name\n")
        bad.name = "upload.csv"
        read_register(bad)
