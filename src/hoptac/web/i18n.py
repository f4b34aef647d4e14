"""Vietnamese first, English on request. Message ids are the English text."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from hoptac.types import RANKS, VOCABULARIES

LANGUAGES = ("vi", "en")

VI: dict[str, str] = {
    # service levels
    "Service levels": "Mức độ đáp ứng",
    "Download CSV": "Tải CSV",
    "Per partner and quarter of receipt: what we owe them (requests we received) and what they owe us (requests we sent). Hours from receipt; the median and the 90th percentile.": "Theo đối tác và quý tiếp nhận: phần ta phải đáp ứng (đề nghị ta nhận) và phần đối tác phải đáp ứng (đề nghị ta gửi). Số giờ tính từ khi tiếp nhận; trung vị và phân vị 90.",
    "Direction": "Chiều",
    "Quarter": "Quý",
    "Acknowledged (h): median / 90%": "Tiếp nhận (giờ): trung vị / 90%",
    "Answered (h): median / 90%": "Trả lời (giờ): trung vị / 90%",
    "we owe them": "ta phải đáp ứng",
    "they owe us": "đối tác phải đáp ứng",
    # requests for assistance
    "A draft stays on this node until it is sent. Arrest, hand-over and evidence requests are submitted, then validated by an administrator other than the author.": "Bản nháp chỉ nằm trên hệ thống này cho đến khi được gửi. Đề nghị bắt giữ, bàn giao và thu thập chứng cứ phải được trình, rồi do một quản trị viên khác người soạn phê duyệt.",
    "Agreement it rests on": "Văn bản hợp tác làm căn cứ",
    "Deadline extended": "Gia hạn thời hạn",
    "Deadline": "Thời hạn",
    "Deadlines": "Thời hạn",
    "Done. The partner is told with the next delivery.": "Đã thực hiện. Đối tác được thông báo ở lần chuyển tiếp theo.",
    "Extend a deadline": "Gia hạn thời hạn",
    "Extend": "Gia hạn",
    "Facts and what is asked": "Nội dung vụ việc và yêu cầu",
    "Files": "Tệp đính kèm",
    "H3: the restrictions": "H3: các hạn chế",
    "History": "Lịch sử xử lý",
    "Legal basis": "Căn cứ pháp lý",
    "Measures asked, one a line": "Biện pháp đề nghị, mỗi dòng một biện pháp",
    "Measures": "Biện pháp đề nghị",
    "New due time (UTC)": "Thời hạn mới (UTC)",
    "New request": "Đề nghị mới",
    "Next deadline": "Thời hạn gần nhất",
    "Next steps": "Bước tiếp theo",
    "No request here yet.": "Chưa có đề nghị nào.",
    "Or its legal basis, as text": "Hoặc ghi căn cứ pháp lý",
    "Our reference (optional)": "Số hiệu của ta (không bắt buộc)",
    "P1: acknowledge within 1 hour, answer within 8 hours. P2: 4 hours and 3 days. P3: 24 hours and 7 days.": "P1: tiếp nhận trong 1 giờ, trả lời trong 8 giờ. P2: 4 giờ và 3 ngày. P3: 24 giờ và 7 ngày.",
    "Partner's reference": "Số hiệu của đối tác",
    "Persons concerned": "Đối tượng liên quan",
    "Persons concerned, one a line: name | birth | nationality | document": "Đối tượng liên quan, mỗi dòng một người: họ tên | năm sinh | quốc tịch | số giấy tờ",
    "Request id": "Mã đề nghị",
    "Request": "Đề nghị",
    "Requests for assistance": "Đề nghị tương trợ",
    "Requests": "Tương trợ",
    "Save draft": "Lưu bản nháp",
    "The draft is saved. Nothing has left the node yet.": "Đã lưu bản nháp. Chưa có gì được gửi đi.",
    "What is asked": "Nội dung đề nghị",
    "Why P1 (required for P1)": "Lý do khẩn cấp (bắt buộc với P1)",
    "clock paused": "tạm dừng tính giờ",
    "due soon": "sắp đến hạn",
    "hit": "kết quả sàng lọc",
    "inside our agency: not sent to the partner": "nội bộ đơn vị: không gửi cho đối tác",
    "late": "trễ hạn",
    "met": "đã thực hiện",
    "needs validation": "cần phê duyệt",
    "not started": "chưa bắt đầu",
    "notice": "thông báo truy nã",
    "reason": "Lý do",
    "text": "Nội dung",
    "question": "Câu hỏi",
    "new_date": "Ngày mới",
    "reason_code": "Lý do từ chối",
    "they ask": "đối tác đề nghị",
    "urgent for both sides": "khẩn cấp với cả hai bên",
    "was due": "đến hạn lúc",
    "we ask": "ta đề nghị",
    "deadline": "Thời hạn",
    "partner_ref": "Số hiệu của đối tác",
    # navigation and common words
    # audit log
    "Audit log": "Nhật ký kiểm tra",
    "Every sign-in, read and change of your agency's users, and of the node itself. Rows are hash-chained: `hoptac audit verify` names the first row that was changed, removed or moved.": "Mọi lần đăng nhập, xem và thay đổi dữ liệu của người dùng thuộc đơn vị anh/chị và của chính hệ thống. Các dòng được nối chuỗi băm: lệnh `hoptac audit verify` chỉ ra dòng đầu tiên bị sửa, xoá hoặc đổi chỗ.",
    "Event": "Sự kiện",
    "User": "Người dùng",
    "Outcome": "Kết quả",
    "From": "Từ",
    "To": "Đến",
    "any": "Tất cả",
    "Export CSV": "Xuất CSV",
    "Time (UTC)": "Thời gian (UTC)",
    "Record": "Bản ghi",
    "Detail": "Chi tiết",
    "ok": "thành công",
    "denied": "bị từ chối",
    "error": "lỗi",
    "Only an administrator may read the audit log.": "Chỉ quản trị viên được xem nhật ký kiểm tra.",
    # the system-use notice at login (CJIS AC-8)
    "I have read the notice above and accept its conditions.": "Tôi đã đọc thông báo trên và chấp nhận các điều kiện của thông báo.",
    "Read the system-use notice and tick the box to log in.": "Hãy đọc thông báo sử dụng hệ thống và đánh dấu vào ô xác nhận để đăng nhập.",
    # one-time password changed at the first login
    "Choose your password": "Đặt mật khẩu của anh/chị",
    "You signed in with a one-time password. Choose your own before anything else opens: at least 8 characters (a phrase of several words is long and easy to remember), not a common password, not your username.": "Anh/chị đã đăng nhập bằng mật khẩu dùng một lần. Hãy đặt mật khẩu riêng trước khi dùng các chức năng khác: ít nhất 8 ký tự (một cụm nhiều từ vừa dài vừa dễ nhớ), không phải mật khẩu phổ biến, không trùng tên đăng nhập.",
    "One-time password": "Mật khẩu dùng một lần",
    "New password": "Mật khẩu mới",
    "New password again": "Nhập lại mật khẩu mới",
    "Save the password": "Lưu mật khẩu",
    "The current password is not right.": "Mật khẩu hiện tại không đúng.",
    "the two new passwords differ": "Hai mật khẩu mới không giống nhau.",
    "the new password must differ from the one it replaces": "Mật khẩu mới phải khác mật khẩu cũ.",
    "the password must have at least 8 characters": "Mật khẩu phải có ít nhất 8 ký tự.",
    "the password must have at most 1024 characters": "Mật khẩu chỉ được dài tối đa 1024 ký tự.",
    "this password is on a list of commonly used passwords; choose another (a phrase of several words is long and easy to remember)": "Mật khẩu này nằm trong danh sách mật khẩu thường bị dùng; hãy chọn mật khẩu khác (một cụm nhiều từ vừa dài vừa dễ nhớ).",
    "the password must not be the username": "Mật khẩu không được trùng tên đăng nhập.",
    # second step (TOTP)
    "Second step": "Bước xác thực thứ hai",
    "Set up your authenticator": "Cài đặt ứng dụng xác thực",
    "Your role needs a second step at every login. Scan this code with an authenticator app (FreeOTP, Aegis, Google or Microsoft Authenticator), then type the six digits it shows.": "Vai trò của anh/chị cần thêm một bước xác thực mỗi lần đăng nhập. Quét mã này bằng ứng dụng xác thực (FreeOTP, Aegis, Google hoặc Microsoft Authenticator), rồi nhập sáu chữ số ứng dụng hiển thị.",
    "Or type this key into the app:": "Hoặc nhập khoá này vào ứng dụng:",
    "Type the six digits your authenticator app shows for hoptac, or one of your recovery codes.": "Nhập sáu chữ số ứng dụng xác thực hiển thị cho hoptac, hoặc một mã khôi phục.",
    "One-time code": "Mã dùng một lần",
    "Continue": "Tiếp tục",
    "That code is not right. Type the code your app shows now.": "Mã không đúng. Hãy nhập mã ứng dụng đang hiển thị.",
    "Recovery codes": "Mã khôi phục",
    "If you lose your phone, each of these codes lets you in once instead of the six digits. Keep them somewhere safe: they are shown only now.": "Nếu mất điện thoại, mỗi mã dưới đây cho phép đăng nhập một lần thay cho sáu chữ số. Hãy cất giữ cẩn thận: các mã chỉ hiển thị lúc này.",
    "I have kept them — continue": "Tôi đã lưu lại — tiếp tục",
    # ingest
    "Ingest": "Nhập bài viết",
    "Ingest an article": "Nhập bài viết",
    "Paste a Vietnamese article or upload it as a .txt file. Its facts are read and shown for review; nothing is stored until you accept them.": "Dán nội dung bài viết tiếng Việt hoặc tải lên tệp .txt. Các thông tin được đọc ra và hiển thị để rà soát; chưa lưu gì cho đến khi bạn chấp nhận.",
    "Nothing was stored.": "Chưa lưu gì.",
    "Article text": "Nội dung bài viết",
    "…or a text file (UTF-8, .txt)": "…hoặc tệp văn bản (UTF-8, .txt)",
    "A file replaces the pasted text.": "Nếu chọn tệp, tệp được dùng thay cho nội dung đã dán.",
    "URL": "Địa chỉ (URL)",
    "Optional: they replace the url, title and date lines at the top of the article. The date is also the reference for dates like “on the 9th”.": "Không bắt buộc: thay cho các dòng url, title, date ở đầu bài. Ngày đăng cũng là mốc để hiểu các ngày như “ngày 9”.",
    "Read and review": "Đọc và rà soát",
    "Review an article": "Rà soát bài viết",
    "In this article": "Trong bài viết",
    "Legend": "Chú giải",
    "Engagement and dates": "Hoạt động và thời gian",
    "in the text": "xem trong bài",
    "— do not record —": "— không ghi nhận —",
    "No engagement was found in this article.": "Không tìm thấy hoạt động nào trong bài.",
    "drop": "bỏ",
    "None found.": "Không tìm thấy.",
    "A changed agency is changed wherever it was read; a dropped one leaves the engagement's sides and the agreements' parties.": "Cơ quan được sửa sẽ được sửa ở mọi chỗ đã đọc ra; cơ quan bị bỏ được loại khỏi các bên của hoạt động và của văn bản.",
    "Accept and store": "Chấp nhận và lưu",
    "Article stored": "Đã lưu bài viết",
    "created": "tạo mới",
    "merged": "gộp",
    "Open the source": "Mở nguồn tin",
    "Records read from this article": "Bản ghi đọc từ bài viết này",
    "passage": "đoạn trích",
    "Passages": "Đoạn trích",
    "Ingest another article": "Nhập bài viết khác",
    "the text": "nội dung",
    "A commitment needs the agency that owes it (or drop it).": "Cam kết cần có cơ quan thực hiện (hoặc bỏ cam kết).",
    "An agreement needs at least one party (or drop it).": "Văn bản cần có ít nhất một bên (hoặc bỏ văn bản).",
    "The article was read differently this time; review it again.": "Lần đọc này cho kết quả khác; hãy rà soát lại.",
    "agreement_signing": "Ký kết văn bản",
    "joint_operation": "Phối hợp đấu tranh",
    "Passages in the text": "Các đoạn trích trong bài",
    "Not read: menus, bylines": "Không đọc: menu, ghi nguồn",
    "Read from": "Đọc từ",
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
    "This account may not read sources.": "Tài khoản này không được xem nguồn tin.",
    "Your account": "Tài khoản của bạn",
    "Accounts": "Tài khoản",
    "The accounts of your agency. Every step here ends the account's sessions where it must and is written to the audit log under your name.": "Các tài khoản của đơn vị bạn. Mỗi thao tác ở đây kết thúc các phiên của tài khoản khi cần và được ghi vào nhật ký kiểm toán dưới tên bạn.",
    "One-time password for": "Mật khẩu dùng một lần cho",
    "Give it to its user by a safe channel; it is shown only now and must be changed at the first sign-in.": "Hãy trao cho người dùng qua kênh an toàn; mật khẩu chỉ hiện lần này và phải được đổi ở lần đăng nhập đầu tiên.",
    "Done": "Đã thực hiện",
    "step unlock": "mở khóa",
    "step disable": "vô hiệu hóa",
    "step enable": "kích hoạt lại",
    "step role": "đổi vai trò",
    "step reset-password": "cấp mật khẩu dùng một lần",
    "step reset-second-factor": "đặt lại bước xác thực thứ hai",
    "State": "Trạng thái",
    "Actions": "Thao tác",
    "disabled": "đã vô hiệu hóa",
    "unused 90 days": "không dùng 90 ngày",
    "by an administrator": "do quản trị viên",
    "locked": "bị khóa",
    "account active": "đang hoạt động",
    "one-time password pending": "chờ đổi mật khẩu dùng một lần",
    "enrolled": "đã đăng ký",
    "your account": "tài khoản của bạn",
    "Unlock": "Mở khóa",
    "Disable": "Vô hiệu hóa",
    "Enable": "Kích hoạt lại",
    "New one-time password": "Cấp mật khẩu dùng một lần",
    "New second step (lost phone)": "Đặt lại bước thứ hai (mất điện thoại)",
    "Change role": "Đổi vai trò",
    "Only an administrator manages accounts.": "Chỉ quản trị viên mới quản lý tài khoản.",
    "you cannot change your own account here": "Không thể tự thay đổi tài khoản của mình ở đây.",
    "Authenticator app, since": "Ứng dụng xác thực, từ",
    "Last sign-in": "Lần đăng nhập gần nhất",
    "Sign out everywhere": "Đăng xuất khỏi mọi thiết bị",
    "Ends every session of this account on every device, and every API token. Use it when a device is lost or a token may have leaked.": "Kết thúc mọi phiên đăng nhập của tài khoản này trên mọi thiết bị và mọi mã truy cập API. Dùng khi mất thiết bị hoặc nghi lộ mã truy cập.",
    "Shared with (partner agencies)": "Chia sẻ với (đơn vị đối tác)",
    "With sharing: the owning agency and the partners named": "Khi phạm vi là: đơn vị sở hữu và các đối tác được chọn",
    "sharing 'partners' needs at least one agency in shared_with": "Phạm vi chia sẻ với đối tác: hãy chọn ít nhất một đơn vị đối tác.",
    "shared_with is only for sharing 'partners'": "Chỉ chọn đơn vị đối tác khi phạm vi là chia sẻ với đối tác.",
    "the owning agency always reads its records: name other agencies": "Đơn vị sở hữu luôn xem được bản ghi của mình: hãy chọn đơn vị khác.",
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
    "partners": "Đơn vị sở hữu và các đối tác được chọn",
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
    # screening
    "Notices": "Truy nã",
    "Notice": "Thông báo truy nã",
    "Registers": "Sổ đăng ký",
    "Register": "Sổ đăng ký",
    "Screening": "Sàng lọc",
    "Screenings": "Các lần sàng lọc",
    "A name in any script: 王健, Wang Jian, Vương Kiện": "Họ tên bằng chữ bất kỳ: 王健, Wang Jian, Vương Kiện",
    "As the notice writes it, in any script: 王健, Wang Jian, Vương Kiện": "Như thông báo ghi, bằng chữ bất kỳ: 王健, Wang Jian, Vương Kiện",
    "A pair whose probability of being one person is at least this is a hit (between {low} and {high}; {default} by default).": "Cặp có xác suất là cùng một người từ mức này trở lên là kết quả trùng khớp (từ {low} đến {high}; mặc định {default}).",
    "Add notice": "Thêm truy nã",
    "Add register": "Thêm sổ",
    "All screenings": "Tất cả các lần sàng lọc",
    "At most": "Tối đa",
    "Back to the notices": "Về danh sách truy nã",
    "Back to the register": "Về sổ đăng ký",
    "CSV file (UTF-8)": "Tệp CSV (UTF-8)",
    "Change the status": "Đổi trạng thái",
    "Charges": "Tội danh",
    "Columns": "Các cột",
    "Confirm: same person": "Xác nhận: cùng một người",
    "Confirmed hits": "Kết quả đã xác nhận",
    "Date of birth": "Ngày sinh",
    "Decision": "Kết luận",
    "Document number": "Số giấy tờ",
    "Engine": "Bộ máy",
    "Error": "Lỗi",
    "Finished": "Kết thúc",
    "Hit": "Kết quả trùng khớp",
    "Hits": "Kết quả trùng khớp",
    "ISO: VN, CN, KR, LA, KH": "Mã ISO: VN, CN, KR, LA, KH",
    "Import": "Nhập",
    "Import CSV": "Nhập CSV",
    "Import another file": "Nhập tệp khác",
    "Import notices (CSV)": "Nhập thông báo truy nã (CSV)",
    "Import records (CSV)": "Nhập bản ghi (CSV)",
    "Issuing agency": "Cơ quan ra thông báo",
    "Line": "Dòng",
    "Many people share these names; the best of the closest are shown. Add more of the name to narrow it.": "Nhiều người có tên tương tự; chỉ hiện những kết quả gần nhất. Hãy nhập đầy đủ họ tên hơn để thu hẹp.",
    "Name": "Tên",
    "Nationality": "Quốc tịch",
    "Next hit": "Kết quả tiếp theo",
    "No register yet.": "Chưa có sổ đăng ký.",
    "Nothing to review.": "Không còn kết quả chờ xem xét.",
    "Notice number": "Số thông báo",
    "Other names": "Tên khác",
    "Other names and spellings": "Tên khác, cách viết khác",
    "Progress": "Tiến độ",
    "Reason": "Lý do",
    "Recent screenings": "Các lần sàng lọc gần đây",
    "Record id": "Mã bản ghi",
    "Records": "Bản ghi",
    "Register record": "Bản ghi sổ đăng ký",
    "Reject: not the same person": "Bác bỏ: không phải cùng một người",
    "Review queue": "Hàng chờ xem xét",
    "Review the hits": "Xem xét các kết quả",
    "Rows already imported (same id) are updated.": "Dòng đã nhập trước đó (cùng mã) sẽ được cập nhật.",
    "Rows refused": "Các dòng bị từ chối",
    "Score": "Điểm",
    "Screen a register against the active notices": "Sàng lọc một sổ đăng ký với các thông báo truy nã còn hiệu lực",
    "Screen this register": "Sàng lọc sổ này",
    "Search a person": "Tìm người",
    "Search a person in registers and notices": "Tìm người trong sổ đăng ký và thông báo truy nã",
    "Search notices": "Tìm thông báo truy nã",
    "Seen": "Ghi nhận",
    "Sex": "Giới tính",
    "Sharing of new notices": "Phạm vi chia sẻ của thông báo mới",
    "Someone else changed this notice after you opened it; here it is as it is now.": "Một cán bộ khác đã sửa thông báo này sau khi bạn mở; dưới đây là nội dung hiện tại.",
    "Start screening": "Bắt đầu sàng lọc",
    "Started by": "Người thực hiện",
    "This page updates itself while the screening runs.": "Trang tự cập nhật trong khi sàng lọc.",
    "Threshold": "Ngưỡng",
    "What you checked: document, photo, birth date, a call to the partner agency…": "Những gì đã kiểm tra: giấy tờ, ảnh, ngày sinh, trao đổi với cơ quan đối tác…",
    "Where": "Ở đâu",
    "Why the engine matched them": "Vì sao hệ thống ghép cặp",
    "Write the reason for your decision.": "Hãy ghi lý do của kết luận.",
    "added": "thêm mới",
    "and": "và",
    "decided earlier": "đã kết luận trước đó",
    "decided in an earlier screening": "đã kết luận ở lần sàng lọc trước",
    "female": "Nữ",
    "male": "Nam",
    "hits": "kết quả",
    "hits of this notice wait for review": "kết quả của thông báo này đang chờ xem xét",
    "more": "dòng nữa",
    "new": "mới",
    "notices": "thông báo",
    "python: in the app's process; duckdb: for large registers. Both give the same hits.": "python: chạy trong ứng dụng; duckdb: cho sổ lớn. Hai bộ máy cho cùng kết quả.",
    "records": "bản ghi",
    "refused": "bị từ chối",
    "the server stopped before the job ended; start it again": "máy chủ dừng trước khi sàng lọc xong; hãy chạy lại",
    "the server stopped while the job ran; start it again": "máy chủ dừng trong khi đang sàng lọc; hãy chạy lại",
    "to review": "chờ xem xét",
    "updated": "cập nhật",
    "wanted": "Truy nã",
    "missing": "Mất tích",
    "active": "Còn hiệu lực",
    "withdrawn": "Đã thu hồi",
    "executed": "Đã bắt giữ / tìm thấy",
    "resident": "Người nước ngoài cư trú",
    "arrival": "Nhập cảnh",
    "hotel": "Lưu trú",
    "queued": "Đang chờ",
    "running": "Đang chạy",
    "failed": "Lỗi",
    "interrupted": "Bị gián đoạn",
    "pending": "Chờ xem xét",
    "confirmed": "Đã xác nhận",
    "rejected": "Đã bác bỏ",
    # hotline
    "Hotline": "Đường dây nóng",
    "Hotline: unread messages": "Đường dây nóng: tin chưa đọc",
    "Acknowledge": "Đã nắm",
    "Acknowledged": "Đã xác nhận nắm tin",
    "An administrator creates it on the server with:": "Quản trị viên tạo định danh trên máy chủ bằng lệnh:",
    "Ho Chi Minh City Police": "Công an TP.HCM",
    "All open commitments": "Tất cả cam kết đang thực hiện",
    "All overdue commitments": "Tất cả cam kết quá hạn",
    "this node's id, short and unique among the partners": "mã của máy chủ này, ngắn gọn, không trùng với đối tác nào",
    "the agency that runs this node": "đơn vị vận hành máy chủ này",
    "the address partners reach this node at": "địa chỉ để đối tác kết nối tới máy chủ này",
    "the agency in this registry (id, ref or name) whose officers use the hotline": "đơn vị trong hệ thống (mã số, mã tham chiếu hoặc tên) có cán bộ sử dụng đường dây nóng",
    "Answered by the partner": "Đối tác đã trả lời",
    "Attachment": "Tệp đính kèm",
    "Attachments": "Tệp đính kèm",
    "Cannot be judged": "Không đánh giá được",
    "Choose the files again if the form comes back with an error.": "Nếu biểu mẫu báo lỗi, hãy chọn lại tệp.",
    "Delivered to the partner": "Đã đến máy chủ đối tác",
    "Forward": "Chuyển tiếp",
    "Grant permission": "Cho phép chuyển tiếp",
    "Grantee: a partner's node id, or export": "Bên được phép: mã máy chủ của một đối tác, hoặc export (xuất hồ sơ)",
    "H2: only to partners the provider has permitted.": "H2: chỉ chuyển cho đối tác mà bên cung cấp đã cho phép.",
    "Handling code": "Mã xử lý",
    "Handling restrictions (H3)": "Hạn chế sử dụng (H3)",
    "Information": "Thông tin",
    "Information accuracy": "Độ chính xác của thông tin",
    "Known personally to the source, not to the officer passing it on": "Nguồn biết trực tiếp, cán bộ chuyển tin không biết trực tiếp",
    "Known to be true without reservation": "Chắc chắn đúng",
    "Last message": "Tin gần nhất",
    "Let the partner pass this H2 message on to another node, or export it.": "Cho phép đối tác chuyển tin H2 này cho một máy chủ khác, hoặc xuất ra hồ sơ.",
    "Message": "Nội dung",
    "New message": "Soạn tin mới",
    "New message to": "Soạn tin mới gửi",
    "No messages with this partner yet.": "Chưa có tin nào với đối tác này.",
    "No messages yet": "Chưa có tin",
    "No partner node is pinned yet. An administrator pins one with": "Chưa có máy chủ đối tác nào. Quản trị viên thêm đối tác bằng lệnh",
    "Not known personally to the source, but corroborated": "Nguồn không biết trực tiếp nhưng đã được kiểm chứng",
    "Not read yet": "Chưa đọc",
    "Not to be disseminated without the provider's permission": "Không được cung cấp cho bên khác khi chưa có sự đồng ý của bên cung cấp",
    "Not to be used in judicial proceedings without the provider's permission": "Không được sử dụng trong tố tụng khi chưa có sự đồng ý của bên cung cấp",
    "Not usually reliable": "Thường không đáng tin cậy",
    "Note above the forwarded text": "Ghi chú phía trên nội dung chuyển tiếp",
    "Other restrictions, written in the note": "Hạn chế khác, ghi trong phần ghi chú",
    "Our last message": "Tin gần nhất của bên mình",
    "Partner": "Đối tác",
    "Priority": "Độ khẩn",
    "Read": "Đã đọc",
    "Read by the partner": "Đối tác đã đọc",
    "Refused by the partner's node": "Máy chủ đối tác từ chối",
    "Reliability cannot be assessed": "Không đánh giá được độ tin cậy",
    "Reliable: no doubt about the source": "Tin cậy: không nghi ngờ về nguồn",
    "Reply": "Trả lời",
    "Required with H3: write out the restrictions the partner must respect.": "Bắt buộc với H3: ghi rõ các hạn chế đối tác phải tuân thủ.",
    "Send": "Gửi",
    "Send reply": "Gửi trả lời",
    "Sent, not yet confirmed": "Đã gửi, chưa có xác nhận",
    "Source reliability": "Độ tin cậy của nguồn",
    "Subject": "Tiêu đề",
    "The message is queued; its status below shows when the partner has it.": "Tin đã vào hàng gửi; trạng thái bên dưới cho biết khi đối tác nhận được.",
    "The permission is queued for the partner.": "Thông báo cho phép đã vào hàng gửi tới đối tác.",
    "This node has no exchange identity yet, so there is no hotline.": "Máy chủ này chưa có định danh trao đổi nên chưa có đường dây nóng.",
    "Unread": "Chưa đọc",
    "Use only for preventing and combating crime": "Chỉ sử dụng cho mục đích phòng, chống tội phạm",
    "Usually reliable": "Thường đáng tin cậy",
    "Waiting to be sent": "Đang chờ gửi",
    "What the codes mean": "Giải thích các mã",
    "fingerprint": "dấu vân tay khóa",
    "from": "từ",
    "in all": "tổng cộng",
    "inactive": "ngừng hoạt động",
    "messages": "tin",
    "then pins each partner's card with": "rồi ghim thẻ của từng đối tác bằng lệnh",
    "to": "gửi",
    "unread": "chưa đọc",
    "urgent, not acknowledged": "khẩn, chưa xác nhận đã nắm",
    "routine": "Thường",
    "urgent": "Khẩn",
    "flash": "Hỏa tốc",
}

EN_LABELS: dict[str, str] = {
    # the details of a request's step, by their field names
    "reason": "Reason",
    "question": "Question",
    "text": "Text",
    "new_date": "New date",
    "reason_code": "Reason for refusal",
    "deadline": "Deadline",
    "due": "Due",
    "partner_ref": "Partner's reference",
    "account active": "active",
    "step unlock": "unlocked",
    "step disable": "disabled",
    "step enable": "enabled",
    "step role": "role changed",
    "step reset-password": "one-time password issued",
    "step reset-second-factor": "second step reset",
    "agreement_signing": "Agreement signing",
    "joint_operation": "Joint operation",
    "routine": "Routine",
    "urgent": "Urgent",
    "flash": "Flash",
    "executed": "Executed (arrested or found)",
    "resident": "Foreign residents",
    "arrival": "Arrivals",
    "hotel": "Hotel stays",
    "agency": "Owning agency only",
    "partners": "Owning agency and the partners named",
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
        # ingest: the article reader's refusals
        (
            re.compile(r"^(.*): empty, there is no article to read$"),
            r"\1: trống, không có bài viết để đọc",
        ),
        (
            re.compile(r"^(.*): a binary file, not a text article$"),
            r"\1: tệp nhị phân, không phải bài viết dạng văn bản",
        ),
        (
            re.compile(r"^(.*): not UTF-8 text \(byte (\d+)\); .*$"),
            r"\1: không phải văn bản UTF-8 (byte thứ \2); hãy lưu bài viết dạng UTF-8",
        ),
        (
            re.compile(r"^(.*): ([\d,]+) bytes is too large for an article \(at most ([\d,]+)\)$"),
            r"\1: \2 byte, quá lớn đối với một bài viết (tối đa \3)",
        ),
        (re.compile(r"^(.*): no words to read$"), r"\1: không có chữ nào để đọc"),
        (
            re.compile(r"^(.*): this does not read as Vietnamese \((\d+)% .*$"),
            r"\1: không phải tiếng Việt (chỉ \2% là từ tiếng Việt thông dụng); chỉ nhập được bài viết, báo cáo tiếng Việt",
        ),
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
        (
            re.compile(r"^(.*) is not a CSV file; .*$"),
            r"\1 không phải tệp CSV; hãy lưu bảng tính dạng CSV UTF-8 (.csv) rồi tải lên",
        ),
        (
            re.compile(r"^(.*) is not UTF-8 text \(byte (\d+)\); .*$"),
            r"\1 không phải văn bản UTF-8 (byte thứ \2); hãy lưu lại dạng CSV UTF-8",
        ),
        (
            re.compile(r"^(.*) holds a NUL character on line (\d+), .*$"),
            r"\1 có ký tự NUL ở dòng \2, không trường nào chấp nhận; hãy xóa rồi tải lên lại",
        ),
        (
            re.compile(r"^A text contains a NUL character \(U\+0000\), .*$"),
            "Dữ liệu có ký tự NUL (U+0000), không trường nào chấp nhận ký tự này.",
        ),
        (
            re.compile(r"^(.*) is larger than (\d+ [KM]B); .*$"),
            r"\1 lớn hơn \2; hãy chia thành nhiều tệp",
        ),
        (re.compile(r"^choose a CSV file to upload$"), "Hãy chọn tệp CSV để tải lên"),
        (
            re.compile(r"^(.*): missing column\(s\) (.*); the header must have (.*)$"),
            r"\1: thiếu cột \2; dòng tiêu đề phải có \3",
        ),
        (re.compile(r"^use one of: (.*)$"), r"Chọn một trong: \1"),
        # CSV row errors (hoptac.screening.records)
        (re.compile(r"^name is empty$"), "Thiếu họ tên"),
        (re.compile(r"^(\w+) is empty$"), r"Thiếu \1"),
        (re.compile(r"^(.*) is empty$"), r"\1 không có nội dung"),
        (
            re.compile(r"^(\w+): String should have at most (\d+) characters$"),
            r"\1: tối đa \2 ký tự",
        ),
        (re.compile(r"^sex '(.*)' is not M or F$"), r"Giới tính '\1' không phải M hoặc F"),
        (
            re.compile(r"^nationality '(.*)' is not a two-letter country code.*$"),
            r"Quốc tịch '\1' không phải mã nước 2 chữ cái (VN, CN, KR)",
        ),
        (
            re.compile(r"^source '(.*)' is not one of (.*)$"),
            r"Nguồn '\1' không thuộc: \2",
        ),
        (
            re.compile(r"^(\w+) (.*) appears twice; the first is kept$"),
            r"\1 \2 bị lặp; giữ dòng đầu tiên",
        ),
        (re.compile(r"^(.*) is longer than (\d+) characters$"), r"\1 dài quá \2 ký tự"),
        (re.compile(r"^year (\d+) is outside (.*)$"), r"Năm \1 nằm ngoài khoảng \2"),
        (
            re.compile(r"^a threshold is between (.*) and (.*)$"),
            r"Ngưỡng phải từ \1 đến \2",
        ),
        (
            re.compile(r"^this hit was already (confirmed|rejected) by (.*)$"),
            r"Kết quả này đã được \2 kết luận trước đó",
        ),
        # hotline (hoptac.exchange.hotline)
        (re.compile(r"^1 to ([\d,]+) characters$"), r"Từ 1 đến \1 ký tự"),
        (re.compile(r"^one of (.*)$"), r"Chọn một trong: \1"),
        (re.compile(r"^H3 needs the restrictions written out$"), "H3: hãy ghi rõ các hạn chế"),
        (re.compile(r"^at most (\d+) KiB in all$"), r"Tổng cộng tối đa \1 KiB"),
        (
            re.compile(r"^no message of this partner with that id$"),
            "Không có tin nào của đối tác này với mã đó",
        ),
        (
            re.compile(r"^H2: (.*) has not permitted passing this message on to (.*)$"),
            r"H2: \1 chưa cho phép chuyển tin này cho \2. Hãy đề nghị bên cung cấp cho phép.",
        ),
        (
            re.compile(r"^this message came from that partner$"),
            "Tin này do chính đối tác đó gửi đến",
        ),
        (
            re.compile(r"^only the provider of a message may permit its dissemination$"),
            "Chỉ bên cung cấp tin mới được cho phép chuyển tiếp",
        ),
        (
            re.compile(r"^grantee is a node id or 'export'$"),
            "Bên được phép là mã máy chủ đối tác hoặc 'export'",
        ),
        (re.compile(r"^choose a partner$"), "Hãy chọn đối tác"),
        (re.compile(r"^the message cannot be sent$"), "Chưa gửi được tin"),
    ],
    "en": [
        (re.compile(r"^(Field required|Input should be a valid string)$"), "Required"),
        (re.compile(r"^String should have at least 1 character$"), "Required"),
        (re.compile(r"^List should have at least 1 item.*$"), "Choose at least one"),
        (re.compile(r"^String should have at most (\d+) characters$"), r"At most \1 characters"),
        (re.compile(r"^(\w+) (\d+) does not exist$"), r"No such record (\2)"),
    ],
}

# The screening engine's reasons (hoptac.screening.score, hoptac.names explanations), phrase
# by phrase, in order: longer phrases first. English pages show them as written.
_REASONS_VI: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), t)
    for p, t in [
        (r"^name ([\d.]+) \(", r"họ tên \1 ("),
        (r"\bsame name\b", "cùng họ tên"),
        (r"\bvariant of the name\b", "biến thể của họ tên"),
        (r"\bclose name\b", "họ tên gần giống"),
        (r"\bsimilar name\b", "họ tên tương tự"),
        (r"the only record this close", "bản ghi duy nhất giống đến mức này"),
        (r"1 of (\d+) records this close", r"1 trong \1 bản ghi giống đến mức này"),
        (r"same birth date with day and month swapped", "trùng ngày sinh, đảo ngày và tháng"),
        (r"same birth date (\S+)", r"trùng ngày sinh \1"),
        (
            r"born (\d{4}) \(only the year is known on one side\)",
            r"sinh năm \1 (một bên chỉ có năm)",
        ),
        (r"born (\S+) / (\S+), a year apart", r"sinh \1 / \2, lệch một năm"),
        (r"born (\S+) / (\S+)", r"sinh \1 / \2"),
        (r"born (\d{4}-\d\d)", r"cùng tháng sinh \1"),
        (r"same document number (\S+)", r"trùng số giấy tờ \1"),
        (r"different document numbers (\S+) / (\S+)", r"khác số giấy tờ \1 / \2"),
        (r"\bsex ([MF]) / ([MF])", r"giới tính \1 / \2"),
        (r"\bsex ([MF])\b", r"cùng giới tính \1"),
        (r"nationality (\w\w) / (\w\w)", r"quốc tịch \1 / \2"),
        (r"same letters, different diacritics", "cùng chữ, khác dấu"),
        (r"same, diacritics dropped", "giống, bỏ dấu"),
        (r"same character", "cùng chữ Hán"),
        (r"\(same\)", "(giống)"),
        (r"Sino-Vietnamese reading of", "âm Hán Việt của"),
        (r"pinyin of", "pinyin của"),
        (r"Korean spelling variant", "biến thể cách viết tiếng Hàn"),
        (r"Korean reading, romanized", "âm Hàn, viết Latin"),
        (r"Korean reading", "âm Hàn"),
        (r"initial-sound variant", "biến thể âm đầu"),
        (r"one letter differs, both real syllables", "khác một chữ cái, cả hai là âm tiết thật"),
        (r"one letter differs", "khác một chữ cái"),
        (r"\(variant\)", "(dị thể)"),
        (r"\bunmatched:", "không khớp:"),
        (r"\(via ", "(qua "),
    ]
]


# English: the engine's words stay, its codes become words (sex M -> male).
_REASONS_EN: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bsex M / F\b"), "sex male / female"),
    (re.compile(r"\bsex F / M\b"), "sex female / male"),
    (re.compile(r"\bsex M\b"), "same sex (male)"),
    (re.compile(r"\bsex F\b"), "same sex (female)"),
]
_SEX_VI = {"M": "nam", "F": "nữ"}
_ISO_DAY = re.compile(
    r"\b([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]([0-9]{2}:[0-9]{2})(?::[0-9]{2})?)?(?![0-9])"
)
_ISO_MONTH = re.compile(r"\b([0-9]{4})-([0-9]{2})\b")
_DECIMAL = re.compile(r"\b([0-9]+)\.([0-9]+)\b")


def translate_reason(line: str, lang: str) -> str:
    """One line of a hit's reasons in the reader's language: phrases, codes (sex M), dates
    and decimals as the rest of the page writes them."""
    if lang == "vi":
        for pattern, template in _REASONS_VI:
            line = pattern.sub(template, line)
        line = re.sub(
            r"giới tính ([MF])(?: / ([MF]))?\b",
            lambda m: "giới tính " + " / ".join(_SEX_VI[g] for g in m.groups() if g is not None),
            line,
        )
        line = _DECIMAL.sub(r"\1,\2", line)
    else:
        for pattern, template in _REASONS_EN:
            line = pattern.sub(template, line)
    return dates_in_text(line, lang)


# ---- numbers, dates, ranks: one format per language -------------------------------------


@dataclass(frozen=True)
class Label:
    """A text that has one wording per language (a form choice naming a record)."""

    vi: str
    en: str

    def text(self, lang: str) -> str:
        return self.vi if lang == "vi" else self.en

    def __str__(self) -> str:
        return self.vi


MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_number(value: float | int, lang: str, digits: int | None = 0) -> str:
    """1.500 and 0,95 in Vietnamese; 1,500 and 0.95 in English. `digits` None: as many
    decimals as the value has (0.5, 0.75)."""
    if digits is None:
        digits = len(repr(float(value)).partition(".")[2].rstrip("0"))
    text = f"{value:,.{digits}f}"
    if lang == "vi":
        text = text.translate(str.maketrans(",.", ".,"))
    return text


def format_date(year: int, month: int | None, day: int | None, lang: str) -> str:
    """A date known to the day, month or year: 30/06/2024, 06/2024, 2024 in Vietnamese;
    30 Jun 2024, Jun 2024, 2024 in English (never the ambiguous 06/30 or 30/06)."""
    if month is None:
        return f"{year}"
    if lang == "vi":
        return f"{month:02d}/{year}" if day is None else f"{day:02d}/{month:02d}/{year}"
    named = f"{MONTHS_EN[month - 1]} {year}"
    return named if day is None else f"{day} {named}"


def dates_in_text(text: str, lang: str) -> str:
    """ISO dates written by the engine (2024-06-30, 2024-06) in the language's format."""
    text = _ISO_DAY.sub(
        lambda m: (
            format_date(int(m[1]), int(m[2]), int(m[3]), lang) + (f" {m[4]}" if m[4] else "")
            if 1 <= int(m[2]) <= 12
            else m[0]
        ),
        text,
    )
    return _ISO_MONTH.sub(
        lambda m: format_date(int(m[1]), int(m[2]), None, lang) if 1 <= int(m[2]) <= 12 else m[0],
        text,
    )


_RANK_EN = {vi.casefold(): en for vi, en in RANKS}


def rank_text(rank: str | None, lang: str) -> str:
    """A stored (Vietnamese) rank as the reader reads it: 'Thiếu tướng' / 'Major General'."""
    if not rank:
        return ""
    if lang == "vi":
        return rank
    return _RANK_EN.get(" ".join(rank.split()).casefold(), rank)


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
