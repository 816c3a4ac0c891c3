// Answers to the acknowledge button (已签收) under a reminder or supervision letter.

package i18n

var lettersTexts = map[string][2]string{
	"letter.acked":   {"已签收 %s。签收已记入线索台账，督办升级随之停止；请按期办结并反馈。", "Receipt of %s acknowledged and recorded in the ledger; escalation stops. Please finish on time and report back."},
	"letter.already": {"%s 此前已签收。", "%s was already acknowledged."},
	"letter.unknown": {"这份函件不存在，或您无权签收。", "There is no such letter, or you may not acknowledge it."},
}
