"""Synthetic data for wanted-person screening benchmarks: notices, a register, the truth.

    python bench/make_screening_data.py --notices N --register M --seed S [--out DIR]

writes three CSV files (UTF-8) into DIR (default: the current directory):

- `notices.csv`: `notice_id,name,alt_names,birth_date,sex,nationality,document_number,
  issuing_agency,charges` - wanted persons; `alt_names` and `charges` are `;`-separated.
- `register.csv`: `record_id,name,birth_date,sex,nationality,document_number,source,seen_at`
  - people seen by a resident register, border arrivals or hotel check-ins.
- `truth.csv`: `notice_id,record_id,variant` - the planted true matches.

People are Vietnamese, Chinese and Korean. Family names follow their shares in each
population; given names are drawn from characters (syllables) common in names, weighted by
rank, plus for Chinese a 5% long tail of other common characters that have pinyin,
Vietnamese and Korean readings, weighted by their kHanyuPinlu frequency. Each person is
written the ways such a name is written:

- a Chinese person in hanzi (simplified), pinyin (`Zhang Jianguo`, `ZHANG Jianguo`,
  `ZHANG JIANGUO`, `Zhang Jian Guo`, `ZHANG, Jianguo`) or Sino-Vietnamese (`Trương Kiến
  Quốc`), the readings taken from hoptac's reading table;
- a Korean person in hangul (`김대중`), hanja (`金大中`) or romanized: Revised Romanization
  or the passport habits (Kim/Gim, Lee/Yi/Rhee, Park/Bak/Pak, Choi/Choe, Jung/Jeong/Chung;
  `Kyung`, `Soo`, `Young`), the given name hyphenated (`Dae-jung`), spaced or joined;
- a Vietnamese person with diacritics (`Nguyễn Văn An`, middle names Văn/Thị/Hữu/Đức...),
  without (`NGUYEN VAN AN`), or in hanzi (`阮文安`) when every syllable has one.

Birth dates run 1950-2005 (`YYYY-MM-DD`; a notice sometimes knows only `YYYY` or `YYYY-MM`
or nothing, a register, copying a passport, rarely; a planted record writes the date as the
register does, whatever its notice knew); sex M/F;
nationality VN/CN/KR; passport-like document numbers (CN `E12345678`, KR `M12345678`, VN
`C1234567`), unique but for a planted record that carries its notice's number.

Every notice is drawn with a *scenario*: how a register record of the same person would be
written differently (the `variant` of truth.csv: hanzi_vs_vietnamese, hanzi_vs_pinyin,
pinyin_vs_vietnamese, hangul_vs_roman, hanja_vs_hangul, diacritics_dropped, order_swapped,
typo, birth_year_only, day_month_swapped, exact). A fraction of the notices (`--match-rate`)
are planted: one to three register records of the same person are written by their
scenarios. A notice's alternative names are never written in the form of its records. Every
other register row is written the same way - its form, style, typos and date formats drawn
from the same scenarios - so that how a row is written does not tell planted rows apart
(their people do come from the notices' population: more men, Chinese and Koreans). The
register holds hard distractors of notices (same family name and birth year with another
given name; siblings sharing a generation syllable or a Vietnamese middle name; namesakes
born 12 years or more apart) and otherwise unrelated people, redrawn when one would sound
like a notice's person born the same day. Planted and distractor rows are placed at random
positions; record ids follow file order.

Deterministic for a seed (one `random.Random`); about 40 s and 150 MB for a million
register rows. `--check K` compares K planted pairs per variant with
`hoptac.names.compare` afterwards and prints the match rate per variant (the matcher's
recall on this data); `--write-distractors` also writes `distractors.csv`.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import sys
import time
from bisect import bisect
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import ClassVar, Generic, NamedTuple, TextIO, TypeVar

from hoptac.names import parse as parse_name
from hoptac.names import readings
from hoptac.names.fold import fold, vietnamese_key, vietnamese_syllable_key
from hoptac.names.hangul import jamo, romanize_syllable
from hoptac.names.parse import _TITLES  # the parser's leading titles (Ông, Đồng chí, Mr)
from hoptac.screening.records import NOTICE_COLUMNS, REGISTER_COLUMNS

T = TypeVar("T")

# The files' headers are the ones `hoptac screen` reads.
NOTICE_HEADER, REGISTER_HEADER = NOTICE_COLUMNS, REGISTER_COLUMNS
TRUTH_HEADER = ("notice_id", "record_id", "variant")
VARIANTS = (
    "hanzi_vs_vietnamese",
    "hanzi_vs_pinyin",
    "pinyin_vs_vietnamese",
    "hangul_vs_roman",
    "hanja_vs_hangul",
    "diacritics_dropped",
    "order_swapped",
    "typo",
    "birth_year_only",
    "day_month_swapped",
    "exact",
)
SOURCES = ("resident", "arrival", "hotel")
CHUNK = 20_000  # rows per csv.writerows call
FIRST_YEAR, LAST_YEAR = 1950, 2005

# ---------------------------------------------------------------------------------------
# Family names: approximate shares (%) in each population.
# Chinese: hanzi, pinyin as written in passports, Sino-Vietnamese, share (MPS 2020 ranking).
_CN_FAMILIES = """
王 wang vương 7.12|李 li lý 6.94|张 zhang trương 6.31|刘 liu lưu 5.33|陈 chen trần 4.45
杨 yang dương 3.02|黄 huang hoàng 2.17|赵 zhao triệu 2.06|吴 wu ngô 1.98|周 zhou chu 1.88
徐 xu từ 1.48|孙 sun tôn 1.42|马 ma mã 1.37|胡 hu hồ 1.29|朱 zhu chu 1.26|郭 guo quách 1.18
何 he hà 1.18|高 gao cao 1.17|林 lin lâm 1.03|罗 luo la 0.89|郑 zheng trịnh 0.9
梁 liang lương 0.88|谢 xie tạ 0.8|唐 tang đường 0.75|许 xu hứa 0.74|冯 feng phùng 0.7
宋 song tống 0.7|韩 han hàn 0.69|邓 deng đặng 0.68|彭 peng bành 0.63|曹 cao tào 0.62
曾 zeng tăng 0.6|田 tian điền 0.58|于 yu vu 0.57|肖 xiao tiêu 0.56|潘 pan phan 0.55
袁 yuan viên 0.54|董 dong đổng 0.54|蒋 jiang tưởng 0.52|蔡 cai thái 0.51|杜 du đỗ 0.5
余 yu dư 0.49|叶 ye diệp 0.49|程 cheng trình 0.48|魏 wei ngụy 0.47|苏 su tô 0.47|吕 lv lã 0.46
丁 ding đinh 0.45|沈 shen thẩm 0.43|任 ren nhậm 0.43|姚 yao diêu 0.42|卢 lu lư 0.42
钟 zhong chung 0.41|姜 jiang khương 0.41|崔 cui thôi 0.4|谭 tan đàm 0.39|廖 liao liêu 0.38
范 fan phạm 0.37|汪 wang uông 0.37|陆 lu lục 0.36|金 jin kim 0.35|石 shi thạch 0.34
戴 dai đới 0.33|贾 jia giả 0.33|韦 wei vi 0.32|夏 xia hạ 0.32|邱 qiu khâu 0.31
方 fang phương 0.31|侯 hou hầu 0.3|邹 zou trâu 0.3|熊 xiong hùng 0.29|孟 meng mạnh 0.29
秦 qin tần 0.29|白 bai bạch 0.28|毛 mao mao 0.28|江 jiang giang 0.28|闫 yan diêm 0.27
薛 xue tiết 0.27|尹 yin doãn 0.26|付 fu phó 0.26|段 duan đoàn 0.26|雷 lei lôi 0.25|黎 li lê 0.25
史 shi sử 0.24|龙 long long 0.24|钱 qian tiền 0.23|贺 he hạ 0.23|陶 tao đào 0.22|顾 gu cố 0.22
龚 gong cung 0.21|郝 hao hác 0.21|邵 shao thiệu 0.21|万 wan vạn 0.2|严 yan nghiêm 0.2
洪 hong hồng 0.2|赖 lai lại 0.19|武 wu vũ 0.19|傅 fu phó 0.19|莫 mo mạc 0.19|孔 kong khổng 0.18
"""
# How 吕 (lv in the reading table) is spelled: passports write LYU (since 2012) or LV.
_PINYIN_SPELLINGS = {"lv": (("Lyu", 5), ("Lv", 3), ("Lü", 2))}

# Vietnamese: surname, hanzi (traditional, as in Hán-Nôm records), share.
_VN_FAMILIES = """
nguyễn 阮 38.4|trần 陳 12.1|lê 黎 9.5|phạm 范 7.0|hoàng 黃 3.0|huỳnh 黃 2.1|phan 潘 4.5
vũ 武 2.0|võ 武 1.9|đặng 鄧 2.1|bùi 裴 2.0|đỗ 杜 1.4|hồ 胡 1.3|ngô 吳 1.3|dương 楊 1.0|lý 李 0.5
đinh 丁 0.9|đào 陶 0.6|trịnh 鄭 0.5|mai 枚 0.5|lâm 林 0.4|trương 張 0.8|lưu 劉 0.3|cao 高 0.5
tạ 謝 0.3|hà 何 0.6|chu 周 0.2|thái 蔡 0.3|lương 梁 0.4|đoàn 段 0.6|vương 王 0.2|tô 蘇 0.3
kiều 喬 0.1|quách 郭 0.1|la 羅 0.1|triệu 趙 0.2|mạc 莫 0.1|tăng 曾 0.1|châu 周 0.3|nghiêm 嚴 0.1
từ 徐 0.1|khúc 曲 0.05|lại 賴 0.1|hứa 許 0.1|phùng 馮 0.1|doãn 尹 0.05|tôn 孫 0.05|giáp 甲 0.05
lục 陸 0.05|âu 歐 0.05|ninh 寧 0.05|diệp 葉 0.05|thân 申 0.05|quan 關 0.05
hầu 侯 0.05|kim 金 0.05|lã 呂 0.05
"""

# Korean: hangul, hanja, share, spellings in use with their weights (2015 census ranking).
_KR_FAMILIES = """
김 金 21.5 Kim:94 Gim:6|이 李 14.7 Lee:82 Yi:10 Rhee:4 I:2 Ri:2
박 朴 8.4 Park:88 Pak:6 Bak:5 Bahk:1|최 崔 4.7 Choi:90 Choe:9 Choy:1
정 鄭 4.3 Jung:45 Jeong:30 Chung:22 Cheong:3|강 姜 2.3 Kang:92 Gang:8|조 趙 2.1 Cho:90 Jo:10
윤 尹 2.1 Yoon:70 Yun:30|장 張 2.0 Jang:60 Chang:40|임 林 1.7 Lim:70 Im:20 Yim:10
한 韓 1.5 Han:100|오 吳 1.5 Oh:85 O:15|서 徐 1.5 Seo:70 Suh:30|신 申 1.5 Shin:80 Sin:20
권 權 1.4 Kwon:85 Gwon:15|황 黃 1.4 Hwang:100|안 安 1.3 Ahn:65 An:35|송 宋 1.3 Song:100
류 柳 0.6 Ryu:60 Yoo:20 Yu:20|유 柳 0.6 Yoo:50 Yu:50|전 全 1.1 Jeon:50 Jun:30 Chun:20
홍 洪 1.1 Hong:100|고 高 0.9 Ko:70 Go:30|문 文 0.9 Moon:80 Mun:20|양 梁 0.9 Yang:100
손 孫 0.9 Son:70 Sohn:30|배 裵 0.8 Bae:95 Pae:5|백 白 0.8 Baek:60 Paik:30 Baik:10
허 許 0.7 Heo:55 Huh:35 Hur:10|유 劉 0.5 Yoo:50 Yu:50|남 南 0.6 Nam:100|심 沈 0.5 Shim:70 Sim:30
노 盧 0.6 Noh:50 Roh:30 No:20|정 丁 0.4 Jung:45 Jeong:30 Chung:25|하 河 0.5 Ha:100
곽 郭 0.4 Kwak:85 Gwak:15|성 成 0.4 Sung:70 Seong:30|차 車 0.4 Cha:100
주 朱 0.4 Joo:60 Ju:30 Chu:10|우 禹 0.4 Woo:85 U:15|구 具 0.4 Koo:70 Gu:20 Ku:10
신 辛 0.3 Shin:80 Sin:20|임 任 0.4 Lim:60 Im:30 Yim:10|민 閔 0.3 Min:100|유 兪 0.3 Yoo:50 Yu:50
진 陳 0.3 Jin:80 Chin:20|지 池 0.3 Ji:90 Chi:10|엄 嚴 0.3 Eom:50 Um:40 Uhm:10
채 蔡 0.3 Chae:90 Chai:10|원 元 0.3 Won:100|천 千 0.2 Cheon:50 Chun:50|방 方 0.2 Bang:80 Pang:20
공 孔 0.2 Kong:80 Gong:20|현 玄 0.2 Hyun:70 Hyeon:30|함 咸 0.2 Ham:100
변 卞 0.2 Byun:60 Byeon:40|염 廉 0.1 Yeom:60 Yum:40|여 呂 0.1 Yeo:70 Yuh:30
추 秋 0.1 Choo:60 Chu:40|도 都 0.1 Do:80 Doh:20|소 蘇 0.1 So:100|석 石 0.1 Seok:60 Suk:40
선 宣 0.1 Sun:60 Seon:40|설 薛 0.1 Seol:60 Sul:40|마 馬 0.1 Ma:100|길 吉 0.1 Gil:60 Kil:40
연 延 0.1 Yeon:70 Yun:30|위 魏 0.1 Wi:70 Wee:30|표 表 0.1 Pyo:100|명 明 0.1 Myung:60 Myeong:40
기 奇 0.1 Ki:70 Gi:30|반 潘 0.1 Ban:70 Pan:30|나 羅 0.1 Na:80 Ra:20|왕 王 0.05 Wang:100
금 琴 0.05 Geum:60 Keum:40|옥 玉 0.05 Ok:100|육 陸 0.05 Yuk:100|인 印 0.05 In:100
맹 孟 0.05 Maeng:100
"""

# Given-name characters common in names, most common first (weighted by rank).
_CN_GIVEN_M = (
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林洋峰建国志文东海亮成新春永晨博阳鸿"
    "宏晓天祥德庆荣振兴贵福生云金山江松毅彬翔泽睿轩然昊铭哲子一家嘉思雨锋坤琦瑞诚远航立良民忠义光"
    "胜利达安正清武刚红斌军学伦"
)
_CN_GIVEN_F = (
    "芳娜敏静丽艳娟霞秀英兰燕玲桂红梅琳萍雪婷颖倩琴莉慧洁欣怡佳晶璐薇婧悦瑶琪欢蕾丹凤菲淑珍秋月莹"
    "茜露蓉彤妍蓓媛璇娇爱美玉华春晓云霞平亚雅宁琼慧芬"
)
# Korean given-name syllables (hangul before the initial-sound rule, hanja).
_KR_GIVEN_M = (
    "준俊 현賢 민敏 성成 호浩 철哲 수洙 수秀 영英 영永 영榮 정正 재在 재載 동東 대大 중中 중重 "
    "상相 상尙 우宇 우佑 승承 승勝 태泰 용容 룡龍 광光 석錫 석碩 병秉 병炳 기基 기起 원元 원源 "
    "환煥 훈勳 규奎 혁赫 윤允 호鎬 호昊 진鎭 진振 규圭 식植 일一 일日 남南 남男 홍洪 학學 국國 "
    "영泳 찬燦 건建 윤潤 현鉉 현炫 범範 철喆 익益 인仁 길吉 덕德 도道 만萬 명明 욱旭 웅雄 욱煜 "
    "종宗 종鍾 주周 주柱 지智 지志 창昌 천天 필弼 한漢 해海 형亨 형炯 희熙 휘輝 근根 봉奉 두斗 "
    "선善 세世 승昇 신信 안安 연然 완完 우友 운雲 유有 은恩 의義 재宰 진眞 평平 하夏 화和 효孝 "
    "민珉 준埈 섭燮 열烈 록祿 정廷 수守 택澤 서瑞"
)
_KR_GIVEN_F = (
    "숙淑 자子 순順 옥玉 희姬 희熙 미美 혜惠 혜慧 은恩 은銀 경京 경慶 경敬 영英 영瑛 정貞 정靜 "
    "진珍 진眞 연姸 연娟 련蓮 윤允 윤潤 아雅 아娥 나娜 하夏 하河 선善 선仙 주珠 명明 서瑞 서書 "
    "수秀 지智 지知 현賢 화花 화華 애愛 란蘭 채彩 채采 유裕 유有 다多 민敏 민旼 원媛 원元 희嬉 "
    "희希 림琳 예藝 예睿 가佳 가嘉 소昭 소素 순純 신信 심心 령玲 향香 빈彬 정晶 인仁 지芝 혜蕙 "
    "선鮮"
)
# Native Korean given names (no hanja): some Koreans have one.
_KR_NATIVE_M = "한결 가람 나라 바다 힘찬 다운 한별 이든 하람"
_KR_NATIVE_F = "하늘 슬기 보람 아름 나래 다솜 하나 한별 누리 초롱 가을 예슬"

# Vietnamese given names (syllable, hanzi or '-'), most common first.
_VN_GIVEN_M = (
    "minh 明|anh 英|tuấn 俊|hùng 雄|dũng 勇|hải 海|nam 南|hoàng 皇|long 龍|huy 輝|đức 德|"
    "quang 光|thành 成|cường 強|sơn 山|trung 忠|phong 豐|bình 平|thắng 勝|việt 越|khánh 慶|"
    "hiếu 孝|duy 維|đạt 達|hưng 興|phúc 福|tùng 松|vinh 榮|tài 才|thịnh 盛|toàn 全|lâm 林|"
    "khang 康|nghĩa 義|tâm 心|trí 智|kiên 堅|lộc 祿|hiệp 俠|lực 力|tiến 進|thiện 善|nhân 仁|"
    "quân 軍|an 安|bảo 寶|khoa 科|luân 倫|mạnh 孟|phát 發|trọng 重|vũ 宇|hậu 厚|hòa 和|thanh 清|"
    "thông 聰|tú 秀|hiển 顯|đông 東|chiến 戰|công 公|thái 泰|hào 豪|khôi 魁|nhật 日|kiệt 傑|"
    "sang -|tín 信|lợi 利|hoan 歡|thuận 順|định 定|hạnh 幸|quý 貴|lịch 歷"
)
_VN_GIVEN_F = (
    "linh 玲|anh 英|hương 香|trang 莊|hà 河|ngọc 玉|thảo 草|hằng 姮|lan 蘭|mai 梅|phương 芳|"
    "thủy 水|hoa 花|huyền 玄|nga 娥|dung 蓉|yến 燕|thu 秋|hạnh 幸|hiền 賢|nhung 絨|my 眉|vy 薇|"
    "nhi 兒|vân 雲|quỳnh 瓊|ly 璃|loan 鸞|liên 蓮|giang 江|chi 芝|châu 珠|diệp 葉|tuyết 雪|"
    "uyên 淵|xuân 春|trinh 貞|huệ 蕙|hồng 紅|ngân 銀|oanh 鶯|quyên 鵑|duyên 緣|thúy 翠|diễm 艷|"
    "nhàn 閒|ánh 映|thư 書|thơ -|bé -|thanh 青|tâm 心|an 安|ngà -|lụa -"
)
# Vietnamese middle names (tên đệm), with weights.
_VN_MIDDLE_M = (
    "văn 文 40|đức 德 8|minh 明 8|hữu 有 6|quang 光 6|công 公 5|đình 廷 5|quốc 國 5|xuân 春 4|"
    "thanh 清 4|ngọc 玉 3|gia 家 3|thế 世 3|tấn 晉 3|duy 維 3|hoàng 黃 3|anh 英 3|bá 伯 2|"
    "tuấn 俊 2|trọng 重 2|mạnh 孟 2"
)
_VN_MIDDLE_F = (
    "thị 氏 45|ngọc 玉 8|thu 秋 6|thanh 清 6|kim 金 5|hồng 紅 5|mỹ 美 4|bích 碧 3|phương 芳 3|"
    "khánh 慶 3|bảo 寶 3|minh 明 3|như 如 3|hoài 懷 2|gia 家 2|quỳnh 瓊 2"
)

NOTICE_NATIONALITY = (("VN", 40), ("CN", 35), ("KR", 25))
REGISTER_NATIONALITY = (("VN", 55), ("CN", 30), ("KR", 15))
# A notice knows what the issuing agency knows; a register copies a passport or an ID card.
NOTICE_DOB_FORMAT = (("full", 90), ("year", 5), ("month", 2), ("blank", 3))
REGISTER_DOB_FORMAT = (("full", 97), ("year", 1), ("month", 1), ("blank", 1))

# Scenarios: how a register record of a notice's person is written differently. Per
# nationality: variant, weight, and for variants that keep one form the kinds it uses.
_CROSS: dict[str, tuple[tuple[str, str, str, float], ...]] = {
    "CN": (
        ("hanzi_vs_vietnamese", "hanzi", "vietnamese", 14),
        ("hanzi_vs_pinyin", "hanzi", "pinyin", 16),
        ("pinyin_vs_vietnamese", "pinyin", "vietnamese", 14),
    ),
    "KR": (
        ("hangul_vs_roman", "hangul", "roman", 24),
        ("hanja_vs_hangul", "hanja", "hangul", 14),
    ),
    "VN": (
        ("diacritics_dropped", "vietnamese", "folded", 24),
        ("hanzi_vs_vietnamese", "hanzi", "vietnamese", 14),
    ),
}
KindWeights = tuple[tuple[str, float], ...]
# The kinds exact and date variants are written in (the same on both sides).
_SAME_FORM_KINDS: dict[str, KindWeights] = {
    "CN": (("pinyin", 5), ("hanzi", 3), ("vietnamese", 2)),
    "KR": (("roman", 55), ("hangul", 35), ("hanja", 10)),
    "VN": (("vietnamese", 65), ("folded", 30), ("hanzi", 5)),
}
# The kinds order_swapped and typo are written in.
_LATIN_KINDS: dict[str, dict[str, KindWeights]] = {
    "CN": {"order_swapped": (("pinyin", 1),), "typo": (("pinyin", 1),)},
    "KR": {"order_swapped": (("roman", 1),), "typo": (("roman", 1),)},
    "VN": {
        "order_swapped": (("vietnamese", 1), ("folded", 1)),
        "typo": (("folded", 6), ("vietnamese", 4)),
    },
}
_OTHER_WEIGHTS = {"order_swapped": 9, "typo": 9, "birth_year_only": 6, "day_month_swapped": 6}
_EXACT_WEIGHT = 10
KINDS = {
    "CN": ("hanzi", "pinyin", "vietnamese"),
    "KR": ("hangul", "hanja", "roman"),
    "VN": ("vietnamese", "folded", "hanzi"),
}
_CJK_KINDS = {"hanzi", "hanja"}  # need every syllable to have a character
EXTRA_RECORDS = ((0, 75), (1, 20), (2, 5))  # more planted records of one notice
ALT_FORM_RATE, ALIAS_RATE = 0.25, 0.10
SINGLE_GIVEN = {"CN": 0.3, "KR": 0.05}  # given names of one syllable
KOREAN_RR_SHARE = 0.3  # romanized Korean names in Revised Romanization (else passport habits)
DOCUMENT_BLANK = 0.1  # register rows without a document number
SAME_DOCUMENT = 0.35  # planted records carrying the notice's document number (when it has one)
TAIL_SHARE = 0.05  # Chinese given-name characters drawn from the long tail
NATIVE_KOREAN_SHARE = 0.04  # Korean given names without hanja (하늘, 슬기)
DISTRACTOR_RATES = (("same_family_year", 0.25), ("relative", 0.15), ("namesake", 0.10))

_AGENCIES = {
    "VN": (
        ("Cục Cảnh sát hình sự (C02) - Bộ Công an", 4),
        ("Văn phòng Interpol Việt Nam", 2),
        ("Công an TP. Hà Nội", 3),
        ("Công an TP. Hồ Chí Minh", 3),
        ("Công an TP. Hải Phòng", 1),
        ("Công an tỉnh Quảng Ninh", 1),
        ("Công an tỉnh Lạng Sơn", 1),
        ("Công an tỉnh Lào Cai", 1),
        ("Công an tỉnh An Giang", 1),
        ("Công an TP. Đà Nẵng", 1),
    ),
    "CN": (
        ("INTERPOL NCB Beijing", 3),
        ("Ministry of Public Security of the PRC", 3),
        ("Guangxi Public Security Department", 2),
        ("Yunnan Public Security Department", 2),
        ("Guangdong Public Security Department", 2),
    ),
    "KR": (
        ("INTERPOL NCB Seoul", 3),
        ("Korean National Police Agency", 3),
        ("Seoul Metropolitan Police Agency", 2),
        ("Busan Metropolitan Police Agency", 1),
    ),
}
_CHARGES = {
    "VN": (
        ("Lừa đảo chiếm đoạt tài sản (Điều 174 BLHS)", 6),
        ("Mua bán trái phép chất ma túy (Điều 251 BLHS)", 6),
        ("Tổ chức đánh bạc (Điều 322 BLHS)", 3),
        ("Mua bán người (Điều 150 BLHS)", 2),
        ("Giết người (Điều 123 BLHS)", 2),
        ("Cướp tài sản (Điều 168 BLHS)", 2),
        ("Cố ý gây thương tích (Điều 134 BLHS)", 3),
        ("Tổ chức cho người khác xuất cảnh trái phép (Điều 349 BLHS)", 2),
        ("Buôn lậu (Điều 188 BLHS)", 2),
        ("Rửa tiền (Điều 324 BLHS)", 1),
    ),
    "INT": (
        ("fraud", 6),
        ("drug trafficking", 6),
        ("telecom fraud", 4),
        ("illegal online gambling", 3),
        ("human trafficking", 2),
        ("money laundering", 2),
        ("intentional homicide", 2),
        ("robbery", 2),
        ("smuggling", 2),
        ("organising illegal border crossing", 2),
    ),
}


# ---------------------------------------------------------------------------------------
# Weighted choice


class Weighted(Generic[T]):
    """Items with weights; `pick(rng)` draws one (bisect on cumulative weights)."""

    __slots__ = ("cum", "items", "pairs")

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self.pairs = [(item, float(w)) for item, w in pairs if w > 0]
        if not self.pairs:
            raise ValueError("nothing to choose from")
        self.items = [item for item, _ in self.pairs]
        total = sum(w for _, w in self.pairs)
        self.cum = [c / total for c in accumulate(w for _, w in self.pairs)]
        self.cum[-1] = 1.0  # random() < 1.0: the index stays in range

    def pick(self, rng: random.Random) -> T:
        return self.items[bisect(self.cum, rng.random())]


def _rank_weight(rank: int) -> float:
    """Zipf-like weight of the rank-th most common name element."""
    return float((rank + 4) ** -0.9)


# ---------------------------------------------------------------------------------------
# Name pools


class Syl(NamedTuple):
    """One name element (a family name, a given-name syllable, a middle name) written every
    way this generator writes it."""

    hanzi: str  # characters ('' when none): simplified for CN, traditional otherwise
    latin: str  # CN: pinyin; VN: Vietnamese with diacritics, title case
    folded: str  # VN: Vietnamese without diacritics, title case
    vi: str  # Sino-Vietnamese (CN) or Vietnamese (VN) reading, title case
    hangul: str  # KR: hangul at the start of a given name (initial-sound rule), or as is
    hangul_rest: str  # KR: hangul anywhere else
    rr: tuple[str, ...]  # KR: Revised Romanization per syllable (first-position form)
    rr_rest: tuple[str, ...]  # KR: Revised Romanization per syllable elsewhere
    habit: tuple[str, ...]  # KR: passport spelling habit per syllable (first position)
    habit_rest: tuple[str, ...]  # KR: passport spelling habit per syllable elsewhere
    key: str  # how it sounds: pinyin (CN), folded Vietnamese (VN), hangul (KR)
    vkey: str  # folded Sino-Vietnamese reading ('' when unknown)
    # Folded Latin words per writing system (CN: pinyin, Sino-Vietnamese; VN: Vietnamese;
    # KR: RR, passport habits), to check that no name begins with what reads as a title.
    words: tuple[tuple[str, ...], ...]
    title_head: bool  # one of those words starts a title (`dong` of `dong chi`)


@dataclass
class Pools:
    """Per nationality: family names, given-name elements by sex, Vietnamese middle names.
    Pickers are keyed (nationality, sex, cjk): `cjk` keeps to elements with characters."""

    family: dict[str, list[Syl]] = field(default_factory=dict)
    family_pick: dict[str, Weighted[int]] = field(default_factory=dict)
    given: dict[str, list[Syl]] = field(default_factory=dict)
    given_pick: dict[tuple[str, str, bool], Weighted[int]] = field(default_factory=dict)
    middle: list[Syl] = field(default_factory=list)
    middle_pick: dict[tuple[str, bool], Weighted[int]] = field(default_factory=dict)
    kr_spellings: list[Weighted[str]] = field(default_factory=list)  # per KR family
    pinyin_spellings: dict[int, Weighted[str]] = field(default_factory=dict)  # per CN family
    plain_middle: dict[str, int] = field(default_factory=dict)  # by sex: Văn, Thị
    notes: list[str] = field(default_factory=list)  # elements dropped or not in the table


def _title(text: str) -> str:
    return text[:1].upper() + text[1:]


def _readings_ok(char: str) -> bool:
    r = readings.of(char)
    return r is not None and bool(r.pinyin and r.vietnamese and r.korean)


def _traditional(char: str) -> str:
    """The traditional form of a simplified character (itself when it has none)."""
    r = readings.of(char)
    if r is None:
        return char
    for v in r.variants:
        if _is_big5(v) and not _is_big5(char):
            return v
    return char


def _is_big5(char: str) -> bool:
    try:
        char.encode("big5")
    except UnicodeEncodeError:
        return False
    return True


def _is_common_simplified(char: str) -> bool:
    """In GB 2312's first level (the 3,755 common characters)."""
    try:
        code = char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(code) == 2 and 0xB0 <= code[0] <= 0xD7


