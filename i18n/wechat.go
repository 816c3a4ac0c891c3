// The WeChat channel's texts. WeChat has no buttons: choices are shown as a numbered list and
// answered by typing the number.

package i18n

var wechatTexts = map[string][2]string{
	"wechat.file":   {"（附件“%s”无法通过公众号发送。线索的附件和函件请在工作台查看（发送 /desk 获取登录链接），其他文件请在网页端或 Telegram 查看。）", "(The file “%s” cannot be sent through the Official Account. A clue's files and letters are on the desk (send /desk for a sign-in link); other files can be opened in the web chat or Telegram.)"},
	"wechat.menu":   {"回复数字选择：", "Reply with a number:"},
	"wechat.cancel": {"回复“取消”退出", "Reply “cancel” to stop"},
	"wechat.voice": {
		"抱歉，没能识别这条语音，请改用文字发送。",
		"Sorry, this voice message could not be recognised. Please send text instead."},
	"wechat.video": {
		"为保护您的隐私，这段视频没有被记录：视频可能带有拍摄地点，我们无法清除。请改发照片、截图或文字。您可以继续，已填写的内容不受影响。",
		"To protect your privacy, this video was not recorded: videos can hold where they were filmed, and we cannot remove that. Please send photos, screenshots or text instead. You can carry on; what you have entered is unchanged."},
	"wechat.unsupported": {
		"暂不支持这类消息。请发送文字、图片、语音或位置。",
		"This kind of message is not supported. Please send text, photos, voice or a location."},
	"wechat.location": {"位置：%s,%s %s", "Location: %s,%s %s"},
	"wechat.media.failed": {
		"这张图片没能从微信取回（可能已过期），未被记录，请重新发送。",
		"This photo could not be fetched from WeChat (it may have expired) and was not recorded. Please send it again."},
	// Template message fields (first / keyword1 / keyword2 / remark, or thing1 / time2).
	"wechat.template.first":  {"您有一条新消息", "You have a new message"},
	"wechat.template.remark": {"请在公众号中回复任意内容查看完整内容。", "Reply anything in the account to read it in full."},
	"wechat.undeliverable": {
		"【无法送达】一条发给微信用户的消息无法送达：48 小时客服消息窗口已关闭，且%s。请通过其他途径联系，或检查模板消息配置（WECHAT_TEMPLATE_NOTICE）。",
		"[Undeliverable] A message to a WeChat user could not be delivered: the 48-hour customer-service window is closed and %s. Please reach them another way, or check the template configuration (WECHAT_TEMPLATE_NOTICE)."},
	"wechat.undeliverable.notemplate": {"未配置模板消息", "no template message is configured"},
	"wechat.undeliverable.refused":    {"模板消息被拒绝", "the template message was refused"},
}
