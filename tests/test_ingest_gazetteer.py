"""The ingest gazetteer: lists complete, names found whatever their spelling, offsets exact."""

from __future__ import annotations

import unicodedata

import pytest
import yaml

from hoptac import demofiles
from hoptac.ingest.gazetteer import Match, gazetteer
from hoptac.types import RANKS

DEMO = demofiles.ROOT


def keys(matches: list[Match]) -> list[str]:
    return [m.key for m in matches]


def only(matches: list[Match]) -> Match:
    assert len(matches) == 1, matches
    return matches[0]


# ---- agencies: every spelling, one key ------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "key"),
    [
        ("Giám đốc CATP Hà Nội phát biểu.", "vn-hanoi-police"),
        ("Đoàn Công an thành phố Hà Nội lên đường.", "vn-hanoi-police"),
        ("Đoàn công an thành phố Hà Nội lên đường.", "vn-hanoi-police"),
        ("Lãnh đạo Công an TP Hà Nội tiếp đoàn.", "vn-hanoi-police"),
        ("Lãnh đạo Công an TP. Hà Nội tiếp đoàn.", "vn-hanoi-police"),
        ("Lãnh đạo Công an Hà Nội tiếp đoàn.", "vn-hanoi-police"),
        ("CÔNG AN THÀNH PHỐ HÀ NỘI THÔNG BÁO", "vn-hanoi-police"),
        ("Công an TPHCM bắt giữ đối tượng.", "vn-hcmc-police"),
        ("Công an TP.HCM bắt giữ đối tượng.", "vn-hcmc-police"),
        ("Công an TP HCM bắt giữ đối tượng.", "vn-hcmc-police"),
        ("CA TP.HCM bắt giữ đối tượng.", "vn-hcmc-police"),
        ("Công an Thành phố Hồ Chí Minh bắt giữ đối tượng.", "vn-hcmc-police"),
        ("Công an TP Hồ Chí Minh bắt giữ đối tượng.", "vn-hcmc-police"),
        ("Đoàn Công an tỉnh Khánh Hòa sang Trung Quốc.", "vn-khanh-hoa-police"),
        ("Đoàn Công an tỉnh Khánh Hoà sang Trung Quốc.", "vn-khanh-hoa-police"),
        ("Đoàn CA tỉnh Khánh Hòa sang Trung Quốc.", "vn-khanh-hoa-police"),
        ("Đoàn Công an Khánh Hòa sang Trung Quốc.", "vn-khanh-hoa-police"),
        ("Công an tỉnh Đắk Lắk và Công an tỉnh Đắc Lắc", "vn-dak-lak-police"),
        ("Công an tỉnh Thừa Thiên Huế ký kết.", "vn-tth-police"),
        ("Công an thành phố Huế ký kết.", "vn-hue-police"),
        ("Công an tỉnh Bà Rịa - Vũng Tàu ký kết.", "vn-ba-ria-vung-tau-police"),
        ("Công an tỉnh Bà Rịa–Vũng Tàu ký kết.", "vn-ba-ria-vung-tau-police"),
        ("làm việc với Sở Cảnh sát TP Busan.", "kr-busan-mpa"),
        ("làm việc với Sở Cảnh sát thành phố Busan.", "kr-busan-mpa"),
        ("làm việc với Sở Công an TP Busan.", "kr-busan-mpa"),
        ("làm việc với Busan Metropolitan Police Agency.", "kr-busan-mpa"),
        ("부산광역시경찰청 방문", "kr-busan-mpa"),
        ("Sở Cảnh sát Nam Gyeonggi cử đoàn.", "kr-gyeonggi-nambu-ppa"),
        ("Sở Cảnh sát Gyeonggi Bukbu cử đoàn.", "kr-gyeonggi-bukbu-ppa"),
        ("Sở Cảnh sát tỉnh Chungcheongbuk-do cử đoàn.", "kr-chungbuk-ppa"),
        ("Sở Cảnh sát thành phố Seoul cử đoàn.", "kr-seoul-mpa"),
        ("Sở Cảnh sát thành phố Sejong cử đoàn.", "kr-sejong-pa"),
        ("Cảnh sát Quốc gia Hàn Quốc cho biết", "kr-knpa"),
        ("làm việc với Công an tỉnh Chiết Giang (Trung Quốc).", "cn-zhejiang-psd"),
        ("浙江省公安厅代表团", "cn-zhejiang-psd"),
        ("Công an Khu tự trị dân tộc Choang Quảng Tây", "cn-guangxi-psd"),
        ("Công an tỉnh Quảng Tây", "cn-guangxi-psd"),
        ("Công an tỉnh Vân Nam", "cn-yunnan-psd"),
        ("Công an thành phố Bắc Kinh (Trung Quốc)", "cn-beijing-psb"),
        ("CATP Bắc Kinh", "cn-beijing-psb"),
        ("Công an thành phố Trùng Khánh", "cn-chongqing-psb"),
        ("Công an thành phố Đông Hưng", "cn-dongxing-psb"),
        ("Công an thành phố Quảng Châu", "cn-guangzhou-psb"),
        ("Bộ Công an Trung Quốc", "cn-mps"),
        ("Bộ An ninh Lào", "la-mps"),
        ("Bộ Chỉ huy An ninh tỉnh Hủa Phăn", "la-houaphanh-security"),
        ("Tổng cục Cảnh sát quốc gia Campuchia", "kh-national-police"),
        ("Cảnh sát tỉnh Svay Rieng", "kh-svay-rieng-police"),
        ("Bộ Nội vụ Campuchia", "kh-moi"),
        ("qua kênh INTERPOL", "intl-interpol"),
        ("Tổ chức Cảnh sát hình sự quốc tế", "intl-interpol"),
        ("tại ASEANPOL", "intl-aseanpol"),
        ("UNODC hỗ trợ", "intl-unodc"),
        ("Europol cho biết", "intl-europol"),
        ("Cục Cảnh sát hình sự (C02) Bộ Công an", "vn-mps-c02"),
        ("Cục Cảnh sát điều tra tội phạm về ma túy", "vn-mps-c04"),
        ("Cục Quản lý xuất nhập cảnh", "vn-mps-a08"),
        ("Cục An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao", "vn-mps-a05"),
        ("Văn phòng Interpol Việt Nam", "vn-interpol-ncb"),
        ("Cơ quan Cảnh sát điều tra Công an tỉnh Nghệ An", "vn-nghe-an-csdt"),
        ("Phòng Quản lý xuất nhập cảnh Công an TP.HCM", "vn-hcmc-immigration"),
    ],
)
def test_agency_spellings_resolve_to_one_key(sentence: str, key: str) -> None:
    g = gazetteer()
    found = g.agencies_in(sentence)
    assert found, sentence
    assert found[0].key == key, found
    assert g.agency(key).key == key


