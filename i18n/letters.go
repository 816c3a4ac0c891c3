// Reminder and supervision letters (提醒函, 督办函): the answers to their acknowledge button
// (已签收), and the words of the .docx document each letter is filed as. The document is
// written in the deployment's language (XUNCHA_LANG), whoever downloads it: a letter of
// record reads the same for everyone.

package i18n

var lettersTexts = map[string][2]string{
	"letter.acked":       {"已签收 %s。签收已记入线索台账，督办升级随之停止；请按期办结并反馈。", "Receipt of %s acknowledged and recorded in the ledger; escalation stops. Please finish on time and report back."},
	"letter.acked.stage": {"已签收 %s。签收已记入线索台账；线索推进到下一环节前，督办升级不会停止，请尽快办理。", "Receipt of %s acknowledged and recorded in the ledger. Escalation goes on until the clue moves on to its next step: please take it forward."},
	"letter.already":     {"%s 此前已签收。", "%s was already acknowledged."},
	"letter.unknown":     {"这份函件不存在，或您无权签收。", "There is no such letter, or you may not acknowledge it."},
	// A letter's lines in a clue's timeline (the event kinds store.CreateLetter and
	// store.AckLetter write), followed by the letter's number.
	"lg.ev.reminder_letter":     {"发出提醒函", "reminder letter sent"},
	"lg.ev.supervision_letter":  {"发出督办函", "supervision letter sent"},
	"lg.ev.letter_acknowledged": {"函件已签收", "letter acknowledged"},

	// The document. Paragraphs are separated by line breaks.
	"letter.doc.title.reminder_letter":    {"关于督促办理问题线索的提醒函", "Reminder on a clue past its deadline"},
	"letter.doc.title.supervision_letter": {"关于督促办理问题线索的督办函", "Supervision letter on a clue past its deadline"},
	"letter.doc.to":                       {"%s：", "To: %s"},
	// Letters about a stage's clock: a clue that stood still in a step of handling (number,
	// title, stage, since when; for a supervision letter the reminder letter's date and number).
	"letter.doc.title.stage.reminder_letter":    {"关于督促推进问题线索办理的提醒函", "Reminder on a clue that has not moved on"},
	"letter.doc.title.stage.supervision_letter": {"关于督促推进问题线索办理的督办函", "Supervision letter on a clue that has not moved on"},
	"letter.doc.body.stage.reminder_letter": {
		"问题线索%s（%s）自%[4]s起处于“%[3]s”阶段，至今未推进到下一环节，已超过规定时限。\n" +
			"请高度重视，抓紧办理，及时报送办理进展，并在巡察监督平台签收本函。\n" +
			"特此提醒。",
		"The clue %s (%s) has been %s since %s and has not moved on to its next step within the time set.\n" +
			"Please give it priority, take it forward, report progress, and acknowledge this letter on the inspection supervision platform.\n" +
			"This is a reminder."},
	"letter.doc.body.stage.supervision_letter": {
		"问题线索%s（%s）自%[4]s起处于“%[3]s”阶段，至今未推进到下一环节。我办已于%[5]s以%[6]s提醒函督促办理，至今仍无进展。\n" +
			"现予督办。请主要负责人亲自过问，查明原因，明确办理措施和完成时限，及时将办理情况书面报告我办，并在巡察监督平台签收本函。\n" +
			"特此函告。",
		"The clue %s (%s) has been %s since %s and has not moved on to its next step. On %s this office sent reminder letter %s, and nothing has moved since.\n" +
			"The clue is now under supervision. The head in charge is asked to take it up: find out why, set the measures and the date it will move on, report to this office in writing, and acknowledge this letter on the inspection supervision platform.\n" +
			"This letter is sent for action."},
	"letter.doc.body.stage.supervision_letter.first": {
		"问题线索%s（%s）自%[4]s起处于“%[3]s”阶段，至今未推进到下一环节。\n" +
			"现予督办。请主要负责人亲自过问，查明原因，明确办理措施和完成时限，及时将办理情况书面报告我办，并在巡察监督平台签收本函。\n" +
			"特此函告。",
		"The clue %s (%s) has been %s since %s and has not moved on to its next step.\n" +
			"The clue is now under supervision. The head in charge is asked to take it up: find out why, set the measures and the date it will move on, report to this office in writing, and acknowledge this letter on the inspection supervision platform.\n" +
			"This letter is sent for action."},
	"letter.doc.to.none": {"有关单位", "the handling unit"},
	"letter.doc.office":  {"县委巡察工作领导小组办公室", "Office of the County Inspection Leading Group"},
	"letter.doc.date":    {"%d年%d月%d日", "%d-%02d-%02d"},
	"letter.doc.body.reminder_letter": {
		"你单位承办的问题线索%s（%s），办理期限为%s，现已逾期，尚未办结销号。\n" +
			"请你单位高度重视，加快办理进度，及时报送办理进展和结果，并在巡察监督平台签收本函。\n" +
			"特此提醒。",
		"The clue %s (%s) transferred to you was due on %s. It is past its deadline and not yet closed.\n" +
			"Please give it priority, speed up its handling, report progress and the outcome, and acknowledge this letter on the inspection supervision platform.\n" +
			"This is a reminder."},
	"letter.doc.body.supervision_letter": {
		"你单位承办的问题线索%s（%s），办理期限为%s，已逾期未办结。我办已于%s以%s提醒函督促办理，该函至今未获签收。\n" +
			"现予督办。请你单位主要负责人亲自过问，查明逾期原因，明确办理措施和完成时限，及时将办理情况书面报告我办，并在巡察监督平台签收本函。\n" +
			"特此函告。",
		"The clue %s (%s) transferred to you was due on %s and is past its deadline. On %s this office sent reminder letter %s, which has not been acknowledged.\n" +
			"The clue is now under supervision. The head of your unit is asked to take charge: find out why it is late, set the measures and the date it will be finished, report to this office in writing, and acknowledge this letter on the inspection supervision platform.\n" +
			"This letter is sent for action."},
	"letter.doc.body.supervision_letter.first": {
		"你单位承办的问题线索%s（%s），办理期限为%s，已逾期未办结。\n" +
			"现予督办。请你单位主要负责人亲自过问，查明逾期原因，明确办理措施和完成时限，及时将办理情况书面报告我办，并在巡察监督平台签收本函。\n" +
			"特此函告。",
		"The clue %s (%s) transferred to you was due on %s and is past its deadline.\n" +
			"The clue is now under supervision. The head of your unit is asked to take charge: find out why it is late, set the measures and the date it will be finished, report to this office in writing, and acknowledge this letter on the inspection supervision platform.\n" +
			"This letter is sent for action."},
}
