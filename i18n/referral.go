// Texts of referral by jurisdiction (分级转办) and of the officers' tasks on a clock (issue 17).
// The text to the reporter ("refer.to.reporter") is fixed: it says the report was passed to the
// body competent for it and nothing more — not which body, not why, not who decided.

package i18n

var referralTexts = map[string][2]string{
	// Referral from the clue card.
	"refer.button":    {"按管辖转办", "Refer by jurisdiction"},
	"refer.which":     {"线索 %s 不属于本机关管辖，转办至：", "Clue %s belongs elsewhere. Refer it to:"},
	"refer.none":      {"台账数据中没有可转办的机关，请在台账数据文件中配置 refer_to。", "The ledger data lists no body to refer to; add them under refer_to in the ledger data file."},
	"refer.notnew":    {"线索 %s 已处置或办结，不能再转办。", "Clue %s was disposed of or closed and can no longer be referred."},
	"refer.noreport":  {"只有来自举报的线索才能按管辖转办。", "Only a clue that came from a report can be referred by jurisdiction."},
	"refer.ok":        {"线索 %s 已于 %s 转办至 %s，移出在办台账；已告知举报人。", "Clue %s was referred on %s to %s and left the open ledger; the reporter has been told."},
	"refer.ok.nolink": {"线索 %s 已于 %s 转办至 %s，移出在办台账。举报人未保留对话联系，将在其凭查询码查询时看到。", "Clue %s was referred on %s to %s and left the open ledger. The reporter kept no chat link and will see it when they look up their query code."},
	"refer.notice":    {"线索 %s 已按管辖转办，移出在办台账。", "Clue %s was referred by jurisdiction and left the open ledger."},
	"refer.to.reporter": {
		"【转办告知】您反映的问题不属于本机关管辖，已按规定转交有管辖权的机关处理。",
		"[Referral] The problem you reported is outside this office's jurisdiction and has been passed, as the rules require, to the body competent for it."},
	"refer.card":      {"\n转办：%s 转至 %s", "\nReferred: on %s to %s"},
	"refer.card.due":  {"\n研判或转办期限：%s（收到后 %d 个工作日）", "\nStudy or refer by: %s (%d working days from receipt)"},
	"refer.name":      {"按管辖转办", "referred by jurisdiction"},
	"lg.ev.referred":  {"按管辖转办", "referred by jurisdiction"},
	"status.referred": {"已转有关机关办理", "Passed to the competent body"},
	"event.referred":  {"已转有关机关办理", "Passed to the competent body"},

	// The 5-day watch.
	"refer.watch.warn": {
		"【研判转办提醒】线索 %s 于 %s 收到，至今尚未研判或转办。按规定，不属于本机关管辖的应于 %s 前转办，还剩 %d 个工作日。",
		"[Study or refer] Clue %s was received on %s and has been neither studied nor referred. A report that belongs elsewhere must be referred by %s, %d working days from now."},
	"refer.watch.late": {
		"【研判转办逾期】线索 %s 于 %s 收到，至今尚未研判或转办；按规定应于 %s 前完成转办，现已逾期。请尽快研判或在线索卡片上“按管辖转办”。",
		"[Study or refer overdue] Clue %s was received on %s and has been neither studied nor referred; a referral was due by %s. Please study it or use \"Refer by jurisdiction\" on its card now."},

	// Officers' tasks on a clock.
	"task.list.due":  {"截止 %s", "due %s"},
	"task.list.late": {"已逾期 · 截止 %s", "overdue · due %s"},
	"task.clock.warn": {
		"【任务即将到期】%s（%s）截止时间为 %s，还有 %d 个工作日。发送 /tasks 查看并反馈。",
		"[Task due soon] %s (%s) is due %s, %d working days from now. Send /tasks to view it and report back."},
	"task.clock.late": {
		"【任务已逾期】%s（%s）截止时间 %s 已过，尚未反馈完成。请尽快完成并发送 /tasks 反馈。",
		"[Task overdue] %s (%s) was due %s and is not reported done. Please finish it and report back with /tasks."},
	"task.clock.liaison": {
		"【任务逾期提请联络员】%s（%s）截止时间 %s，已逾期 %d 个工作日仍未完成，请督促本乡镇信息员办理。",
		"[Overdue task, to the liaison] %s (%s) was due %s and is still open %d working days later. Please see that the officers finish it."},
	"task.clock.official": {
		"【任务逾期提请巡察办】%s（%s）截止时间 %s，已逾期 %d 个工作日仍未完成，已提请联络员督促。",
		"[Overdue task, to the office] %s (%s) was due %s and is still open %d working days later; the liaison was asked to see to it."},

	// Giving a task in chat.
	"task.give.usage": {
		"用法：/task 村名 标题 截止日期（YYYY-MM-DD），例如 /task 新农村 核查低保名单 2026-12-20。村名可写作 乡镇/村；写乡镇名则交给全乡镇。",
		"Usage: /task VILLAGE TITLE DUE (YYYY-MM-DD), e.g. /task 新农村 Check the benefit list 2026-12-20. Write TOWNSHIP/VILLAGE to be exact, or a township's name for the whole township."},
	"task.give.denied":  {"只有巡察工作人员可以交办任务。", "Only inspection staff can give tasks."},
	"task.give.noplace": {"找不到村或乡镇“%s”（或不在您的辖区）。", "No village or township \"%s\" (or not in your jurisdiction)."},
	"task.give.baddate": {"截止日期“%s”不是 YYYY-MM-DD 格式。", "The due date \"%s\" is not YYYY-MM-DD."},
	"task.give.past":    {"截止日期 %s 已过（今天是 %s）。", "The due date %s is in the past (today is %s)."},
	"task.give.ok": {
		"已交办任务 %d：%s（%s），截止 %s；已通知 %d 名信息员和联络员。到期前后将提醒，逾期未完成将提请联络员和您。",
		"Task %d given: %s (%s), due %s; %d officers and liaisons notified. They are reminded before and after the due date; if it stays open it goes to the liaison and then to you."},
}
