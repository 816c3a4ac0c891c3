package handlers

// Texts of the clue's clock: keeper, pause and extension.
func init() {
	addTexts(map[string][2]string{
		"lg.detail.keeper": {"\n台账管理人：%s", "\nKeeper: %s"},
		"lg.keeper.none":   {"未指定", "not assigned"},
		"lg.act.keeper":    {"指定台账管理人", "Assign keeper"},
		"lg.keeper.which":  {"请选择线索 %s 的台账管理人：", "Choose the keeper of clue %s:"},
		"lg.keeper.nobody": {"没有可指定的人员：台账管理人须为本辖区的巡察人员或管理员。", "Nobody can be assigned: the keeper must be inspection staff of the clue's area or an administrator."},
		"lg.keeper.ok":     {"已将线索 %s 的台账管理人设为 %s。", "Clue %s is now kept by %s."},
		"lg.keeper.notice": {"您已被指定为线索 %s 的台账管理人，该线索的办理提醒将发送给您。", "You now keep clue %s; its deadline reminders will come to you."},
		"lg.ev.keeper":     {"指定台账管理人", "keeper assigned"},
		"lg.list.keeper":   {" · 管理人 %s", " · keeper %s"},
	})
}