def test_agency_countries() -> None:
    g = gazetteer()
    assert g.agency("kr-busan-mpa").country == "KR"
    assert g.agency("kr-busan-mpa").name_ko == "부산광역시경찰청"
    assert g.agency("kr-busan-mpa").name_en == "Busan Metropolitan Police Agency"
    for key in ("cn-zhejiang-psd", "cn-guangdong-psd", "cn-guangxi-psd", "cn-beijing-psb"):
        assert g.agency(key).country == "CN"
    assert g.agency("cn-zhejiang-psd").name_zh == "浙江省公安厅"
    assert g.agency("cn-zhejiang-psd").name_en == "Zhejiang Provincial Public Security Department"
    assert g.agency("cn-guangxi-psd").name_zh == "广西壮族自治区公安厅"
    assert g.agency("cn-beijing-psb").name_zh == "北京市公安局"
    assert g.agency("cn-beijing-psb").name_en == "Beijing Municipal Public Security Bureau"
    assert g.agency("vn-hanoi-police").country == "VN"
    assert g.agency("intl-interpol").country == "ZZ"


def test_bare_catp_is_unresolved() -> None:
    g = gazetteer()
    text = "Trung tướng Nguyễn Hải Trung, Giám đốc CATP, tiếp đoàn; Giám đốc Công an tỉnh dự."
    found = g.agencies_in(text)
    assert [(m.text, m.key) for m in found] == [("CATP", ""), ("Công an tỉnh", "")]


def test_cadre_is_not_the_ministry() -> None:
    # "cán bộ công an" (a police officer) holds the words of "Bộ Công an" in lower case.
    assert gazetteer().agencies_in("Một cán bộ công an đã được khen thưởng.") == []