def _compose(initial: int, medial: int, final: int) -> str:
    return chr(0xAC00 + (initial * 21 + medial) * 28 + final)


_SILENT, _RIEUL, _NIEUN, _HIEUT = 11, 5, 2, 18  # ㅇ ㄹ ㄴ ㅎ (initial indexes)
_I_VOWELS = {2, 3, 6, 7, 12, 17, 20}  # ㅑ ㅒ ㅕ ㅖ ㅛ ㅠ ㅣ


def initial_sound(hangul: str) -> str:
    """두음법칙: the first syllable of a South Korean given name drops an initial ㄹ or ㄴ
    before i/y (련 -> 연, 녀 -> 여) and turns ㄹ into ㄴ otherwise (란 -> 난)."""
    initial, medial, final = jamo(hangul)
    if initial == _RIEUL:
        initial = _SILENT if medial in _I_VOWELS else _NIEUN
    elif initial == _NIEUN and medial in _I_VOWELS:
        initial = _SILENT
    return _compose(initial, medial, final)


def korean_habit(hangul: str) -> str:
    """The spelling Korean passports usually carry (McCune-Reischauer habits, not RR):
    경 kyung, 수 soo, 영 young, 현 hyun, 희 hee, 성 sung, 철 chul, 우 woo, 준 joon, 윤 yoon."""
    initial, medial, final = jamo(hangul)
    head = romanize_syllable(_compose(initial, 0, 0))[:-1]  # the initial + ㅏ, minus a
    body = romanize_syllable(_compose(_SILENT, medial, 0))
    tail = romanize_syllable(_compose(_SILENT, 0, final))[1:]
    silent = initial == _SILENT
    if head == "g":
        head = "k"
    if body == "eo":  # 성 sung, 정 jung, 철 chul, 석 suk; 어 eo
        body = "eo" if silent and not tail else "u"
    elif body == "yeo":  # 현 hyun, 명 myung, 영 young; 연 yeon, 여 yeo
        if tail == "ng":
            body = "you" if silent else "yu"
        elif tail and not silent:
            body = "yu"
    elif body == "u" and tail in ("", "n", "k"):  # 수 soo, 준 joon, 숙 sook
        body = "oo"
    elif body == "yu" and tail in ("", "n"):  # 유 yoo, 윤 yoon
        body = "yoo"
    elif body == "ui" and initial == _HIEUT:  # 희 hee
        body = "ee"
    elif body == "ui" and silent:  # 의 eui
        body = "eui"
    if silent and body in ("u", "oo"):  # 우 woo, 운 woon, 욱 wook, 웅 woong
        body = "woo"
    return head + body + tail


