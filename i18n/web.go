// The web chat page's own texts: its header, the message box and the query code's card. The
// page is served with them in the chat's language and takes the new set when the chat switches.

package i18n

var webTexts = map[string][2]string{
	"web.title":       {"巡察监督 · 在线举报", "Inspection supervision · report online"},
	"web.subtitle":    {"Inspection supervision · report online", "巡察监督 · 在线举报"},
	"web.placeholder": {"输入消息…", "Type a message…"},
	"web.send":        {"发送", "Send"},
	"web.attach":      {"添加照片或文件", "Attach a photo or file"},
	"web.noscript":    {"本页面需要启用 JavaScript。", "This page needs JavaScript."},
	"web.counter":     {"已输入 %s / %d 字", "%s / %d characters"},
	"web.paste.cut": {
		"粘贴的内容超过 %d 字，只放进了前面一部分。请先发送这一部分，再粘贴发送其余内容。",
		"The pasted text is longer than %d characters; only its beginning went in. Send this part first, then paste and send the rest."},
	"web.retrying":    {"网络不稳定，正在重试…", "Connection unstable, retrying…"},
	"web.send.fail":   {"发送失败，请检查网络后重试。文字已放回输入框。", "Could not send; check your connection and try again. Your text is back in the box."},
	"web.upload.fail": {"上传失败，请重试。", "Upload failed; please try again."},
	"web.not.sent":    {"未发送", "not sent"},
	"web.code.label":  {"查询码", "Query code"},
	"web.code.copy":   {"复制", "Copy"},
	"web.code.copied": {"已复制", "Copied"},
	"web.code.copy.fail": {
		"无法自动复制，请手动抄下。", "Could not copy automatically; please write it down."},
	"web.code.saved": {"我已保存查询码", "I have saved the code"},
	"web.code.hold": {
		"请先复制或抄下查询码，再点“我已保存查询码”继续。",
		"Copy or write down the code, then press “I have saved the code” to go on."},
	"web.code.hidden": {"（查询码已隐藏，不会再次显示）", "(code hidden; it is not shown again)"},
}