def test_merged_province_police_has_a_successor() -> None:
    g = gazetteer()
    assert g.agency("vn-ha-giang-police").successor == "vn-tuyen-quang-police"
    assert g.agency("vn-tth-police").successor == "vn-hue-police"
    assert g.agency("vn-binh-duong-police").successor == "vn-hcmc-police"
    assert g.agency("vn-khanh-hoa-police").successor is None


# ---- places and countries -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Hà Giang", "vn-tuyen-quang"),
        ("Yên Bái", "vn-lao-cai"),
        ("Bắc Kạn", "vn-thai-nguyen"),
        ("Vĩnh Phúc", "vn-phu-tho"),
        ("Hòa Bình", "vn-phu-tho"),
        ("Hoà Bình", "vn-phu-tho"),
        ("Bắc Giang", "vn-bac-ninh"),
        ("Hải Dương", "vn-hai-phong"),
        ("Thái Bình", "vn-hung-yen"),
        ("Hà Nam", "vn-ninh-binh"),
        ("Nam Định", "vn-ninh-binh"),
        ("Quảng Bình", "vn-quang-tri"),
        ("Thừa Thiên Huế", "vn-hue"),
        ("Quảng Nam", "vn-da-nang"),
        ("Kon Tum", "vn-quang-ngai"),
        ("Bình Định", "vn-gia-lai"),
        ("Ninh Thuận", "vn-khanh-hoa"),
        ("Đắk Nông", "vn-lam-dong"),
        ("Bình Thuận", "vn-lam-dong"),
        ("Phú Yên", "vn-dak-lak"),
        ("Bình Phước", "vn-dong-nai"),
        ("Bình Dương", "vn-hcmc"),
        ("Bà Rịa - Vũng Tàu", "vn-hcmc"),
        ("Long An", "vn-tay-ninh"),
        ("Bến Tre", "vn-vinh-long"),
        ("Trà Vinh", "vn-vinh-long"),
        ("Tiền Giang", "vn-dong-thap"),
        ("Sóc Trăng", "vn-can-tho"),
        ("Hậu Giang", "vn-can-tho"),
        ("Bạc Liêu", "vn-ca-mau"),
        ("Kiên Giang", "vn-an-giang"),
        ("Khánh Hòa", "vn-khanh-hoa"),
        ("Hà Nội", "vn-hanoi"),
    ],
)
def test_old_provinces_map_to_their_2025_unit(old: str, new: str) -> None:
    g = gazetteer()
    m = only(g.places_in(f"Đoàn công tác đến tỉnh {old} hôm qua."))
    place = g.place(m.key)
    assert place.country == "VN"
    assert place.current == new
    assert g.place(new).new


def test_place_spellings() -> None:
    g = gazetteer()
    for text in ("TP.HCM", "TPHCM", "TP HCM", "Thành phố Hồ Chí Minh", "Sài Gòn"):
        assert keys(g.places_in(f"tại {text} hôm qua")) == ["vn-hcmc"], text
    for text in ("TP Busan", "thành phố Busan", "Busan", "Pusan"):
        assert keys(g.places_in(f"tại {text} hôm qua")) == ["kr-busan"], text
    assert keys(g.places_in("tại tỉnh Gyeonggi")) == ["kr-gyeonggi"]
    assert keys(g.places_in("ở Chungcheongbuk-do")) == ["kr-chungbuk"]
    assert keys(g.places_in("ở Thủ đô Viêng Chăn")) == ["la-vientiane-capital"]
    assert keys(g.places_in("ở tỉnh Viêng Chăn")) == ["la-vientiane-province"]
    assert keys(g.places_in("ở Phnôm Pênh")) == ["kh-phnom-penh"]
    assert keys(g.places_in("ở Băng Cốc")) == ["th-bangkok"]
    m = only(g.places_in("Đoàn đến Quảng Tây"))
    assert g.place(m.key).country == "CN" and g.place(m.key).name_native == "广西"
    assert keys(g.places_in("cửa khẩu Hà Khẩu, thành phố Đông Hưng")) == [
        "cn-hekou",
        "cn-dongxing",
    ]