def _korean_syl(hangul: str, hanja: str, given: bool = True) -> Syl:
    """A Korean family name (`given` False: written as is) or given-name element."""
    first = initial_sound(hangul[0]) + hangul[1:] if given else hangul
    vkey = " ".join(vietnamese_syllable_key(_vi_of(c)) for c in hanja) if hanja else ""
    return Syl(
        hanja,
        "",
        "",
        "",
        first,
        hangul,
        tuple(romanize_syllable(c) for c in first),
        tuple(romanize_syllable(c) for c in hangul),
        tuple(korean_habit(c) for c in first),
        tuple(korean_habit(c) for c in hangul),
        hangul,
        vkey,
        *_words(
            tuple(romanize_syllable(c) for c in hangul),
            tuple(korean_habit(c) for c in hangul) if given else (),
        ),
    )


def _cn_syl(hanzi: str, pinyin: str, vi: str) -> Syl:
    key = vietnamese_syllable_key(vi)
    return Syl(
        hanzi,
        pinyin,
        "",
        _title(vi),
        "",
        "",
        (),
        (),
        (),
        (),
        pinyin,
        key,
        *_words((pinyin,), (fold(vi),)),
    )


def _vn_syl(vi: str, hanzi: str) -> Syl:
    key = vietnamese_syllable_key(vi)
    return Syl(
        "".join(_traditional(c) for c in hanzi),
        _title(vi),
        _title(fold(vi)),
        _title(vi),
        "",
        "",
        (),
        (),
        (),
        (),
        key,
        key,
        *_words((fold(vi),)),
    )


