"""Vietnamese first, English on request. Message ids are the English text."""

from __future__ import annotations

import re
from collections.abc import Callable

from hoptac.types import VOCABULARIES

LANGUAGES = ("vi", "en")

VI: dict[str, str] = {
    # navigation and common words
    "Dashboard": "Tổng quan",
    "Partners": "Đối tác",
    "Agencies": "Cơ quan",
    "Agency": "Cơ quan",
    "Agreements": "Văn bản hợp tác",
    "Agreement": "Văn bản hợp tác",
    "Engagements": "Hoạt động đối ngoại",
    "Engagement": "Hoạt động",
    "Commitments": "Cam kết",
    "Commitment": "Cam kết",
    "People": "Nhân sự",
    "Person": "Cá nhân",
    "Sources": "Nguồn tin",
    "Source": "Nguồn",
    "Log in": "Đăng nhập",
    "Log out": "Đăng xuất",
    "Username": "Tên đăng nhập",
    "Password": "Mật khẩu",
    "Search": "Tìm kiếm",
    "Save": "Lưu",
    "Cancel": "Hủy",
    "Edit": "Sửa",
    "New": "Thêm mới",
    "Details": "Chi tiết",
    "None yet.": "Chưa có.",
    "Nothing found.": "Không tìm thấy.",
    "Back": "Quay lại",
    "Open": "Đang thực hiện",
    "Overdue": "Quá hạn",
    "All": "Tất cả",
    "Signing date unknown": "Chưa rõ ngày ký",
    "International": "Quốc tế",
    "Add person": "Thêm cá nhân",
    "Page not found": "Không tìm thấy trang",
    "Choose at least one host or visitor.": "Chọn ít nhất một bên đón tiếp hoặc bên đến thăm.",
    "Filter": "Lọc",
    "Type to filter the list": "Gõ để lọc danh sách",
    "This account may read but not create or change records.": "Tài khoản chỉ xem: không được thêm hoặc sửa bản ghi.",
    "Only the owning agency's officers may change this record.": "Chỉ cán bộ của đơn vị sở hữu mới được sửa bản ghi này.",
    "The form has expired; reload the page and try again.": "Biểu mẫu đã hết hạn, vui lòng tải lại trang và thử lại.",
    "Records citing this source": "Bản ghi trích từ nguồn này",
    "Signed": "Ngày ký",
    "Parties": "Các bên",
    "Topics": "Lĩnh vực",
    "Kind": "Loại",
    "Title": "Tiêu đề",
    "Status": "Trạng thái",
    "Due": "Thời hạn",
    "Owed by": "Bên thực hiện",
    "Owed to": "Bên nhận",
    "Evidence": "Kết quả / bằng chứng",
    "Description": "Nội dung",
    "Dates": "Thời gian",
    "Start": "Bắt đầu",
    "End": "Kết thúc",
    "Hosts": "Bên đón tiếp",
    "Visitors": "Bên đến thăm",
    "Location": "Địa điểm",
    "Places visited": "Nơi đến thăm",
    "Summary": "Tóm tắt",
    "Participants": "Thành phần tham dự",
    "Role": "Vai trò",
    "Rank": "Cấp bậc",
    "Position": "Chức vụ",
    "Full name": "Họ và tên",
    "Country": "Quốc gia",
    "Level": "Cấp",
    "Parent agency": "Cơ quan cấp trên",
    "Name (Vietnamese)": "Tên tiếng Việt",
    "Name (English)": "Tên tiếng Anh",
    "Name (Chinese)": "Tên tiếng Trung",
    "Name (Korean)": "Tên tiếng Hàn",
    "Abbreviations and other names": "Tên viết tắt, tên gọi khác",
    "one per line": "mỗi dòng một mục",
    "Sharing": "Phạm vi chia sẻ",
    "Quote from the source": "Trích dẫn nguồn",
    "Source quote": "Trích dẫn nguồn",
    "Text excerpt": "Trích nội dung",
    "Related agreement": "Văn bản liên quan",
    "Related engagement": "Hoạt động liên quan",
    "Timeline": "Dòng thời gian",
    "Sub-units": "Đơn vị trực thuộc",
    "Anniversaries": "Kỷ niệm ký kết",
    "anniversary": "năm",
    "Recent engagements": "Hoạt động gần đây",
    "Open commitments": "Cam kết đang thực hiện",
    "Overdue commitments": "Cam kết quá hạn",
    "Add commitment": "Thêm cam kết",
    "Add engagement": "Thêm hoạt động",
    "Add agreement": "Thêm văn bản",
    "Add agency": "Thêm cơ quan",
    "Search people": "Tìm nhân sự",
    "Name, with or without diacritics": "Họ tên, có dấu hoặc không dấu",
    "Search agencies": "Tìm cơ quan",
    "Please correct the highlighted fields.": "Vui lòng sửa các trường được đánh dấu.",
    "Wrong username or password.": "Sai tên đăng nhập hoặc mật khẩu.",
    "Your session has ended; please log in again.": "Phiên làm việc đã hết hạn, vui lòng đăng nhập lại.",
    "Saved.": "Đã lưu.",
    "This record does not exist or is not shared with your agency.": "Bản ghi không tồn tại hoặc không được chia sẻ với đơn vị của bạn.",
    "You may not do this.": "Bạn không có quyền thực hiện thao tác này.",
    "Signed in as": "Đăng nhập:",
    "Language": "Ngôn ngữ",
    "Read the article": "Xem bài viết",
    "Published": "Ngày đăng",
    "Publisher": "Cơ quan báo chí",
    "Cooperation registry": "Sổ theo dõi hợp tác",
    "Police cooperation registry": "Hệ thống theo dõi hợp tác quốc tế và liên tỉnh",
    "Format: YYYY, YYYY-MM, YYYY-MM-DD or DD/MM/YYYY": "Định dạng: YYYY, YYYY-MM, YYYY-MM-DD hoặc DD/MM/YYYY",
    "Hold Ctrl (⌘) to choose several": "Giữ Ctrl (⌘) để chọn nhiều",
    "— none —": "— không —",
    "Someone else changed this record after you opened it. Open it in a new tab to see their change; saving this form again replaces it with yours.": "Một cán bộ khác đã sửa bản ghi này sau khi bạn mở. Hãy mở bản ghi trong thẻ mới để xem thay đổi đó; nếu bấm Lưu lần nữa, nội dung của bạn sẽ thay thế.",
    "(not shared with you)": "(không được chia sẻ với đơn vị bạn)",
    "due": "hạn",
    "years": "năm",
    "Page": "Trang",
    "Previous": "Trước",
    "Next": "Sau",
    "results": "kết quả",
    "Count": "Số lượng",
    "Ref": "Mã tham chiếu",
    "Owner": "Đơn vị sở hữu",
    # enum labels
    "agency": "Chỉ đơn vị sở hữu",
    "all": "Tất cả đơn vị trên hệ thống",
    "ministry": "Bộ",
    "province": "Tỉnh",
    "city": "Thành phố",
    "district": "Quận/huyện",
    "station": "Đồn/trạm",
    "unit": "Đơn vị",
    "international": "Tổ chức quốc tế",
    "mou": "Biên bản ghi nhớ",
    "coordination_program": "Chương trình phối hợp",
    "talks_minutes": "Biên bản hội đàm",
    "other": "Khác",
    "open": "Đang thực hiện",
    "done": "Hoàn thành",
    "overdue": "Quá hạn",
    "dropped": "Hủy bỏ",
    "visit": "Thăm và làm việc",
    "talks": "Hội đàm",
    "conference": "Hội nghị",
    "signing": "Ký kết",
    "joint_campaign": "Cao điểm phối hợp",
    "handover": "Bàn giao",
    "head_of_delegation": "Trưởng đoàn",
    "member": "Thành viên",
    "host": "Chủ trì đón tiếp",
    "drugs": "Ma túy",
    "transnational_crime": "Tội phạm xuyên quốc gia",
    "high_tech_crime": "Tội phạm công nghệ cao",
    "human_trafficking": "Mua bán người",
    "terrorism": "Khủng bố",
    "fraud": "Lừa đảo",
    "money_laundering": "Rửa tiền",
    "citizen_protection": "Bảo hộ công dân",
    "traffic": "Giao thông",
    "immigration": "Xuất nhập cảnh",
    "wanted_persons": "Truy nã",
    "training": "Đào tạo",
    "equipment": "Trang thiết bị",
    "mutual_legal_assistance": "Tương trợ tư pháp",
    "admin": "Quản trị",
    "officer": "Cán bộ",
    "viewer": "Chỉ xem",
    "agreement": "Văn bản",
    "engagement": "Hoạt động",
    "commitment": "Cam kết",
}

