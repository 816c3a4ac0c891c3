// Texts of the conversation itself: menus, reporting, queries, officers, and notices to officials.

package i18n

var coreTexts = map[string][2]string{
	"welcome": {
		"您好！这里是巡察监督举报服务。您可以反映党员干部违纪违法、侵害群众利益等问题，也可以用查询码查询办理进展。请选择：",
		"Hello! This is the inspection supervision reporting service. You can report misconduct by officials or harm to residents' interests, or follow a report with its query code. Please choose:"},
	"menu.report":    {"我要举报", "Report a problem"},
	"menu.query":     {"查询进展", "Check progress"},
	"menu.subscribe": {"订阅公告", "Subscribe"},
	"menu.lang":      {"English", "中文"},
	"menu.checkin":   {"情况报告", "Check in"},
	"menu.tasks":     {"我的任务", "My tasks"},
	"menu.resume":    {"继续未完成的举报", "Continue my unfinished report"},
	"help.resident": {
		"可用命令：\n/report 举报问题\n/query 查询码 — 查询办理进展\n/subscribe 订阅巡察公告\n/unsubscribe 取消订阅\n/lang 切换语言\n/cancel 取消当前操作\n/help 帮助",
		"Commands:\n/report — report a problem\n/query CODE — check progress\n/subscribe — subscribe to announcements\n/unsubscribe — stop a subscription\n/lang — switch language\n/cancel — cancel what you are doing\n/help — this help"},
	"help.officer": {
		"\n\n信息员命令：\n/checkin 情况报告（含零报告）\n/tasks 我的任务",
		"\n\nOfficer commands:\n/checkin — situation report (or zero report)\n/tasks — my tasks"},
	"cancelled":       {"已取消。需要时请重新开始。", "Cancelled. Start again whenever you need."},
	"nothing":         {"当前没有进行中的操作。", "Nothing is in progress."},
	"lang.set":        {"已切换为中文。", "Language set to English."},
	"button.expired":  {"这个按钮已失效，请按当前提示操作，或发送 /help 查看帮助。", "That button has expired. Please follow the current question, or send /help."},
	"unknown.command": {"没有这个命令。发送 /help 查看可用命令。", "Unknown command. Send /help to see what you can do."},
	"group.private": {
		"为保护您的隐私，举报和查询请私聊本机器人，不要在群里发送。",
		"To protect your privacy, please report and check progress in a private chat with this bot, not in a group."},
	"too.long": {"您发送的文字超过 %d 字，请分几次发送。本条未被记录。", "Your text is longer than %d characters; please send it in parts. This message was not recorded."},
	"too.many": {"附件最多 10 个，本次附件未被记录。", "At most 10 attachments are allowed; these were not recorded."},
	"too.big":  {"文件超过 20MB，未被记录。请压缩后再发送。", "A file is larger than 20 MB and was not recorded. Please send a smaller one."},
	"bad.file": {"无法读取这个文件（格式不支持或已损坏），未被记录。图片请使用 JPG 或 PNG。", "This file could not be read (unsupported or damaged) and was not recorded. Please send photos as JPG or PNG."},
	"file.refused": {
		"为保护您的隐私，这个文件没有被记录：视频、音频、PDF 和其他格式的文件可能带有拍摄地点、设备或作者信息，我们无法清除。可以发送：照片和截图（JPG、PNG、WebP、GIF），Word（.docx）和 Excel（.xlsx）文档，纯文本（.txt）。其他内容请截图或直接输入文字。您可以继续，已填写的内容不受影响。",
		"To protect your privacy, this file was not recorded: videos, audio, PDFs and other kinds of file can hold where they were made, the device or the author, and we cannot remove that. You can send photos and screenshots (JPG, PNG, WebP, GIF), Word (.docx) and Excel (.xlsx) documents, and plain text (.txt). For anything else, send a screenshot or type the text. You can carry on; what you have entered is unchanged."},
	"file.name":    {"附件%d", "attachment-%d"},
	"flood":        {"您发送得太快了，请稍等片刻再继续。刚才的消息未被处理，请稍后重新发送。", "You are sending too fast. Please wait a moment; the last messages were not processed, please send them again later."},
	"error":        {"抱歉，系统暂时出了问题，您的这条消息没有保存，请稍后再发一次。", "Sorry, something went wrong and this message was not saved. Please send it again in a moment."},
	"file.added":   {"已收到附件（共 %d 个）。", "Attachment received (%d in all)."},
	"file.ignored": {"当前步骤不需要附件，附件未被记录。", "This step takes no attachment; it was not recorded."},
	"need.text":    {"请用文字回答。", "Please answer in text."},
	"skip":         {"跳过", "Skip"},
	"need.button":  {"请点击上面的按钮选择。", "Please choose with the buttons above."},
	"unknown":      {"不清楚", "Not sure"},
	"done":         {"完成", "Done"},
	"cancel":       {"取消", "Cancel"},

	// The command menu (Telegram setMyCommands).
	"cmd.start":       {"开始", "Start"},
	"cmd.report":      {"举报问题", "Report a problem"},
	"cmd.query":       {"用查询码查询进展", "Check progress with a query code"},
	"cmd.subscribe":   {"订阅巡察公告", "Subscribe to announcements"},
	"cmd.unsubscribe": {"取消订阅", "Stop a subscription"},
	"cmd.checkin":     {"情况报告（信息员）", "Check in (officers)"},
	"cmd.tasks":       {"我的任务（信息员）", "My tasks (officers)"},
	"cmd.lang":        {"切换语言 / Language", "Language / 切换语言"},
	"cmd.help":        {"帮助", "Help"},
	"cmd.cancel":      {"取消当前操作", "Cancel what you are doing"},

	// The report flow.
	"report.category":       {"请选择问题类别：", "What kind of problem is it?"},
	"report.township":       {"问题发生在哪个乡镇（街道）？", "In which township did it happen?"},
	"report.place":          {"问题发生在哪里？请输入乡镇（街道）和村（社区）名称。", "Where did it happen? Please type the township and village."},
	"report.village":        {"是哪个村（社区）？", "Which village?"},
	"report.township.level": {"乡镇本级 / 不确定", "Township itself / not sure"},
	"report.subject": {
		"这件事涉及哪个人或哪个单位？（如：某村党支部书记、某站所负责人）",
		"Which person or unit does it concern? (e.g. a village party secretary, the head of a township office)"},
	"report.description": {
		"请描述发生了什么：什么时间、在哪里、谁做了什么、涉及多少钱或多少人。越具体越便于核实。",
		"Please describe what happened: when, where, who did what, how much money or how many people. The more specific, the easier to verify."},
	"report.more": {
		"内容有点简略，请再具体说说发生了什么（具体行为、经过、涉及金额等）。",
		"That is rather short. Please say more about what happened (the conduct, how it went, any amounts)."},
	"report.when": {
		"大概是什么时间发生的？（如：2024年3月、去年秋收时）不清楚可点“不清楚”。",
		"Roughly when did it happen? (e.g. March 2024, last harvest) Press “Not sure” if you don't know."},
	"report.files": {
		"如有照片、文件等证据，请现在发送（最多 10 个，可发多次）。发送完毕或没有证据，请点“完成”。\n照片中的位置、拍摄设备等信息会被自动清除。",
		"If you have photos or documents as evidence, send them now (up to 10, in several messages). When finished, or if you have none, press “Done”.\nLocation and device data in photos are removed automatically."},
	"report.identity": {
		"请选择举报方式：\n· 实名举报：留下姓名和电话，优先办理，并在受理后 15 个工作日内告知受理情况、办结后告知结果；您的信息严格保密。\n· 匿名举报：不留姓名电话，凭查询码查询进展。",
		"How do you want to report?\n· With your name: leave your name and phone; handled with priority, and you are told within 15 working days whether it was accepted, and of the result after closing. Your details are kept strictly confidential.\n· Anonymously: no name or phone; follow progress with the query code."},
	"report.realname":  {"实名举报", "With my name"},
	"report.anonymous": {"匿名举报", "Anonymously"},
	"report.link": {
		"匿名举报时，是否允许我们通过本聊天向您发送办理进展或补充询问？办理人员看不到您的账号。\n若选择不保留，只能凭查询码查询。",
		"May we send progress updates or follow-up questions to this chat? Officials never see your account.\nIf you keep no link, you can follow the report only with its query code."},
	"report.link.keep": {"保留（推荐）", "Keep the link (recommended)"},
	"report.link.none": {"不保留，只用查询码", "No link, query code only"},
	"report.name":      {"请输入您的真实姓名：", "Please type your full name:"},
	"report.phone":     {"请输入您的手机号码（用于核实和回复，严格保密）：", "Please type your mobile number (for verification and our reply; kept confidential):"},
	"report.phone.bad": {"手机号码格式不对，请输入 11 位手机号或带区号的固定电话。", "That number does not look right. Please type an 11-digit mobile number or a landline with its area code."},
	"report.name.bad":  {"请输入 2 至 30 个字的姓名。", "Please type a name of 2 to 30 characters."},
	"report.summary": {
		"请核对您的举报：\n类别：%s\n地点：%s\n涉及对象：%s\n时间：%s\n内容：%s\n附件：%d 个\n方式：%s\n\n⚠️ 请如实反映问题。捏造事实、诬告陷害他人，要承担党纪、法律责任。",
		"Please check your report:\nCategory: %s\nPlace: %s\nConcerns: %s\nWhen: %s\nWhat happened: %s\nAttachments: %d\nHow: %s\n\n⚠️ Please report truthfully. Making up facts or falsely accusing others is itself an offence under party rules and the law."},
	"report.confirm":    {"确认提交", "Submit"},
	"report.edit":       {"修改", "Edit"},
	"report.edit.which": {"要修改哪一项？", "What do you want to change?"},
	"field.category":    {"类别", "Category"},
	"field.place":       {"地点", "Place"},
	"field.subject":     {"涉及对象", "Concerns"},
	"field.description": {"内容", "What happened"},
	"field.when":        {"时间", "When"},
	// A summary's "when" line when the resident was not asked because the description says it.
	"when.in.description": {"见问题描述", "see the description"},
	"field.files":         {"附件", "Attachments"},
	"field.identity":      {"举报方式", "How to report"},
	"how.anonymous.link":  {"匿名（保留聊天联系）", "Anonymous (chat link kept)"},
	"how.anonymous":       {"匿名（仅查询码）", "Anonymous (query code only)"},
	"how.realname":        {"实名：%s，%s", "Named: %s, %s"},
	"not.given":           {"未说明", "not given"},
	"report.stored": {
		"您的举报已登记。请牢记查询码（只显示这一次，丢失无法找回）：\n\n%s\n\n凭查询码可随时查询进展、补充材料。发送 /query 即可查询。",
		"Your report is registered. Keep this query code safe (it is shown only once and cannot be recovered):\n\n%s\n\nUse it at any time to check progress or add material. Send /query to check."},
	"report.stored.realname": {
		"\n我们将在 15 个工作日内告知您是否受理。",
		"\nYou will be told within 15 working days whether it is accepted."},
	"report.resume": {"继续您未完成的举报。", "Continuing your unfinished report."},

	// Query.
	"query.ask":      {"请输入 16 位查询码（可带空格）：", "Please type the 16-digit query code (spaces allowed):"},
	"query.bad":      {"查询码是 16 位数字，请检查后重新输入。", "A query code has 16 digits. Please check it and try again."},
	"query.notfound": {"没有找到这个查询码对应的举报，请核对后再试。", "No report matches this query code. Please check it and try again."},
	"query.limited":  {"查询码输错次数过多，为保护举报人，请 15 分钟后再试。", "Too many wrong codes. To protect reporters, please try again in 15 minutes."},
	"query.status":   {"举报状态：%s\n登记时间：%s\n\n办理记录：\n%s", "Status: %s\nRegistered: %s\n\nTimeline:\n%s"},
	"query.add":      {"补充材料", "Add information"},
	"query.add.ask": {
		"请发送要补充的文字、照片或文件，可发多条。发送完毕请点“完成”。",
		"Send the text, photos or files you want to add, in as many messages as you like. Press “Done” when finished."},
	"query.added":    {"已补充（%d 条）。还可继续发送，或点“完成”。", "Added (%d so far). Send more, or press “Done”."},
	"query.add.done": {"补充材料已收到，将一并办理。", "Your additional information is received and will be handled with the report."},
	"query.add.none": {"没有补充任何内容。", "Nothing was added."},

	// Abuse: the global guess budget and the block list (abuse.go); the uploads bound (bot/uploads.go).
	"guess.busy": {"此刻有太多查询码或邀请码在被尝试。为保护举报人，暂停核对，请过几分钟再试。",
		"Too many codes are being tried right now. To protect reporters, checking is paused; please try again in a few minutes."},
	"upload.busy": {"此刻上传文件的人较多，这个文件没有收到。请过一两分钟再发送一次。",
		"Many files are being sent right now and this one was not received. Please send it again in a minute or two."},
	"blocked": {"感谢您的来信。本渠道目前不再受理您发来的消息；您仍可输入查询码查看已提交举报的进展。如有急事，请拨打 12345 或到当地纪委监委反映。",
		"Thank you for writing. This channel no longer takes your messages; you can still type a query code to see how a report you made is progressing. For anything urgent, call 12345 or go to the local discipline inspection commission."},

	"status.received":    {"已登记，待受理", "Registered, awaiting acceptance"},
	"status.accepted":    {"已受理，正在办理", "Accepted, being handled"},
	"status.transferred": {"已转有关单位办理", "Transferred to the responsible unit"},
	"status.concluded":   {"已办结", "Concluded"},
	"event.received":     {"举报已登记", "Report registered"},
	"event.supplement":   {"您补充了材料", "You added information"},
	"event.accepted":     {"已受理", "Accepted"},
	"event.transferred":  {"已转有关单位办理", "Transferred to the responsible unit"},
	"event.concluded":    {"已办结", "Concluded"},
	"event.other":        {"办理中", "In progress"},

	// Subscriptions.
	"sub.township": {"要订阅哪个乡镇（街道）的巡察公告？", "Announcements of which township?"},
	"sub.village":  {"订阅整个乡镇，还是其中一个村（社区）？", "The whole township, or one village?"},
	"sub.whole":    {"整个乡镇", "Whole township"},
	"sub.done":     {"已订阅：%s。有新的巡察公告时会通知您。", "Subscribed: %s. You will be told of new inspection announcements."},
	"sub.noplaces": {"暂无可订阅的地区。", "No areas are available yet."},
	"unsub.which":  {"要取消哪一项订阅？", "Which subscription do you want to stop?"},
	"unsub.none":   {"您还没有订阅。", "You have no subscriptions."},
	"unsub.done":   {"已取消订阅。", "Subscription stopped."},

	// Invitations.
	"bind.ok":       {"绑定成功。您的身份：%s%s。发送 /help 查看可用功能。", "Bound. Your role: %s%s. Send /help to see what you can do."},
	"bind.invalid":  {"邀请码无效，请核对后重试，或联系发放邀请码的工作人员。", "This invitation code is not valid. Please check it, or ask the official who issued it."},
	"bind.used":     {"这个邀请码已经使用过，每个邀请码只能用一次。", "This invitation code has already been used; each code works once."},
	"bind.expired":  {"这个邀请码已过期，请联系工作人员重新发放。", "This invitation code has expired. Please ask for a new one."},
	"bind.revoked":  {"这个邀请码已被撤销。", "This invitation code has been revoked."},
	"bind.already":  {"本账号已绑定身份，无需重复绑定。", "This account already has a role."},
	"bind.group":    {"请在私聊中绑定邀请码。", "Please bind your invitation in a private chat."},
	"role.officer":  {"巡察监督信息员", "information officer"},
	"role.liaison":  {"巡察联络员", "liaison"},
	"role.official": {"巡察工作人员", "inspection staff"},
	"role.unit":     {"承办单位", "receiving unit"},
	"role.admin":    {"管理员", "administrator"},
	"role.denied":   {"这个功能仅限已绑定邀请码的信息员、联络员使用。", "This is only for information officers and liaisons who have bound an invitation."},

	// Officers: check-in.
	"ci.visitors":     {"情况报告：本期走访、接待群众多少人？请输入数字。", "Check-in: how many residents did you visit or receive this period? Type a number."},
	"ci.visitors.bad": {"请输入 0 到 100000 之间的数字。", "Please type a number from 0 to 100000."},
	"ci.kind":         {"本期是否收集到群众反映的问题？", "Did residents raise any problems this period?"},
	"ci.problems":     {"有问题要报告", "Yes, report problems"},
	"ci.zero":         {"零报告（无问题）", "Zero report (nothing)"},
	"ci.problem":      {"请描述第 %d 个问题：涉及谁或哪个单位、什么事、何时何地。可附照片。", "Describe problem %d: who or which unit, what, when and where. You may attach photos."},
	"ci.more":         {"已记下第 %d 个问题。", "Problem %d noted."},
	"ci.another":      {"再报一个", "Another one"},
	"ci.photo":        {"可发送一张工作照片，或直接点“完成”提交。", "You may send a work photo, or press “Done” to submit."},
	"ci.stored":       {"情况报告已提交：走访 %d 人，%s。", "Check-in submitted: %d residents, %s."},
	"ci.stored.zero":  {"零报告", "zero report"},
	"ci.stored.n":     {"问题 %d 个", "%d problems"},
	"ci.codes":        {"\n已代群众登记以下问题，请将查询码告知反映人：\n%s", "\nThese problems were registered for the residents; please pass on the query codes:\n%s"},

	// Officers: tasks.
	"task.none":           {"暂无待办任务。", "You have no open tasks."},
	"task.list":           {"您的任务：", "Your tasks:"},
	"task.detail":         {"任务：%s\n%s\n截止：%s\n当前：%s", "Task: %s\n%s\nDue: %s\nStatus: %s"},
	"task.nodue":          {"未定", "none"},
	"task.received":       {"确认收到", "Received"},
	"task.done":           {"已完成", "Done"},
	"task.help":           {"需要协助", "Need help"},
	"task.state.":         {"未确认", "not confirmed"},
	"task.state.received": {"已确认收到", "received"},
	"task.state.done":     {"已完成", "done"},
	"task.state.help":     {"已请求协助", "help requested"},
	"task.ok.received":    {"已确认收到任务。", "Task marked as received."},
	"task.ask.done":       {"请简要说明完成情况，可先发送照片。", "Briefly say how it was done; you may send a photo first."},
	"task.ask.help":       {"请说明需要什么协助：", "What help do you need?"},
	"task.photo.ok":       {"已收到照片，请再发送文字说明。", "Photo received; now please send a short text."},
	"task.ok.done":        {"已记录完成情况。", "Completion recorded."},
	"task.ok.help":        {"已将您的协助请求转给联络员和巡察工作人员。", "Your request for help has been passed to the liaison and inspection staff."},
	"task.gone":           {"这个任务不存在或不属于您。", "This task does not exist or is not yours."},
	"task.notice":         {"【新任务】%s\n%s\n截止：%s\n发送 /tasks 查看并确认。", "[New task] %s\n%s\nDue: %s\nSend /tasks to view and confirm."},
	"task.help.notice":    {"【协助请求】任务“%s”的信息员请求协助：\n%s", "[Help request] The officer on task “%s” asks for help:\n%s"},

	// Officials.
	"notice.report": {
		"【新举报】第 %d 号\n类别：%s\n地点：%s\n涉及对象：%s\n%s\n内容摘要：%s\n附件：%d 个",
		"[New report] No. %d\nCategory: %s\nPlace: %s\nConcerns: %s\n%s\nSummary: %s\nAttachments: %d"},
	"notice.named":     {"实名举报（联系方式仅限授权人员查看）", "Named report (contact details for authorised staff only)"},
	"notice.anonymous": {"匿名举报", "Anonymous report"},
	"notice.checkin":   {"信息员代群众登记", "Filed by an information officer for a resident"},

	// A report about a place whose inspection window closed lately.
	"window.closed": {"\n\n《%s》的集中受理时间已经结束。您的举报已正常登记，将按正常程序办理。", "\n\nThe reporting window of \"%s\" has closed. Your report is registered and will be handled through the normal procedure."},
}
