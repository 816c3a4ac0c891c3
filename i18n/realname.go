// Texts of the real-name duties to the end (issue 17): the result notice, not accepting a
// report, objections and their answers, and the retaliation follow-ups. Texts to the reporter
// ("rn.*.to.reporter", "rn.fu.*", "rn.ob.*") say nothing about how the clue was handled
// beyond what the office chose to write, and nothing about anyone involved.

package i18n

var realNameTexts = map[string][2]string{
	// The result notice (结果告知).
	"rn.closed.owed": {
		"%s 已办结销号。这是实名举报：请在 %d 个工作日内向举报人告知办理结果（线索卡片上的“发送结果告知”），到期前后将提醒台账管理人。",
		"%s closed and struck off. It is a real-name report: tell the reporter the result within %d working days (\"Send the result notice\" on the clue's card); its keeper is reminded before and after the deadline."},
	"rn.result.button":      {"发送结果告知", "Send the result notice"},
	"rn.result.notclosed":   {"线索办结后才能发送结果告知。", "The result notice is sent once the clue is closed."},
	"rn.result.prompt":      {"请写明告知举报人的办理结果（将原文转达举报人，不透露其身份；请勿写入与举报人无关的人员信息）。线索 %s：", "Write the result to tell the reporter (sent as written, without revealing who they are; leave out details of other people). Clue %s:"},
	"rn.result.already":     {"线索 %s 的结果告知已于 %s 发送。", "The result notice of clue %s was sent on %s."},
	"rn.result.ok":          {"线索 %s 的结果告知已转达举报人，并记入办理记录。", "The result notice of clue %s was relayed to the reporter and recorded."},
	"rn.result.ok.nolink":   {"线索 %s 的结果告知已记录。举报人未保留对话联系，将在其凭查询码查询时看到。", "The result notice of clue %s is recorded. The reporter kept no chat link and will see it when they look up their query code."},
	"rn.result.to.reporter": {"【结果告知】您反映的问题已办结，办理结果如下：\n%s\n如对办理结果有异议，可点击下方按钮提出。", "[Result] The handling of the problem you reported is concluded. The result:\n%s\nIf you disagree with the result, you may object with the button below."},
	"rn.card.result.due":    {"\n结果告知：应于 %s 前告知举报人（尚未告知）", "\nResult notice: owed to the reporter by %s (not yet sent)"},
	"rn.card.result.done":   {"\n结果告知：已于 %s 告知举报人", "\nResult notice: sent to the reporter on %s"},
	"rn.result.warn": {
		"【结果告知提醒】%s 已于 %s 办结，应于 %s 前向实名举报人告知办理结果，还剩 %d 个工作日。请在线索卡片上“发送结果告知”。",
		"[Result notice due] %s was closed on %s; its real-name reporter must be told the result by %s, %d working days from now. Use \"Send the result notice\" on the clue's card."},
	"rn.result.late": {
		"【结果告知逾期】%s 已于 %s 办结，应于 %s 前向实名举报人告知办理结果，现已逾期。请尽快在线索卡片上“发送结果告知”。",
		"[Result notice overdue] %s was closed on %s; its real-name reporter should have been told the result by %s. Please use \"Send the result notice\" on the clue's card now."},

	// Not accepted (不予受理).
	"rn.na.button":    {"不予受理", "Not accepted"},
	"rn.na.name":      {"不予受理", "not accepted"},
	"rn.na.noreport":  {"只有来自举报的线索才能不予受理。", "Only a clue that came from a report can be not accepted."},
	"rn.na.prompt":    {"请写明对线索 %s 不予受理的理由（记入办理记录，不发给举报人；举报人只收到不予受理的告知）：", "Why is clue %s not accepted? (The reason goes into the timeline, not to the reporter, who is only told it was not accepted.)"},
	"rn.na.ok":        {"线索 %s 已不予受理并办结销号，已告知举报人。", "Clue %s is not accepted, closed and struck off; the reporter has been told."},
	"rn.na.ok.nolink": {"线索 %s 已不予受理并办结销号。举报人未保留对话联系，将在其凭查询码查询时看到。", "Clue %s is not accepted, closed and struck off. The reporter kept no chat link and will see it when they look up their query code."},
	"rn.na.to.reporter": {
		"【受理告知】经审查，您反映的问题不属于本机关受理范围或不符合受理条件，决定不予受理。如有异议，可点击下方按钮提出。",
		"[Acceptance] After review, the problem you reported is outside this office's remit or does not meet the conditions for acceptance, and it is not accepted. If you disagree, you may object with the button below."},
	"status.not_accepted":    {"不予受理", "Not accepted"},
	"event.not_accepted":     {"不予受理", "Not accepted"},
	"event.result_notice":    {"结果告知", "Result"},
	"event.objection":        {"您提出了异议", "You objected"},
	"event.objection_answer": {"异议答复", "Answer to your objection"},

	// Objections (异议).
	"rn.ob.button": {"提出异议", "Object"},
	"rn.ob.open":   {"该事项仍在办理中，办结后可提出异议。", "This is still being handled; you may object once it is concluded."},
	"rn.ob.prompt": {"请写明您对办理结果的异议及理由（将转交办理机关，不会透露您的身份）：", "Write what you disagree with and why (it goes to the office handling it, without revealing who you are):"},
	"rn.ob.ok":     {"您的异议已记录，办理机关将作出答复。答复将通过本对话告知您，也可凭查询码查看。", "Your objection is recorded and the office will answer it. The answer comes to this chat, and shows when you look up your query code."},
	"rn.ob.notice": {"【举报人异议】线索 %s 的实名举报人对办理结果提出异议：\n%s\n请在线索卡片上“答复异议”。", "[Objection] The real-name reporter of clue %s objects to the result:\n%s\nPlease answer it from the clue's card."},
	"rn.ob.nudge": {
		"【异议待答复】线索 %s 的举报人于 %s 提出的第 %d 项异议尚未答复，已等待 %d 个工作日。请在线索卡片上“答复异议”。",
		"[Objection unanswered] The objection no. %[3]d raised by the reporter of clue %[1]s on %[2]s has waited %[4]d working days for an answer. Please answer it from the clue's card."},
	"rn.oa.button":      {"答复异议 %d", "Answer objection %d"},
	"rn.oa.prompt":      {"请写明对线索 %s 举报人异议的答复（将原文转达举报人）：", "Write the answer to the objection about clue %s (sent to the reporter as written):"},
	"rn.oa.quote":       {"异议 %d：%s", "Objection %d: %s"},
	"rn.oa.already":     {"该异议已答复。", "This objection has been answered."},
	"rn.oa.ok":          {"第 %d 项异议的答复已转达线索 %s 的举报人。", "The answer to objection %d was relayed to the reporter of clue %s."},
	"rn.oa.ok.nolink":   {"第 %d 项异议的答复已记录（线索 %s）。举报人未保留对话联系，将在其凭查询码查询时看到。", "The answer to objection %d is recorded (clue %s). The reporter kept no chat link and will see it when they look up their query code."},
	"rn.oa.to.reporter": {"【异议答复】对您提出的异议，办理机关答复如下：\n%s", "[Answer to your objection] The office answers:\n%s"},
	"rn.card.objection": {"\n异议 %d（%s）：%s · %s", "\nObjection %d (%s): %s · %s"},
	"rn.card.pending":   {"待答复", "awaiting an answer"},
	"rn.card.answered":  {"已于 %s 答复", "answered on %s"},

	// Retaliation follow-ups (打击报复回访).
	"rn.fu.ask": {
		"【回访】您好。您实名反映的问题已办结 %d 天。请问您是否因举报遭受打击报复（如威胁、刁难、调岗降职、克扣待遇等）？您的回答只有办理机关可见。",
		"[Follow-up] Hello. The problem you reported under your name was concluded %d days ago. Have you met any retaliation for reporting it (threats, obstruction, a transfer or demotion, pay or benefits withheld…)? Only the office handling it sees your answer."},
	"rn.fu.btn.no":  {"没有", "No"},
	"rn.fu.btn.yes": {"有，我要反映", "Yes, I want to tell you"},
	"rn.fu.pending": {"\n\n【回访】办结 %d 天回访：您是否因举报遭受打击报复？请点击下方按钮回答。", "\n\n[Follow-up] %d days after closing: have you met any retaliation for reporting? Please answer with the buttons below."},
	"rn.fu.already": {"您已回答过这次回访，感谢。", "You already answered this follow-up. Thank you."},
	"rn.fu.no.ok":   {"感谢您的答复。如今后遭受打击报复，可随时通过本对话或查询码反映。", "Thank you for answering. If you ever meet retaliation, tell us through this chat or your query code."},
	"rn.fu.yes.ok": {
		"您反映的情况已作为新线索登记，办理机关将依规处理。新线索的查询码（只显示这一次）：\n\n%s\n\n请现在补充具体情况（时间、经过、涉及的人，可附照片），补充完毕后点“完成”。",
		"What you told us is registered as a new clue and will be handled under the rules. Its query code (shown only once):\n\n%s\n\nPlease add what happened now (when, how, who; photos welcome), then press Done."},
	"rn.fu.desc":  {"实名举报人在线索 %s 办结后第 %d 天回访中反映遭受打击报复，具体情况见补充材料。", "In the follow-up %[2]d days after clue %[1]s closed, its real-name reporter said they met retaliation; details in the supplements."},
	"rn.fu.title": {"打击报复举报人", "Retaliation against a reporter"},
	"rn.fu.flag": {
		"【疑似打击报复】线索 %[2]s 的实名举报人在办结后第 %[3]d 天回访中反映遭受打击报复，已登记为新线索 %[1]s 并关联原线索。请立即研判。",
		"[Possible retaliation] The real-name reporter of clue %[2]s said, in the follow-up %[3]d days after closing, that they met retaliation. It is registered as new clue %[1]s, linked to the old one. Please study it at once."},
	"rn.card.followups":  {"\n打击报复回访：%s", "\nRetaliation follow-ups: %s"},
	"rn.card.fu.item":    {"%d天 %s", "%d days %s"},
	"rn.card.fu.planned": {"（%s）", "(%s)"},
	"rn.card.fu.asked":   {"已询问，待答复", "asked, no answer yet"},
	"rn.card.fu.no":      {"未遭受", "none met"},
	"rn.card.fu.yes":     {"⚠️ 反映遭受", "⚠️ retaliation reported"},
	"rn.ev.days":         {"办结后第 %s 天", "%s days after closing"},

	// Timeline lines.
	"lg.ev.result_notice":    {"结果告知", "result notice sent"},
	"lg.ev.not_accepted":     {"不予受理", "not accepted"},
	"lg.ev.objection":        {"举报人提出异议", "reporter's objection"},
	"lg.ev.objection_answer": {"答复异议", "objection answered"},
	"lg.ev.followup_asked":   {"打击报复回访", "retaliation follow-up asked"},
	"lg.ev.followup_no":      {"回访答复：未遭受打击报复", "follow-up answer: no retaliation"},
	"lg.ev.followup_yes":     {"回访答复：反映遭受打击报复", "follow-up answer: retaliation reported"},
	"lg.ev.retaliation":      {"打击报复线索，源自回访", "retaliation clue, from the follow-up of"},
}