def test_places_are_proper_nouns() -> None:
    g = gazetteer()
    # "hòa bình" (peace), "thái bình" (peaceful): lower case is not the province.
    assert g.places_in("vì hòa bình và thịnh vượng, thái bình thịnh trị") == []
    # A province's name inside a person's name is the person.
    assert g.places_in("bà Nguyễn Thị Hà Giang phát biểu") == []
    # A Chinese province whose reading is also a Vietnamese place needs its prefix.
    assert keys(g.places_in("thị xã Sơn Tây")) == []
    assert keys(g.places_in("tỉnh Sơn Tây (Trung Quốc)")) == ["cn-shanxi"]
    # A name two countries share goes to Viet Nam unless the country follows in brackets.
    assert keys(g.places_in("tỉnh Hà Nam")) == ["vn-ha-nam"]
    assert keys(g.places_in("tỉnh Hà Nam (Trung Quốc)")) == ["cn-henan"]
    assert keys(g.agencies_in("Công an tỉnh Hà Nam (Trung Quốc)")) == ["cn-henan-psd"]
    assert keys(g.agencies_in("Công an tỉnh Hà Nam phối hợp")) == ["vn-ha-nam-police"]


def test_countries() -> None:
    g = gazetteer()
    text = "Việt Nam, Trung Quốc, Hàn Quốc, Lào, Campuchia, Thái Lan, Nhật Bản, Hoa Kỳ, Mỹ, Nga, Úc"
    assert keys(g.countries_in(text)) == [
        *("VN", "CN", "KR", "LA", "KH", "TH", "JP", "US", "US", "RU", "AU"),
    ]
    assert keys(g.countries_in("Cộng hòa nhân dân Trung Hoa")) == ["CN"]
    # Lào Cai is a Vietnamese province; Nga in a person's name is not Russia; Mỹ Tho a city.
    assert g.countries_in("tỉnh Lào Cai") == []
    assert g.countries_in("chị Nguyễn Thị Nga") == []
    assert g.countries_in("Tại Mỹ Tho") == []
    assert g.country("KR").name == "Hàn Quốc"


# ---- ranks and positions --------------------------------------------------------------------


def test_every_rank_is_found() -> None:
    g = gazetteer()
    ranks = [vi for vi, _ in RANKS] + ["Thượng sĩ", "Trung sĩ", "Hạ sĩ", "Binh nhất", "Binh nhì"]
    for rank in ranks:
        m = only(g.ranks_in(f"đồng chí {rank} Nguyễn Văn A"))
        assert m.key == rank and m.text == rank
        assert g.ranks[rank]
        lower = only(g.ranks_in(f"mang hàm {rank.lower()}"))
        assert lower.key == rank
    assert keys(g.ranks_in("Đại uý Lê B, Thượng uý Trần C")) == ["Đại úy", "Thượng úy"]
    assert g.ranks_in("đội ngũ hạ sĩ quan") == []


def test_every_position_is_found() -> None:
    g = gazetteer()
    for position in g.positions:
        m = only(g.positions_in(f"ông Nguyễn Văn A, {position} của đơn vị"))
        assert m.key == position, (position, m)


def test_longest_match_wins() -> None:
    g = gazetteer()
    assert keys(g.positions_in("Phó Giám đốc Công an tỉnh")) == ["Phó Giám đốc"]
    assert keys(g.positions_in("Phó giám đốc Công an tỉnh")) == ["Phó Giám đốc"]
    assert keys(g.positions_in("Thứ trưởng Thường trực Kỳ Diên Quân")) == ["Thứ trưởng Thường trực"]
    assert keys(g.positions_in("Tổng Lãnh sự danh dự Việt Nam")) == ["Tổng Lãnh sự danh dự"]
    assert g.positions_in("tại Đại sứ quán Việt Nam") == []
    m = only(g.agencies_in("tại trụ sở Công an thành phố Hà Nội."))
    assert m.text == "Công an thành phố Hà Nội"
    m = only(g.agencies_in("Cơ quan Cảnh sát điều tra Công an tỉnh Khánh Hòa"))
    assert m.key == "vn-khanh-hoa-csdt"
    # Places still sees the place inside the agency's name (its own family).
    assert keys(g.places_in("Công an thành phố Hà Nội")) == ["vn-hanoi"]