def _words(*systems: tuple[str, ...]) -> tuple[tuple[tuple[str, ...], ...], bool]:
    """(Syl.words, Syl.title_head); a Korean family name is written alike in both systems."""
    words = tuple(w or systems[0] for w in systems)
    return words, any(w[0] in _TITLE_HEADS for w in words)


# Words the parser drops before a name (hoptac.names.parse strips leading titles).
_TITLE_HEADS = frozenset(t.split()[0] for t in _TITLES)


def _kept(words: Sequence[str]) -> int:
    """How many words the parser keeps once it has dropped leading titles (its rule)."""
    start = 0
    while start < len(words):
        for n in (3, 2, 1):
            if len(words) - start > n and " ".join(words[start : start + n]) in _TITLES:
                start += n
                break
        else:
            break
    return len(words) - start


def _vi_of(char: str) -> str:
    r = readings.of(char)
    return r.vietnamese[0] if r and r.vietnamese else ""


def _vi_matches(char: str, vi: str) -> bool:
    r = readings.of(char)
    return r is not None and vietnamese_key(vi) in {vietnamese_key(v) for v in r.vietnamese}


def _entries(text: str) -> list[list[str]]:
    return [e.split() for line in text.strip().splitlines() for e in line.split("|")]


@cache
def pools() -> Pools:
    """Build every name pool once (deterministic: fixed lists, sorted table scans)."""
    p = Pools()
    _chinese(p)
    _korean(p)
    _vietnamese(p)
    return p


def _chinese(p: Pools) -> None:
    family: list[tuple[Syl, float]] = []
    for hz, py, vi, share in _entries(_CN_FAMILIES):
        if not _vi_matches(hz, vi):
            p.notes.append(f"CN family {hz} {vi}: reading not in the table (kept)")
        family.append((_cn_syl(hz, py, vi), float(share)))
    p.family["CN"] = [s for s, _ in family]
    p.family_pick["CN"] = Weighted([(i, w) for i, (_, w) in enumerate(family)])
    for i, s in enumerate(p.family["CN"]):
        if s.key in _PINYIN_SPELLINGS:
            p.pinyin_spellings[i] = Weighted(_PINYIN_SPELLINGS[s.key])
    given: list[Syl] = []
    index: dict[str, int] = {}

    def add(char: str) -> int:
        if char not in index:
            r = readings.of(char)
            assert r is not None
            index[char] = len(given)
            given.append(_cn_syl(char, r.pinyin[0], r.vietnamese[0]))
        return index[char]

    tail = _cn_tail(set(_CN_GIVEN_M + _CN_GIVEN_F))
    tail_total = sum(w for _, w in tail)
    for sex, chars in (("M", _CN_GIVEN_M), ("F", _CN_GIVEN_F)):
        weights: list[tuple[int, float]] = []
        for char in dict.fromkeys(chars):
            r = readings.of(char)
            if r is None or not _readings_ok(char):
                p.notes.append(f"CN given {char}: lacks a reading (dropped)")
            elif not (r.pinyin[0].isascii() and r.pinyin[0].isalpha()) or "v" in r.pinyin[0]:
                p.notes.append(f"CN given {char}: pinyin {r.pinyin[0]} (dropped)")
            else:
                weights.append((add(char), _rank_weight(len(weights))))
        # The long tail: 5% of draws.
        core = sum(w for _, w in weights)
        weights += [
            (add(c), TAIL_SHARE / (1 - TAIL_SHARE) * core * w / tail_total) for c, w in tail
        ]
        p.given_pick[("CN", sex, False)] = p.given_pick[("CN", sex, True)] = Weighted(weights)
    p.given["CN"] = given


