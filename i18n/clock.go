// Texts of the clue's clock (issue 17): the keeper, pausing and extending, units nobody
// answers for, the two approving bodies, and the real-name nudges' clue numbers.

package i18n

var clockTexts = map[string][2]string{
	"lg.detail.keeper":    {"\n台账管理人：%s", "\nKeeper: %s"},
	"lg.keeper.none":      {"未指定", "not assigned"},
	"lg.act.keeper":       {"指定台账管理人", "Assign keeper"},
	"lg.keeper.which":     {"请选择线索 %s 的台账管理人：", "Choose the keeper of clue %s:"},
	"lg.keeper.nobody":    {"没有可指定的人员：台账管理人须为本辖区的巡察人员或管理员。", "Nobody can be assigned: the keeper must be inspection staff of the clue's area or an administrator."},
	"lg.keeper.ok":        {"已将线索 %s 的台账管理人设为 %s。", "Clue %s is now kept by %s."},
	"lg.keeper.notice":    {"您已被指定为线索 %s 的台账管理人，该线索的办理提醒将发送给您。", "You now keep clue %s; its deadline reminders will come to you."},
	"lg.ev.keeper":        {"指定台账管理人", "keeper assigned"},
	"lg.list.keeper":      {" · 管理人 %s", " · keeper %s"},
	"lg.act.pause":        {"暂停计时", "Pause the clock"},
	"lg.act.resume":       {"恢复计时", "Resume the clock"},
	"lg.act.extend":       {"延长期限", "Extend the deadline"},
	"lg.clock.closed":     {"该线索已办结销号，计时无需调整。", "This clue is closed; its clock no longer runs."},
	"lg.pause.reason":     {"请写明暂停线索 %s 计时的原因（记入办理记录）：", "Why is the clock of clue %s paused? (The reason goes into the timeline.)"},
	"lg.pause.already":    {"该线索已暂停计时。", "This clue's clock is already paused."},
	"lg.pause.ok":         {"线索 %s 已暂停计时，暂停期间不再催办。恢复计时后，办理期限按暂停的工作日数顺延。", "The clock of clue %s is paused: no reminders until it resumes. On resuming, the deadline moves by the working days it was paused."},
	"lg.pause.notice":     {"线索 %s 已暂停计时，暂停期间不再催办。", "The clock of clue %s is paused; no reminders while it is."},
	"lg.resume.notpaused": {"该线索未暂停计时。", "This clue's clock is not paused."},
	"lg.resume.ok":        {"线索 %s 已恢复计时，办理期限顺延至 %s。", "The clock of clue %s runs again; the deadline is now %s."},
	"lg.resume.ok.nodue":  {"线索 %s 已恢复计时。", "The clock of clue %s runs again."},
	"lg.resume.notice":    {"线索 %s 已恢复计时，办理期限顺延至 %s。", "The clock of clue %s runs again; the deadline is now %s."},
	"lg.extend.nodue":     {"该线索尚无办理期限，无需延长。", "This clue has no deadline to extend."},
	"lg.extend.which":     {"线索 %s 的办理期限为 %s。延长多少个工作日？", "Clue %s is due %s. Extend by how many working days?"},
	"lg.extend.reason":    {"请写明延长线索 %s 办理期限的原因（记入办理记录）：", "Why is the deadline of clue %s extended? (The reason goes into the timeline.)"},
	"lg.extend.ok":        {"线索 %s 的办理期限已延长至 %s。", "The deadline of clue %s is now %s."},
	"lg.extend.notice":    {"线索 %s 的办理期限已延长至 %s。", "The deadline of clue %s has been extended to %s."},
	"lg.detail.paused":    {"\n⏸ 计时已暂停（%s 起）", "\n⏸ Clock paused (since %s)"},
	"lg.list.paused":      {" · ⏸ 暂停计时", " · ⏸ paused"},
	"lg.ev.paused":        {"暂停计时", "clock paused"},
	"lg.ev.resumed":       {"恢复计时", "clock resumed"},
	"lg.ev.extended":      {"延长期限", "deadline extended"},
	"unit.nobody.transfer": {
		"【无人接收】线索 %s 已移交%s，但该单位没有绑定任何人员，移交通知无人接收，逾期提醒也无人收到。请电话告知该单位，并用 xuncha invite --role unit 为其发放邀请码。",
		"[Nobody to receive] Clue %s was transferred to %s, but nobody of that unit is bound: nobody received the transfer, and nobody will get its reminders. Please phone the unit and issue it an invitation (xuncha invite --role unit)."},
	"unit.nobody.meeting": {
		"【无人接收】%s（%s）的会议通知发给%s，但该单位没有绑定任何人员，无人接收。请电话通知，并用 xuncha invite --role unit 为其发放邀请码。",
		"[Nobody to receive] The notice of the %s (%s) goes to %s, but nobody of that unit is bound: nobody receives it. Please phone them and issue an invitation (xuncha invite --role unit)."},
	"rd.mt.nobody":          {"\n⚠️ 以下单位没有绑定人员，会议通知无人接收（已告知巡察办）：%s", "\n⚠️ Nobody is bound for these units, so nobody receives the notice (the office has been told): %s"},
	"rd.body.leading_group": {"巡察工作领导小组", "inspection leading group"},
	"rd.body.committee":     {"市委", "city committee"},
	"rd.cl.denied.twice": {
		"您已办理过这次分类的另一个环节。领导小组调整与市委审定须由不同的人完成。此次请求已记录。",
		"You closed another step of this classification. The leading group's adjustment and the committee's approval must be two people's. The request has been logged."},
	"review.nobody":   {"\n⚠️ 有在办线索但没有绑定人员的承办单位（提醒和函件无人接收）：%s", "\n⚠️ Units with open clues and nobody bound (their reminders and letters reach nobody): %s"},
	"realname.clue":   {"实名举报线索 %s", "Real-name clue %s"},
	"realname.report": {"一件实名举报（报告编号 %d，尚未登记线索）", "A real-name report (report no. %d, no clue yet)"},
	"realname.open":   {"打开 %s", "Open %s"},
}