def test_offsets_point_into_the_original_text() -> None:
    g = gazetteer()
    text = "Ngày 9/12, Trung tướng Nguyễn Hải Trung, Giám đốc CATP Hà Nội, tiếp Công an TP.HCM."
    for m in (*g.agencies_in(text), *g.ranks_in(text), *g.positions_in(text)):
        assert text[m.start : m.end] == m.text
    nfd = unicodedata.normalize("NFD", text)
    found = g.agencies_in(nfd)
    assert keys(found) == ["vn-hanoi-police", "vn-hcmc-police"]
    for m in found:
        assert nfd[m.start : m.end] == m.text
        assert unicodedata.normalize("NFC", m.text) in ("CATP Hà Nội", "Công an TP.HCM")


def test_no_match_inside_a_longer_word() -> None:
    g = gazetteer()
    assert all(m.key != "kr-busan-mpa" for m in g.agencies_in("Sở Cảnh sát TP Busanx"))
    assert g.places_in("Busanese food") == []
    assert g.countries_in("Nhật Bảnh") == []
    assert g.ranks_in("Đại táo") == []
    assert g.positions_in("Giám đốcs") == []
    # A combining mark belongs to its word: NFD "Đại tá" + an extra mark is another word.
    assert g.ranks_in(unicodedata.normalize("NFD", "Đại tá") + "\u0303") == []


# ---- coverage -------------------------------------------------------------------------------


def test_coverage() -> None:
    g = gazetteer()
    vn = [p for p in g.places() if p.country == "VN"]
    assert sum(p.old for p in vn) == 63
    assert sum(p.new for p in vn) == 34
    for p in vn:
        assert p.current is not None and g.place(p.current).new
        assert g.police_of(p.key) is not None, p.key
    cn_levels = ("province", "autonomous_region", "municipality")
    cn = [p for p in g.places() if p.country == "CN" and p.kind in cn_levels]
    assert len(cn) == 31
    for p in cn:
        police = g.police_of(p.key)
        assert police is not None and police.country == "CN" and police.name_zh, p.key
    kr = [a for a in g.agencies() if a.country == "KR" and a.parent == "kr-knpa"]
    assert len(kr) == 18
    assert all(a.name_ko and a.name_ko.endswith("경찰청") for a in kr)
    la = [p for p in g.places() if p.country == "LA"]
    assert len(la) == 18
    assert all(g.police_of(p.key) is not None for p in la)


def _seed_agencies() -> list[tuple[dict[str, object], str]]:
    seeds = yaml.safe_load((DEMO / "seeds.yaml").read_text("utf-8"))
    files = {s["ref"]: DEMO / s["file"] for s in seeds["sources"]}
    return [(a, files[a["source"]].read_text("utf-8")) for a in seeds["agencies"]]


@pytest.mark.parametrize(("agency", "text"), _seed_agencies(), ids=lambda v: str(v)[:40])
def test_seed_agencies_are_found_in_their_articles(agency: dict[str, object], text: str) -> None:
    g = gazetteer()
    ref = str(agency["ref"])
    assert g.agency(ref).key == ref
    abbreviations = agency["abbreviations"]
    assert isinstance(abbreviations, list)
    found = g.agencies_in(text)
    names = [str(agency["name_vi"]), *map(str, abbreviations)]
    if any(name in text for name in names):
        assert ref in keys(found), ref
    for name in names:
        at = text.find(name)
        while at >= 0:
            covering = [m for m in found if m.start <= at and at + len(name) <= m.end]
            assert covering, (ref, name, at)
            # Exactly this name: this agency, or "" for a bare "CATP" the caller resolves.
            for m in covering:
                if m.text == name:
                    assert m.key in (ref, ""), (ref, name, m)
            at = text.find(name, at + 1)


@pytest.mark.parametrize(
    "written",
    [
        "Cục Công an Châu Văn Sơn",
        "Công an châu Văn Sơn",
        "Cục Công an Châu tự trị dân tộc Choang, dân tộc Miêu Văn Sơn",
    ],
)
def test_a_border_prefectures_police_is_one_agency(written: str) -> None:
    (match,) = gazetteer().agencies_in(
        f"Công an tỉnh Hà Giang làm việc với {written}, tỉnh Vân Nam"
    )[1:]
    assert match.key == "cn-wenshan-psb" and match.text == written
    assert gazetteer().agency(match.key).name_zh == "文山壮族苗族自治州公安局"