def _korean(p: Pools) -> None:
    family: list[tuple[Syl, float]] = []
    for hangul, hanja, share, *spellings in _entries(_KR_FAMILIES):
        family.append((_korean_syl(hangul, hanja, given=False), float(share)))
        spelled = [(s, float(w)) for s, w in (x.split(":") for x in spellings)]
        p.kr_spellings.append(Weighted(spelled))
    p.family["KR"] = [s for s, _ in family]
    p.family_pick["KR"] = Weighted([(i, w) for i, (_, w) in enumerate(family)])
    given: list[Syl] = []
    for sex, pairs, natives in (
        ("M", _KR_GIVEN_M, _KR_NATIVE_M),
        ("F", _KR_GIVEN_F, _KR_NATIVE_F),
    ):
        weights: list[tuple[int, float]] = []
        for pair in pairs.split():
            hangul, hanja = pair[0], pair[1]
            r = readings.of(hanja)
            if r is None or not _readings_ok(hanja) or hangul not in r.korean:
                p.notes.append(f"KR given {hangul} {hanja}: lacks a reading (dropped)")
                continue
            given.append(_korean_syl(hangul, hanja))
            # Several hanja share a syllable: rank by syllable pairs, not one by one.
            weights.append((len(given) - 1, _rank_weight(len(weights) // 2)))
        p.given_pick[("KR", sex, True)] = Weighted(weights)
        core = sum(w for _, w in weights)
        names = natives.split()
        for name in names:
            given.append(_korean_syl(name, ""))
            weights.append((len(given) - 1, NATIVE_KOREAN_SHARE * core / len(names)))
        p.given_pick[("KR", sex, False)] = Weighted(weights)
    p.given["KR"] = given


def _vietnamese(p: Pools) -> None:
    family: list[tuple[Syl, float]] = []
    for vi, hz, share in _entries(_VN_FAMILIES):
        if not _vi_matches(hz, vi):
            p.notes.append(f"VN family {vi} {hz}: reading not in the table (kept)")
        family.append((_vn_syl(vi, hz), float(share)))
    p.family["VN"] = [s for s, _ in family]
    p.family_pick["VN"] = Weighted([(i, w) for i, (_, w) in enumerate(family)])
    given: list[Syl] = []
    for sex, names in (("M", _VN_GIVEN_M), ("F", _VN_GIVEN_F)):
        weights: list[tuple[int, float]] = []
        for rank, (vi, hz) in enumerate(_entries(names)):
            if hz != "-" and not _vi_matches(hz, vi):
                p.notes.append(f"VN given {vi} {hz}: reading not in the table (no hanzi)")
                hz = "-"
            given.append(_vn_syl(vi, "" if hz == "-" else hz))
            weights.append((len(given) - 1, _rank_weight(rank)))
        p.given_pick[("VN", sex, False)] = Weighted(weights)
        p.given_pick[("VN", sex, True)] = Weighted([(i, w) for i, w in weights if given[i].hanzi])
    p.given["VN"] = given
    for sex, names in (("M", _VN_MIDDLE_M), ("F", _VN_MIDDLE_F)):
        weights = []
        for vi, hz, w in _entries(names):
            if not _vi_matches(hz, vi):
                p.notes.append(f"VN middle {vi} {hz}: reading not in the table (no hanzi)")
                hz = ""
            if vi in ("văn", "thị"):
                p.plain_middle[sex] = len(p.middle)
            p.middle.append(_vn_syl(vi, hz))
            weights.append((len(p.middle) - 1, float(w)))
        p.middle_pick[(sex, False)] = Weighted(weights)
        p.middle_pick[(sex, True)] = Weighted([(i, w) for i, w in weights if p.middle[i].hanzi])


# Characters of ill omen, never given as names (the tail would otherwise draw some).
_ILL_OMENS = set("死病鬼毒尸杀凶恶贼丑屎屁穷苦痛哭骂妓奴亡灾祸丧葬坟墓血囚罪犯盗")
_TAIL_SKIP_MOST_FREQUENT = 600  # grammar words and the like dominate running text


def _cn_tail(core: set[str]) -> list[tuple[str, float]]:
    """Other common characters for the long tail of given names: GB 2312 level 1, seen in
    kHanyuPinlu but not among its most frequent (grammar words), with pinyin, Vietnamese and
    Korean readings, weighted by log(1 + kHanyuPinlu count)."""
    table = readings.table().by_char
    by_weight = sorted(table.values(), key=lambda r: (-r.weight, r.char))
    frequent = {r.char for r in by_weight[:_TAIL_SKIP_MOST_FREQUENT]}
    out = []
    for char, r in sorted(table.items()):
        if char in core or char in frequent or char in _ILL_OMENS or r.weight <= 0:
            continue
        if not (_readings_ok(char) and _is_common_simplified(char)):
            continue
        py = r.pinyin[0]
        if py.isascii() and py.isalpha() and "v" not in py:
            out.append((char, math.log1p(r.weight)))
    return out


# ---------------------------------------------------------------------------------------
# People


class Person(NamedTuple):
    """Who someone is: indexes into the pools and a birth date (always complete)."""

    nat: str
    sex: str  # M | F
    family: int
    middle: tuple[int, ...]  # Vietnamese middle names (indexes into pools().middle)
    given: tuple[int, ...]  # indexes into pools().given[nat]
    year: int
    month: int
    day: int


_YEARS = Weighted(
    [(y, math.exp(-(((y - 1984) / 12) ** 2) / 2) + 0.15) for y in range(FIRST_YEAR, LAST_YEAR + 1)]
)
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days_in(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS[month - 1]


def random_date(rng: random.Random, swappable: bool = False) -> tuple[int, int, int]:
    """A birth date, 1950-2005, most around 1984. `swappable`: the day is 12 or less and
    not the month, so that the date swapped day for month is another valid date."""
    year = _YEARS.pick(rng)
    month = 1 + int(rng.random() * 12)
    if swappable:
        return year, month, _swappable_day(rng, month)
    return year, month, 1 + int(rng.random() * _days_in(year, month))


def _swappable(person: Person) -> bool:
    return person.day <= 12 and person.day != person.month


def _swappable_day(rng: random.Random, month: int) -> int:
    """A day of 12 or less that is not the month (1-12 without it)."""
    day = 1 + int(rng.random() * 11)
    return day + (day >= month)


def random_person(
    rng: random.Random, nat: str, sex: str, cjk: bool = False, swappable: bool = False
) -> Person:
    """A person of a nationality; `cjk`: every element has characters (hanzi/hanja)."""
    person = _draw_person(rng, nat, sex, cjk, swappable)
    while not title_safe(person):
        person = _draw_person(rng, nat, sex, cjk, swappable)
    return person


def _draw_person(rng: random.Random, nat: str, sex: str, cjk: bool, swappable: bool) -> Person:
    p = pools()
    family = p.family_pick[nat].pick(rng)
    middle: tuple[int, ...] = ()
    if nat == "VN":
        u = rng.random()
        pick = p.middle_pick[(sex, cjk)]
        if u < 0.08:  # no middle name: Lê Minh
            middle = ()
        elif u < 0.9:
            middle = (pick.pick(rng),)
        else:  # two: Thị Thu, Văn Minh, Ngọc Bảo (never Thị Thị nor Ngọc Thị)
            plain = p.plain_middle[sex]
            first = plain if rng.random() < 0.6 else pick.pick(rng)
            second = pick.pick(rng)
            while second in (first, plain):
                second = pick.pick(rng)
            middle = (first, second)
        given: tuple[int, ...] = (p.given_pick[("VN", sex, cjk)].pick(rng),)
        while middle and p.given["VN"][given[0]].key == p.middle[middle[-1]].key:
            given = (p.given_pick[("VN", sex, cjk)].pick(rng),)  # not Nguyễn Anh Anh
    else:
        pick = p.given_pick[(nat, sex, cjk)]
        pool = p.given[nat]
        first = pick.pick(rng)
        if len(pool[first].hangul_rest) > 1 or rng.random() < SINGLE_GIVEN[nat]:
            given = (first,)  # one syllable, or a native Korean name (whole)
        else:
            second = pick.pick(rng)
            while len(pool[second].hangul_rest) > 1:
                second = pick.pick(rng)
            given = (first, second)
    return Person(nat, sex, family, middle, given, *random_date(rng, swappable))


def identity_keys(person: Person) -> list[tuple[str, ...]]:
    """How the person sounds, with the birth date: two people sharing a key are written
    alike in some form and born the same day (screening could not tell them apart)."""
    p = pools()
    dob = f"{person.year}-{person.month}-{person.day}"
    fam = p.family[person.nat][person.family]
    given = [p.given[person.nat][g] for g in person.given]
    elements = [fam, *(p.middle[m] for m in person.middle), *given]
    keys: list[tuple[str, ...]] = []
    if all(e.vkey for e in elements):  # Sino-Vietnamese, or Vietnamese
        keys.append(("v", " ".join(e.vkey for e in elements), dob))
    if person.nat == "CN":
        keys.append(("p", fam.key, "".join(g.key for g in given), dob))
    elif person.nat == "KR":
        keys.append(("k", fam.key, "".join(g.hangul_rest for g in given), dob))
    return keys


def title_safe(person: Person) -> bool:
    """Would every Latin writing of the name keep two words or more once the parser has
    dropped what reads as a leading title? `Đổng Chí Đông` (董志东) reads `đồng chí`
    (comrade) Đông, `Ông Duy` Mr Duy: such names are not drawn."""
    p = pools()
    fam = p.family[person.nat][person.family]
    rest = [*(p.middle[m] for m in person.middle), *(p.given[person.nat][g] for g in person.given)]
    if not fam.title_head and not rest[0].title_head:
        return True
    for k, family in enumerate(fam.words):
        others = [w for e in rest for w in e.words[k]]
        if _kept([*family, *others]) < 2 or _kept([*others, *family]) < 2:
            return False
    return True


def has_cjk(person: Person) -> bool:
    """Every element of the name has characters (hanzi or hanja)."""
    p = pools()
    return bool(
        p.family[person.nat][person.family].hanzi
        and all(p.middle[m].hanzi for m in person.middle)
        and all(p.given[person.nat][g].hanzi for g in person.given)
    )


# ---------------------------------------------------------------------------------------
# Writing names


class Style(NamedTuple):
    """How a Latin-script name is laid out; fixed for one rendering (and its copies)."""

    case: str  # title | upper_family | upper | comma
    join: str  # joined | hyphen | space (given-name syllables)
    rr: bool  # Korean: Revised Romanization rather than passport habits
    spelling: str  # the family name as spelled ('' for the default)


_PINYIN_CASES = Weighted([("title", 40), ("upper_family", 25), ("upper", 20), ("comma", 8)])
_PINYIN_JOINS = Weighted([("joined", 92), ("space", 5), ("hyphen", 3)])
_ROMAN_CASES = Weighted([("title", 55), ("upper_family", 20), ("upper", 20), ("comma", 5)])
_ROMAN_JOINS = Weighted([("hyphen", 45), ("joined", 30), ("space", 25)])
_VIETNAMESE_CASES = Weighted([("title", 88), ("upper", 10), ("comma", 2)])
_FOLDED_CASES = Weighted([("title", 45), ("upper", 50), ("comma", 5)])
_PLAIN = Style("title", "joined", False, "")


def draw_style(rng: random.Random, person: Person, kind: str) -> Style:
    """A layout for the name written in `kind` (characters have only one)."""
    p = pools()
    if kind == "pinyin":
        spell = p.pinyin_spellings.get(person.family)
        return Style(
            _PINYIN_CASES.pick(rng),
            _PINYIN_JOINS.pick(rng),
            False,
            spell.pick(rng) if spell else "",
        )
    if kind == "roman":
        return Style(
            _ROMAN_CASES.pick(rng),
            _ROMAN_JOINS.pick(rng),
            rng.random() < KOREAN_RR_SHARE,
            p.kr_spellings[person.family].pick(rng),
        )
    if kind == "vietnamese":
        return Style(_VIETNAMESE_CASES.pick(rng), "space", False, "")
    if kind == "folded":
        return Style(_FOLDED_CASES.pick(rng), "space", False, "")
    return _PLAIN


def render(person: Person, kind: str, style: Style = _PLAIN, family_last: bool = False) -> str:
    """The person's name written in one form: hanzi | hanja | hangul (family name first,
    no spaces) or pinyin | roman | vietnamese | folded (Latin script; family name first
    unless `family_last`)."""
    p = pools()
    fam = p.family[person.nat][person.family]
    given = [p.given[person.nat][g] for g in person.given]
    if kind in ("hanzi", "hanja"):
        middle = "".join(p.middle[m].hanzi for m in person.middle)
        return fam.hanzi + middle + "".join(g.hanzi for g in given)
    if kind == "hangul":
        return fam.hangul + given[0].hangul + "".join(g.hangul_rest for g in given[1:])
    if kind == "pinyin":
        family = style.spelling or _title(fam.latin)
        syllables = [g.latin for g in given]
        if style.join == "joined":
            text = syllables[0]
            for s in syllables[1:]:  # Xi'an: written before a, o, e (not in passports)
                text += ("'" if style.case == "title" and s[0] in "aoe" else "") + s
            parts = [_title(text)]
        else:
            parts = _joined(syllables, style.join)
        return _layout(family, parts, style.case, family_last)
    if kind == "roman":
        family = style.spelling or _title(fam.rr[0])
        first, rest = (given[0].rr, given[1:]) if style.rr else (given[0].habit, given[1:])
        syllables = [*first, *(s for g in rest for s in (g.rr_rest if style.rr else g.habit_rest))]
        return _layout(family, _joined(syllables, style.join), style.case, family_last)
    # vietnamese | folded
    if person.nat == "CN":  # the Sino-Vietnamese reading of a Chinese name
        words = [fam.vi, *(g.vi for g in given)]
        if kind == "folded":
            words = [_title(fold(w)) for w in words]
    else:
        marked = kind == "vietnamese"
        elements = [fam, *(p.middle[m] for m in person.middle), *given]
        words = [e.latin if marked else e.folded for e in elements]
    return _layout(words[0], words[1:], style.case, family_last)


def _joined(syllables: list[str], join: str) -> list[str]:
    """Given-name syllables as written: `Dae-jung`, `Daejung` or `Dae Jung`."""
    if join == "hyphen":
        return [_title("-".join(syllables))]
    if join == "joined":
        return [_title("".join(syllables))]
    return [_title(s) for s in syllables]


def _layout(family: str, given: list[str], case: str, family_last: bool) -> str:
    if case == "comma" and not family_last:
        return f"{family.upper()}, {' '.join(given)}"
    if case in ("upper_family", "comma"):
        family = family.upper()
    text = " ".join([*given, family] if family_last else [family, *given])
    return text.upper() if case == "upper" else text


_KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _neighbours(letter: str) -> str:
    """Keys next to a letter on a QWERTY keyboard."""
    for r, row in enumerate(_KEYBOARD):
        c = row.find(letter)
        if c >= 0:
            near = row[max(c - 1, 0) : c] + row[c + 1 : c + 2]
            for other in (r - 1, r + 1):
                if 0 <= other < len(_KEYBOARD):
                    near += _KEYBOARD[other][max(c - 1, 0) : c + 1]
            return near.replace(letter, "")
    return ""


_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_NEIGHBOURS = {c: _neighbours(c) for c in _LETTERS}


def typo(name: str, rng: random.Random) -> str:
    """One letter changed, not the first of its word: a key next to it on a QWERTY
    keyboard, or (one time in four) any other letter. Only plain ASCII letters change, in
    a word of four letters or more when the name has one; never into a title (`Ma` ->
    `Ms`), which a parser would take for no name."""
    for _ in range(10):
        changed = _one_typo(name, rng)
        # A Latin name parses into one part per word (`ZHANG, Jianguo`, `Dae-jung Kim`).
        if len(parse_name(changed).parts) == len(name.split()):
            return changed
    return changed


def _one_typo(name: str, rng: random.Random) -> str:
    spans: list[tuple[int, int]] = []
    start = -1
    for i, c in enumerate(name + " "):
        if c.isalpha():
            if start < 0:
                start = i
        elif start >= 0:
            spans.append((start, i))
            start = -1
    words = [s for s in spans if s[1] - s[0] >= 4] or [s for s in spans if s[1] - s[0] >= 2]
    words = words or spans  # `O U` (오우)
    a, b = rng.choice(words)
    positions = [i for i in range(a + 1, b) if name[i].isascii()]
    if not positions:  # every later letter carries a diacritic
        positions = [a]
    at = rng.choice(positions)
    letter = name[at].lower()
    near = _NEIGHBOURS.get(letter, "")
    if not near or rng.random() < 0.25:
        near = _LETTERS.replace(letter, "")
    new = rng.choice(near)
    return name[:at] + (new.upper() if name[at].isupper() else new) + name[at + 1 :]


# ---------------------------------------------------------------------------------------
# Dates, documents


def date_text(year: int, month: int, day: int, fmt: str) -> str:
    """A date written in a format: full (ISO) | year | month (year and month) | blank."""
    if fmt == "full":
        return f"{year}-{_TWO_DIGITS[month]}-{_TWO_DIGITS[day]}"
    if fmt == "year":
        return str(year)
    if fmt == "month":
        return f"{year}-{_TWO_DIGITS[month]}"
    return ""


_TWO_DIGITS = tuple(f"{i:02d}" for i in range(32))


_NOTICE_DOB = Weighted(NOTICE_DOB_FORMAT)
_REGISTER_DOB = Weighted(REGISTER_DOB_FORMAT)


class Documents:
    """Passport-like numbers, unique per nationality: the digits are a seeded bijection of a
    running index (affine map, digit reversal, affine map), so no set of issued numbers is
    kept. CN E12345678 / G12345678, KR M12345678 / M123A4567, VN C1234567 / B1234567."""

    WIDTH: ClassVar[dict[str, int]] = {"CN": 8, "KR": 8, "VN": 7}

    def __init__(self, rng: random.Random) -> None:
        self.keys = {
            nat: tuple(self._unit(rng, 10**w) for _ in range(4)) for nat, w in self.WIDTH.items()
        }

    @staticmethod
    def _unit(rng: random.Random, modulus: int) -> int:
        while True:
            a = rng.randrange(1, modulus)
            if a % 2 and a % 5:
                return a

    def number(self, nat: str, index: int, rng: random.Random) -> str:
        width = self.WIDTH[nat]
        modulus = 10**width
        a, b, c, d = self.keys[nat]
        x = (a * (index % modulus) + b) % modulus
        x = int(f"{x:0{width}d}"[::-1])
        digits = f"{(c * x + d) % modulus:0{width}d}"
        u = rng.random()
        if nat == "CN":
            return ("E" if u < 0.9 else "G") + digits
        if nat == "KR":
            if u < 0.85:
                return "M" + digits
            return "M" + digits[1:4] + "ABCDEFGHJK"[int(digits[0])] + digits[4:]
        return ("C" if u < 0.9 else "B") + digits


# ---------------------------------------------------------------------------------------
# Scenarios


class Scenario(NamedTuple):
    """How the notice and a register record of one person are written."""

    variant: str
    notice_kind: str
    register_kind: str
    side: str  # where a one-sided change (typo, swap, date) is made: notice | register | ''


def scenarios(nat: str) -> list[tuple[Scenario, float]]:
    """Every scenario of a nationality with its weight (cross-form ones both ways)."""
    out: list[tuple[Scenario, float]] = []
    for variant, a, b, w in _CROSS[nat]:
        out += [(Scenario(variant, a, b, ""), w / 2), (Scenario(variant, b, a, ""), w / 2)]
    for variant in ("order_swapped", "typo"):
        kinds = _LATIN_KINDS[nat][variant]
        total = sum(k for _, k in kinds)
        for kind, k in kinds:
            for side in ("notice", "register"):
                weight = _OTHER_WEIGHTS[variant] * k / total / 2
                out.append((Scenario(variant, kind, kind, side), weight))
    total = sum(k for _, k in _SAME_FORM_KINDS[nat])
    for kind, k in _SAME_FORM_KINDS[nat]:
        out.append((Scenario("exact", kind, kind, ""), _EXACT_WEIGHT * k / total))
        for variant in ("birth_year_only", "day_month_swapped"):
            for side, s in (("notice", 0.5), ("register", 0.5)):
                weight = _OTHER_WEIGHTS[variant] * k / total * s
                out.append((Scenario(variant, kind, kind, side), weight))
    return out


@cache
def scenario_pickers() -> dict[tuple[str | bool, ...], Weighted[Scenario]]:
    """(nat,) -> every scenario of a nationality; (nat, notice_kind, full_date) -> the
    scenarios of further records of a notice written in that kind (changes on the register
    side only; date variants only when the notice has a full birth date)."""
    out: dict[tuple[str | bool, ...], Weighted[Scenario]] = {}
    for nat in KINDS:
        every = scenarios(nat)
        out[(nat,)] = Weighted(every)
        for kind in KINDS[nat]:
            extra = [(s, w) for s, w in every if s.notice_kind == kind and s.side != "notice"]
            out[(nat, kind, True)] = Weighted(extra)
            out[(nat, kind, False)] = Weighted(
                [(s, w) for s, w in extra if s.variant not in _DATED]
            )
    return out


@cache
def _register_scenarios() -> Weighted[tuple[str, Scenario]]:
    """(nationality, scenario) of a register row, in one draw."""
    total = sum(w for _, w in REGISTER_NATIONALITY)
    out: list[tuple[tuple[str, Scenario], float]] = []
    for nat, share in REGISTER_NATIONALITY:
        picker = scenario_pickers()[(nat,)]
        weights = sum(w for _, w in picker.pairs)
        out += [((nat, sc), share / total * w / weights) for sc, w in picker.pairs]
    return Weighted(out)


# ---------------------------------------------------------------------------------------
# Generation


class Row(NamedTuple):
    """A register row before it has a position (and so a record id)."""

    name: str
    birth_date: str
    sex: str
    nationality: str
    document: str | None  # None: a number is issued when the row is written
    source: str
    seen_at: str
    nat: str  # the person's nationality (the written one may be blank)
    notice: int  # the notice it truly matches (index), -1 for none
    variant: str  # how it matches, or what kind of distractor it is ('' for neither)


@dataclass
class Stats:
    """What a run made."""

    notices: int = 0
    planted_notices: int = 0
    register: int = 0
    planted_records: int = 0
    variants: Counter[str] = field(default_factory=Counter)
    distractors: Counter[str] = field(default_factory=Counter)
    redrawn: int = 0  # random register people redrawn for sharing a notice's identity
    seconds: float = 0.0


_NOTICE_NAT = Weighted(NOTICE_NATIONALITY)
_SOURCES = {
    "VN": Weighted([("resident", 70), ("hotel", 25), ("arrival", 5)]),
    "CN": Weighted([("arrival", 50), ("hotel", 40), ("resident", 10)]),
    "KR": Weighted([("arrival", 50), ("hotel", 40), ("resident", 10)]),
}
_EXTRA = Weighted(EXTRA_RECORDS)
_AGENCY = {nat: Weighted(pairs) for nat, pairs in _AGENCIES.items()}
_CHARGE = {where: Weighted(pairs) for where, pairs in _CHARGES.items()}
_SEEN_FROM = date(2019, 1, 1).toordinal()
_SEEN_DAYS = date(2025, 6, 30).toordinal() - _SEEN_FROM + 1
_DATED = ("birth_year_only", "day_month_swapped")
_SAME_NAME = ("exact", *_DATED)


def register_date(person: Person, sc: Scenario) -> str | None:
    """The register's birth date where the scenario is about dates (year only, or day and
    month swapped, on the side it names; the full date on the other), else None."""
    y, m, d = person.year, person.month, person.day
    on_register = sc.side == "register"
    if sc.variant == "birth_year_only":
        return date_text(y, m, d, "year" if on_register else "full")
    if sc.variant == "day_month_swapped":
        return date_text(y, d, m, "full") if on_register else date_text(y, m, d, "full")
    return None


class Generator:
    """One run: the notices first (keeping their planted and distractor register rows),
    then the register, streamed, with those rows at random positions."""

    def __init__(
        self,
        notices: int,
        register: int,
        seed: int,
        match_rate: float = 0.3,
        distractor_scale: float = 1.0,
    ) -> None:
        self.rng = random.Random(seed)
        self.n_notices, self.n_register = notices, register
        self.match_rate, self.distractor_scale = match_rate, distractor_scale
        self.docs = Documents(self.rng)
        self.taken: set[tuple[str, ...]] = set()  # identity keys of the notices' people
        self.taken_dates: set[tuple[str, int, int, int]] = set()  # family name, birth date
        self.stats = Stats(notices=notices, register=register)
        self.special: list[Row] = []  # planted and distractor rows
        self.special_ids: list[str] = []  # their record ids, once written
        self._seen_days = [date.fromordinal(_SEEN_FROM + d).isoformat() for d in range(_SEEN_DAYS)]

    def notice_id(self, index: int) -> str:
        """The id of the index-th notice (N0001...)."""
        return f"N{index + 1:0{len(str(self.n_notices))}d}"

    # -- notices -------------------------------------------------------------------------

    def notices(self) -> Iterator[list[str]]:
        """Notice rows in file order."""
        rng = self.rng
        planted = set(rng.sample(range(self.n_notices), round(self.n_notices * self.match_rate)))
        self.stats.planted_notices = len(planted)
        pickers = scenario_pickers()
        for j in range(self.n_notices):
            nat = _NOTICE_NAT.pick(rng)
            sc = pickers[(nat,)].pick(rng)
            sex = "M" if rng.random() < 0.75 else "F"
            dob_fmt = "full" if sc.variant in _DATED else _NOTICE_DOB.pick(rng)
            all_sc = [sc]
            if sc.side != "notice":  # further records: changes on the register side only
                extra = pickers[(nat, sc.notice_kind, dob_fmt == "full")]
                all_sc += [extra.pick(rng) for _ in range(_EXTRA.pick(rng))]
            cjk = any(k in _CJK_KINDS for s in all_sc for k in (s.notice_kind, s.register_kind))
            swappable = any(s.variant == "day_month_swapped" for s in all_sc)
            person = random_person(rng, nat, sex, cjk, swappable)
            self.taken.update(identity_keys(person))
            fam = pools().family[nat][person.family]
            self.taken_dates.add((fam.vkey, person.year, person.month, person.day))
            self.taken_dates.add((fam.key, person.year, person.month, person.day))
            style = draw_style(rng, person, sc.notice_kind)
            swapped = sc.variant == "order_swapped" and sc.side == "notice"
            clean = render(person, sc.notice_kind, style, swapped)
            name = typo(clean, rng) if sc.variant == "typo" and sc.side == "notice" else clean
            dob = date_text(person.year, person.month, person.day, dob_fmt)
            if sc.side == "notice" and sc.variant == "birth_year_only":
                dob = date_text(person.year, person.month, person.day, "year")
            elif sc.side == "notice" and sc.variant == "day_month_swapped":
                dob = date_text(person.year, person.day, person.month, "full")
            alt = self._alt_names(person, sc.notice_kind, {s.register_kind for s in all_sc})
            doc = self.docs.number(nat, self.n_register + j, rng) if rng.random() < 0.5 else ""
            agency_nat = nat if rng.random() < 0.7 else "VN"
            charges = _CHARGE["VN" if agency_nat == "VN" else "INT"]
            count = 1 if rng.random() < 0.7 else 2 if rng.random() < 0.8 else 3
            yield [
                self.notice_id(j),
                name,
                ";".join(alt),
                dob,
                "" if rng.random() < 0.02 else sex,
                "" if rng.random() < 0.02 else nat,
                doc,
                _AGENCY[agency_nat].pick(rng),
                ";".join(sorted({charges.pick(rng) for _ in range(count)})),
            ]
            if j in planted:
                shown = Shown(style, swapped, clean, name, dob, doc)
                for s in all_sc:
                    self.special.append(self._planted(j, person, s, shown))
            self._distractors(j, person, sc.notice_kind)

    def _alt_names(self, person: Person, kind: str, hidden: set[str]) -> list[str]:
        """Other names on the notice: the name in another form (never in a form the
        notice's register records are written in), or an alias."""
        rng = self.rng
        out = []
        if rng.random() < ALT_FORM_RATE:
            forms = [k for k in KINDS[person.nat] if k != kind and k not in hidden]
            forms = [k for k in forms if k not in _CJK_KINDS or has_cjk(person)]
            if forms:
                other = rng.choice(forms)
                out.append(render(person, other, draw_style(rng, person, other)))
        if rng.random() < ALIAS_RATE:
            alias = random_person(rng, person.nat, person.sex)
            if rng.random() < 0.5 and title_safe(alias._replace(family=person.family)):
                alias = alias._replace(family=person.family)
            if kind in _CJK_KINDS and not has_cjk(alias):
                kind = "vietnamese" if person.nat == "VN" else "hangul"
            out.append(render(alias, kind, draw_style(rng, alias, kind)))
        return out

    def _planted(self, notice: int, person: Person, sc: Scenario, shown: Shown) -> Row:
        """A register record of the notice's person, written as the scenario says."""
        rng = self.rng
        v = sc.variant
        if v == "order_swapped":
            name = render(person, sc.register_kind, shown.style, not shown.swapped)
        elif v == "typo":
            name = shown.clean if sc.side == "notice" else typo(shown.name, rng)
        elif v in _SAME_NAME:
            name = shown.name
        else:
            name = render(person, sc.register_kind, draw_style(rng, person, sc.register_kind))
        changed = register_date(person, sc)
        # The register writes the date as registers do (a passport's full date, mostly),
        # whatever the notice knew of it, unless the scenario is about the date.
        dob = changed or date_text(person.year, person.month, person.day, _REGISTER_DOB.pick(rng))
        if rng.random() < DOCUMENT_BLANK:
            document: str | None = ""
        elif shown.doc and rng.random() < SAME_DOCUMENT:
            document = shown.doc
        else:
            document = None
        return self._row(person, name, dob, document, notice, v)

    def _row(
        self, person: Person, name: str, dob: str, doc: str | None, notice: int, variant: str
    ) -> Row:
        rng = self.rng
        source = _SOURCES[person.nat].pick(rng)
        # int(random() * n) rather than randrange: this runs for every row.
        day = self._seen_days[int(rng.random() * _SEEN_DAYS)]
        hour = 8 + int(rng.random() * 9) if source == "resident" else int(rng.random() * 24)
        minute = int(rng.random() * 60)
        return Row(
            name,
            dob,
            "" if rng.random() < 0.01 else person.sex,
            "" if rng.random() < 0.01 else person.nat,
            doc,
            source,
            f"{day}T{hour:02d}:{minute:02d}",
            person.nat,
            notice,
            variant,
        )

    def _distractors(self, notice: int, person: Person, kind: str) -> None:
        """Hard negatives of a notice's person in the register (other people)."""
        rng = self.rng
        for what, rate in DISTRACTOR_RATES:
            if rng.random() >= rate * self.distractor_scale:
                continue
            other = self._distractor(person, what)
            if other is not None:
                sc = scenario_pickers()[(person.nat, kind, True)].pick(rng)
                if sc.variant == "day_month_swapped" and not _swappable(other):
                    other = other._replace(day=_swappable_day(rng, other.month))
                row = self._register_row(other, sc)
                self.special.append(row._replace(notice=notice, variant=what))

    def _distractor(self, person: Person, what: str) -> Person | None:
        rng = self.rng
        if what == "namesake":  # the same name, born 12 years or more before or after
            years = [y for y in range(FIRST_YEAR, LAST_YEAR + 1) if abs(y - person.year) >= 12]
            year = rng.choice(years)
            month = rng.randint(1, 12)
            return person._replace(
                year=year, month=month, day=rng.randint(1, _days_in(year, month))
            )
        sex = person.sex if rng.random() < 0.6 else ("F" if person.sex == "M" else "M")
        for _ in range(20):
            new = random_person(rng, person.nat, sex, has_cjk(person))._replace(
                family=person.family
            )
            if what == "same_family_year":
                new = new._replace(year=person.year)
            else:  # a sibling: shares a generation syllable (or the Vietnamese middle name)
                gap = rng.randint(1, 8) * rng.choice((-1, 1))
                new = new._replace(year=min(LAST_YEAR, max(FIRST_YEAR, person.year + gap)))
                if person.nat == "VN" and person.middle:
                    new = new._replace(middle=person.middle)
                elif len(person.given) == 2 and len(new.given) == 2:
                    k = rng.randrange(2)
                    given = list(new.given)
                    given[k] = person.given[k]
                    new = new._replace(given=tuple(given))
                if new.year == person.year and (new.month, new.day) == (person.month, person.day):
                    continue
            if _sounds_different(person, new) and title_safe(new) and not self._taken(new):
                return new
        return None

    def _register_row(self, person: Person, sc: Scenario) -> Row:
        """A row written as the register side of a scenario is written."""
        rng = self.rng
        kind = sc.register_kind
        if kind in _CJK_KINDS and not has_cjk(person):
            kind = "vietnamese" if person.nat == "VN" else "hangul"
        style = draw_style(rng, person, kind)
        on_register = sc.side == "register"
        name = render(person, kind, style, on_register and sc.variant == "order_swapped")
        if on_register and sc.variant == "typo":
            name = typo(name, rng)
        dob = register_date(person, sc)
        if dob is None:
            dob = date_text(person.year, person.month, person.day, _REGISTER_DOB.pick(rng))
        doc = "" if rng.random() < DOCUMENT_BLANK else None
        return self._row(person, name, dob, doc, -1, "")

    # -- register ------------------------------------------------------------------------

    def random_row(self) -> Row:
        """An unrelated person (redrawn while they share a notice person's identity)."""
        rng = self.rng
        nat, sc = _register_scenarios().pick(rng)
        sex = "M" if rng.random() < 0.55 else "F"
        cjk = sc.register_kind in _CJK_KINDS
        swappable = sc.variant == "day_month_swapped"
        person = random_person(rng, nat, sex, cjk, swappable)
        # a row whose date is written with day and month swapped must not read as a
        # notice person's name and birth date either
        while self._taken(person) or (
            swappable and self._taken(person._replace(month=person.day, day=person.month))
        ):
            self.stats.redrawn += 1
            person = random_person(rng, nat, sex, cjk, swappable)
        return self._register_row(person, sc)

    def _taken(self, person: Person) -> bool:
        """Does the person share a notice person's identity? (A cheap test first: born
        the same day with a family name read the same.)"""
        fam = pools().family[person.nat][person.family]
        y, m, d = person.year, person.month, person.day
        if (fam.vkey, y, m, d) not in self.taken_dates and (
            fam.key,
            y,
            m,
            d,
        ) not in self.taken_dates:
            return False
        return not self.taken.isdisjoint(identity_keys(person))

    def register(self) -> Iterator[tuple[list[str], Row]]:
        """Register rows in file order, with the row each was made from."""
        rng = self.rng
        special = self.special
        if len(special) > self.n_register:  # too small a register: planted rows first
            planted = [r for r in special if r.variant in VARIANTS]
            others = [r for r in special if r.variant not in VARIANTS]
            rng.shuffle(others)
            special = (planted + others)[: self.n_register]
        rng.shuffle(special)
        self.special = special
        self.special_ids = [""] * len(special)
        self.stats.variants = Counter(r.variant for r in special if r.variant in VARIANTS)
        self.stats.planted_records = sum(self.stats.variants.values())
        self.stats.planted_notices = len({r.notice for r in special if r.variant in VARIANTS})
        self.stats.distractors = Counter(r.variant for r in special if r.variant not in VARIANTS)
        positions = rng.sample(range(self.n_register), len(special))
        at = dict(zip(positions, range(len(special)), strict=True))
        width = len(str(self.n_register))
        for i in range(self.n_register):
            record_id = f"R{i + 1:0{width}d}"
            k = at.get(i)
            if k is None:
                row = self.random_row()
            else:
                row = special[k]
                self.special_ids[k] = record_id
            doc = self.docs.number(row.nat, i, rng) if row.document is None else row.document
            values = [record_id, row.name, row.birth_date, row.sex, row.nationality, doc]
            yield [*values, row.source, row.seen_at], row


class Shown(NamedTuple):
    """How a notice showed its person (what planted records are written against)."""

    style: Style
    swapped: bool  # family name last
    clean: str  # the name before a typo
    name: str
    dob: str
    doc: str


def _sounds_different(a: Person, b: Person) -> bool:
    """Some given-name syllable differs in every reading (the two are not homophones)."""
    pool = pools().given[a.nat]
    if len(a.given) != len(b.given):
        return True
    for x, y in zip(a.given, b.given, strict=True):
        sx, sy = pool[x], pool[y]
        if sx.key != sy.key and (not sx.vkey or sx.vkey != sy.vkey):
            return True
    return False


def _write(path: Path, header: Sequence[str], rows: Iterable[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        chunk: list[list[str]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= CHUNK:
                writer.writerows(chunk)
                chunk.clear()
        writer.writerows(chunk)


def generate(
    notices: int,
    register: int,
    seed: int,
    out: Path,
    match_rate: float = 0.3,
    distractor_scale: float = 1.0,
    distractors_file: bool = False,
) -> Stats:
    """Write notices.csv, register.csv and truth.csv (and distractors.csv) into `out`."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    gen = Generator(notices, register, seed, match_rate, distractor_scale)
    _write(out / "notices.csv", NOTICE_HEADER, gen.notices())
    _write(out / "register.csv", REGISTER_HEADER, (values for values, _ in gen.register()))
    truth: list[list[str]] = []
    distractors: list[list[str]] = []
    for row, record_id in zip(gen.special, gen.special_ids, strict=True):
        line = [gen.notice_id(row.notice), record_id, row.variant]
        (truth if row.variant in VARIANTS else distractors).append(line)
    _write(out / "truth.csv", TRUTH_HEADER, sorted(truth))
    if distractors_file:
        _write(out / "distractors.csv", ("notice_id", "record_id", "kind"), sorted(distractors))
    gen.stats.seconds = time.perf_counter() - started
    return gen.stats


# ---------------------------------------------------------------------------------------
# Checking a sample with the matcher


def check_sample(
    out: Path, per_variant: int, seed: int = 0, stream: TextIO = sys.stdout
) -> dict[str, tuple[int, int]]:
    """Compare up to `per_variant` planted pairs of each variant with hoptac.names.compare
    (the notice's name with the record's name); print and return (matched, compared)."""
    from hoptac.names import compare

    rng = random.Random(seed)
    by_variant: dict[str, list[tuple[str, str]]] = defaultdict(list)
    with (out / "truth.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            by_variant[row["variant"]].append((row["notice_id"], row["record_id"]))
    sample = {v: rng.sample(pairs, min(per_variant, len(pairs))) for v, pairs in by_variant.items()}
    wanted_notices = {n for pairs in sample.values() for n, _ in pairs}
    wanted_records = {r for pairs in sample.values() for _, r in pairs}
    notices = _names(out / "notices.csv", "notice_id", wanted_notices)
    records = _names(out / "register.csv", "record_id", wanted_records)
    result: dict[str, tuple[int, int]] = {}
    for variant in VARIANTS:
        pairs = sample.get(variant, [])
        hits = sum(compare(notices[n], records[r]).match for n, r in pairs)
        result[variant] = (hits, len(pairs))
        rate = f"{hits / len(pairs):6.1%}" if pairs else "     -"
        print(f"  {variant:<22}{rate}  ({hits}/{len(pairs)})", file=stream)
    return result


def _names(path: Path, key: str, wanted: set[str]) -> dict[str, str]:
    out = {}
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row[key] in wanted:
                out[row[key]] = row["name"]
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, required=True, help="number of notices")
    parser.add_argument("--register", type=int, required=True, help="number of register rows")
    parser.add_argument("--seed", type=int, required=True, help="random seed")
    parser.add_argument("--out", type=Path, default=Path("."), help="output directory")
    parser.add_argument(
        "--match-rate", type=float, default=0.3, help="share of notices with planted records"
    )
    parser.add_argument(
        "--distractors",
        type=float,
        default=1.0,
        help="scale of the hard-distractor rates (0 for none)",
    )
    parser.add_argument(
        "--write-distractors",
        action="store_true",
        help="also write distractors.csv (notice_id,record_id,kind)",
    )
    parser.add_argument(
        "--check",
        type=int,
        default=0,
        metavar="K",
        help="afterwards, compare K planted pairs per variant with hoptac.names.compare",
    )
    args = parser.parse_args(argv)
    if args.notices < 0 or args.register < 0 or not 0 <= args.match_rate <= 1:
        parser.error("sizes must be >= 0 and --match-rate within [0, 1]")
    stats = generate(
        args.notices,
        args.register,
        args.seed,
        args.out,
        args.match_rate,
        args.distractors,
        args.write_distractors,
    )
    print(
        f"{stats.notices:,} notices ({stats.planted_notices:,} planted), "
        f"{stats.register:,} register rows ({stats.planted_records:,} planted, "
        f"{sum(stats.distractors.values()):,} hard distractors) in {stats.seconds:.1f} s "
        f"-> {args.out}"
    )
    print("  variants: " + ", ".join(f"{v} {stats.variants[v]}" for v in VARIANTS))
    print("  distractors: " + ", ".join(f"{k} {n}" for k, n in sorted(stats.distractors.items())))
    if args.check:
        print(f"hoptac.names.compare on up to {args.check} planted pairs per variant:")
        check_sample(args.out, args.check, args.seed)


if __name__ == "__main__":
    main()