EN_LABELS: dict[str, str] = {
    "agency": "Owning agency only",
    "all": "All agencies on this node",
    "agreement": "Agreement",
    "engagement": "Engagement",
    "commitment": "Commitment",
    "mou": "Memorandum of understanding",
    "coordination_program": "Coordination program",
    "talks_minutes": "Minutes of talks",
    "head_of_delegation": "Head of delegation",
    "joint_campaign": "Joint campaign",
    "high_tech_crime": "High-tech crime",
    "mutual_legal_assistance": "Mutual legal assistance",
}

# Field-error messages from validation, rewritten for people: English pattern -> template.
_ERRORS: dict[str, list[tuple[re.Pattern[str], str]]] = {
    "vi": [
        (re.compile(r"^(Field required|Input should be a valid string)$"), "Bắt buộc nhập"),
        (re.compile(r"^String should have at least 1 character$"), "Bắt buộc nhập"),
        (
            re.compile(r"^(\S+) does not exist \(month (\d+) of (\d+) has (\d+) days\)$"),
            r"Ngày \1 không tồn tại (tháng \2/\3 có \4 ngày)",
        ),
        (
            re.compile(r"^'(.*)' is not a date; .*$"),
            r"'\1' không phải là ngày; hãy viết YYYY, YYYY-MM, YYYY-MM-DD hoặc DD/MM/YYYY",
        ),
        (re.compile(r"^month (\d+) does not exist$"), r"Không có tháng \1"),
        (re.compile(r"^String should have at most (\d+) characters$"), r"Tối đa \1 ký tự"),
        (re.compile(r"^(\w+) (\d+) does not exist$"), r"Không tìm thấy bản ghi số \2"),
        (
            re.compile(r"^the end \((.*)\) is before the start \((.*)\)$"),
            r"Ngày kết thúc (\1) trước ngày bắt đầu (\2)",
        ),
        (
            re.compile(r"^name at least one host or visiting agency$"),
            "Chọn ít nhất một bên đón tiếp hoặc bên đến thăm",
        ),
        (re.compile(r"^List should have at least 1 item.*$"), "Chọn ít nhất một mục"),
        (
            re.compile(r"^a country is .*$"),
            "Mã quốc gia gồm 2 chữ cái theo ISO, ví dụ VN, CN, KR (ZZ: tổ chức quốc tế)",
        ),
        (re.compile(r"^agency (\d+) is also a host$"), r"Cơ quan \1 đã là bên đón tiếp"),
        (re.compile(r"^listed twice$"), "Bị lặp lại"),
        (re.compile(r"^already used$"), "Đã được dùng"),
        (
            re.compile(r"^this parent would create a cycle$"),
            "Cơ quan cấp trên không hợp lệ (vòng lặp)",
        ),
    ],
    "en": [
        (re.compile(r"^(Field required|Input should be a valid string)$"), "Required"),
        (re.compile(r"^String should have at least 1 character$"), "Required"),
        (re.compile(r"^List should have at least 1 item.*$"), "Choose at least one"),
        (re.compile(r"^String should have at most (\d+) characters$"), r"At most \1 characters"),
        (re.compile(r"^(\w+) (\d+) does not exist$"), r"No such record (\2)"),
    ],
}

# Enum values shown through `_()`: English shows them humanised ("joint_campaign" ->
# "Joint campaign") unless EN_LABELS has better wording; other keys are English already.
_ENUM_VALUES = frozenset(m.value for enum in VOCABULARIES for m in enum)


def translate_error(message: str, lang: str) -> str:
    for pattern, template in _ERRORS.get(lang, []):
        if pattern.match(message):
            return pattern.sub(template, message)
    return message


def _english(key: str) -> str:
    if key in EN_LABELS:
        return EN_LABELS[key]
    if key in _ENUM_VALUES:
        return key.replace("_", " ").capitalize()
    return key


def translator(lang: str) -> Callable[[str], str]:
    if lang == "vi":
        return lambda key: VI.get(key, key)
    return _english
