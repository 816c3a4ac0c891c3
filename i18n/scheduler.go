// Texts the scheduler sends: announcements, the ladder's nudges and letters, check-in reminders,
// the monthly review and the real-name deadlines.

package i18n

var schedulerTexts = map[string][2]string{
	"ann.publish": {
		"【巡察公告】%s\n\n%s\n\n受理时间：%s 至 %s\n%s",
		"[Inspection announcement] %s\n\n%s\n\nReports accepted: %s to %s\n%s"},
	"ann.contact": {"联系方式：%s", "Contact: %s"},
	"ann.remind": {
		"【巡察提醒】%s\n本轮巡察受理渠道将于 %s 关闭。如有问题反映，请在此之前通过本机器人（/report）或公告所列渠道提交。",
		"[Inspection reminder] %s\nThis round's reporting channels close at %s. To report a problem, please do so before then, here (/report) or through the channels in the announcement."},
	"ladder.nudge": {
		"【线索办理提醒】线索 %s「%s」的办理期限为 %s，还有 %d 个工作日。请按期办结并反馈办理情况。",
		"[Clue deadline] Clue %s \"%s\" is due on %s, %d working days from now. Please finish it on time and report the outcome."},
	"ladder.reminder": {
		"【提醒函】%s\n线索 %s「%s」已超过办理期限（%s）。请抓紧办理并反馈，并点击下方“已签收”确认收到本函。",
		"[Reminder letter] %s\nClue %s \"%s\" is past its deadline (%s). Please handle it promptly, report back, and press \"Acknowledge\" below to confirm receipt of this letter."},
	"ladder.supervision": {
		"【督办函】%s\n线索 %s「%s」办理期限（%s）已过，提醒函未获签收。现予督办：请承办单位主要负责人亲自过问，限期办结并书面反馈，并点击下方“已签收”确认收到本函。",
		"[Supervision letter] %s\nClue %s \"%s\" is past its deadline (%s) and the reminder letter was not acknowledged. The head of the handling unit is asked to take charge, finish it within the time set and report in writing, and to press \"Acknowledge\" below."},
	"ladder.ack":  {"已签收", "Acknowledge"},
	"ladder.open": {"打开线索", "Open the clue"},
	// A clue without a deadline that stood still in a stage of handling (the ledger file's
	// stages): the number, title, stage, the day it entered the stage, working days since.
	"ladder.stage.nudge": {
		"【线索办理提醒】线索 %s「%s」自 %[4]s 起处于“%[3]s”阶段，已 %[5]d 个工作日未推进。请尽快办理。",
		"[Clue reminder] Clue %s \"%s\" has been %s since %s, %d working days without a next step. Please take it forward."},
	"ladder.stage.reminder": {
		"【提醒函】%s\n线索 %s「%s」自 %[5]s 起处于“%[4]s”阶段，已 %[6]d 个工作日未推进。请抓紧办理并反馈，并点击下方“已签收”确认收到本函。",
		"[Reminder letter] %s\nClue %s \"%s\" has been %s since %s, %d working days without a next step. Please handle it promptly, report back, and press \"Acknowledge\" below to confirm receipt of this letter."},
	"ladder.stage.supervision": {
		"【督办函】%s\n线索 %s「%s」自 %[5]s 起处于“%[4]s”阶段，已 %[6]d 个工作日未推进，提醒函发出后仍无进展。现予督办：请主要负责人亲自过问，限期推进并书面反馈，并点击下方“已签收”确认收到本函。",
		"[Supervision letter] %s\nClue %s \"%s\" has been %s since %s, %d working days without a next step, and nothing moved after the reminder letter. The head in charge is asked to take it up, move it on within the time set and report in writing, and to press \"Acknowledge\" below."},
	"checkin.remind": {
		"【情况报告提醒】本周期的情况报告请于 %s 前提交；没有情况也请提交零报告。发送 /checkin 开始。",
		"[Check-in] Please send this period's situation report before %s; if there is nothing to report, send a zero report. Send /checkin to start."},
	"checkin.missed": {
		"【情况报告未提交】您在 %s 至 %s 期间未提交情况报告，请尽快补报。发送 /checkin 开始。",
		"[Check-in missed] You sent no situation report between %s and %s. Please send one now: /checkin."},
	"checkin.liaison": {
		"【信息员未报告】%s的一名信息员（编号 %d）已连续 %d 个周期未提交情况报告（最近一期截至 %s）。请了解情况并督促。",
		"[Officer silent] An information officer of %s (no. %d) has sent no situation report for %d periods in a row (the last ended %s). Please follow up."},
	"review.head": {
		"【每月集中梳理】%s（%s）\n",
		"[Monthly review] %s (%s)\n"},
	"review.open":    {"在办线索：%d 件%s\n", "Open clues: %d%s\n"},
	"review.overdue": {"已逾期：%d 件（尚未提醒 %d，已提醒 %d，已发提醒函 %d，已发督办函 %d）\n", "Overdue: %d (not yet escalated %d, nudged %d, reminder letter %d, supervision letter %d)\n"},
	"review.closed":  {"%s办结销号：%d 件\n", "Closed and struck off in %s: %d\n"},
	"review.confirm": {"请逐件核对在办线索，确认办理进展正常；如有延误，请在台账中说明原因。", "Please go through each open clue and confirm it is on track; record the reason for any delay in the ledger."},
	"review.county":  {"全县", "the whole county"},
	"realname.warn": {
		"【实名举报告知期限】%s（%s 登记）应于 %s 前告知举报人是否受理，还有 %d 个工作日。",
		"[Real-name report] %s (received %s) must have its acceptance notice sent to the reporter by %s, %d working days from now."},
	"realname.late": {
		"【实名举报告知逾期】%s（%s 登记）应于 %s 前告知举报人是否受理，现已逾期。请立即办理。",
		"[Real-name report overdue] %s (received %s) should have had its acceptance notice by %s. Please send it now."},
}
