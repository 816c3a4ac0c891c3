package handlers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"xuncha/store"
)

// TestClassificationRefusesOtherRoles: at each of the five steps, everyone whose role does not
// own it is refused with the step, its owner and their own role named, nothing is recorded, and
// the refusal is audit-logged; the owner's entry goes through.
func TestClassificationRefusesOtherRoles(t *testing.T) {
	en, e := newEngine(t)
	chats := map[string]store.Role{}
	bindAs := func(chat string, role store.Role, township int64) {
		en.bind(t, e, chat, role, township, 0)
		chats[chat] = role
	}
	bindAs("officer", store.RoleOfficer, en.township)
	bindAs("liaison", store.RoleLiaison, en.township)
	bindAs("liaison2", store.RoleLiaison, en.township2)
	bindAs("official", store.RoleOfficial, 0)
	bindAs("unit", store.RoleUnit, 0)
	bindAs("admin", store.RoleAdmin, 0)
	// The two bodies are administrators who sit for one (migration 0026); a plain
	// administrator owns neither step 4 nor step 5 any more.
	for chat, body := range map[string]string{"leader": store.BodyLeadingGroup, "committee": store.BodyCommittee} {
		code, err := en.db.CreateInvitation(context.Background(), &store.Invitation{Role: store.RoleAdmin, Body: body, ExpiresAt: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		send(t, e, chat, "/bind "+code).must(t, "绑定成功")
		chats[chat] = store.RoleAdmin
	}
	send(t, e, "resident", "/start")
	chats["resident"] = ""

	send(t, e, "official", "/classify start 新站镇").must(t, "已开始 新站镇 的村级分类")
	owner := map[int]string{1: "liaison", 2: "official", 3: "unit", 4: "leader", 5: "committee"}
	ownerName := map[int]string{1: "巡察联络员", 2: "巡察工作人员", 3: "承办单位", 4: "巡察工作领导小组", 5: "市委"}
	stepName := map[int]string{1: "乡镇初步提出", 2: "巡察办实地调研", 3: "部门提出意见", 4: "领导小组调整", 5: "市委审定"}
	for step := 1; step <= 5; step++ {
		t.Run(fmt.Sprintf("step%d", step), func(t *testing.T) {
			before := en.count(t, `SELECT COUNT(*) FROM class_history`)
			for chat := range chats {
				if chat == owner[step] {
					continue
				}
				want := fmt.Sprintf("第 %d 步「%s」，这一步由%s办理", step, stepName[step], ownerName[step])
				if chat == "liaison2" && step == 1 {
					want = "由本乡镇的巡察联络员提出"
				}
				send(t, e, chat, "/classify 新站镇/胜利村 重点").must(t, want)
				// The advance button of the step is refused too.
				press(t, e, chat, fmt.Sprintf("rd:cl:1:%d", step)).must(t, want)
			}
			if n := en.count(t, `SELECT COUNT(*) FROM class_history`); n != before {
				t.Fatalf("a refused entry was recorded: %d rows, was %d", n, before)
			}
			r := send(t, e, owner[step], "/classify 新站镇/胜利村 重点 第"+fmt.Sprint(step)+"步")
			r.must(t, "胜利村 为重点村")
			press(t, e, owner[step], fmt.Sprintf("rd:cl:1:%d", step))
		})
	}
	if n := en.count(t, `SELECT COUNT(*) FROM villages WHERE name = '胜利村' AND class = 'key'`); n != 1 {
		t.Fatal("the approved class was not applied")
	}
	if n := en.count(t, `SELECT COUNT(*) FROM audit WHERE action = 'rounds.refused'`); n < 20 {
		t.Fatalf("%d refusals audited", n)
	}
	if n := en.count(t, `SELECT COUNT(*) FROM class_history`); n != 5 {
		t.Fatalf("history has %d entries, want one per step", n)
	}
}

// TestRectificationRefusals: units act only on their own items, officials only on the
// supervising side, residents on none.
func TestRectificationRefusals(t *testing.T) {
	en, e := newEngine(t)
	ctx := context.Background()
	if err := en.db.Update(ctx, func(tx *store.Tx) error {
		r := &store.RoundPlan{Round: store.Round{Name: "第五轮", StartsAt: time.Now(), EndsAt: time.Now().AddDate(0, 1, 0)}, Orgs: []string{"新站镇党委"}}
		if err := tx.CreateRoundPlan(r); err != nil {
			return err
		}
		return tx.CreateRectItem(&store.RectItem{RoundID: r.ID, Kind: store.RectTask, Unit: "新站镇党委", Title: "资金",
			PlanDueAt: time.Now().AddDate(0, 0, 14), DueAt: time.Now().AddDate(0, 2, 0)})
	}); err != nil {
		t.Fatal(err)
	}
	code, err := en.db.CreateInvitation(ctx, &store.Invitation{Role: store.RoleUnit, Unit: "市审计局", ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	send(t, e, "otherunit", "/bind "+code).must(t, "绑定成功")
	en.bind(t, e, "official", store.RoleOfficial, 0, 0)
	send(t, e, "resident", "/rectify").must(t, "巡察整改仅限")
	press(t, e, "otherunit", "rd:rp:1").must(t, "这项整改不属于您的单位")
	press(t, e, "official", "rd:rp:1").must(t, "这项整改不属于您的单位")
	press(t, e, "otherunit", "rd:rv:1").must(t, "仅限巡察工作人员")
	send(t, e, "otherunit", "/suggest 1 org 问题").must(t, "仅限巡察工作人员")
	send(t, e, "otherunit", "/rectify add 1 新站镇党委 问题").must(t, "仅限巡察工作人员")
	r := press(t, e, "official", "rd:rv:1")
	if !strings.Contains(r.text(), "实地督导") {
		t.Fatalf("official cannot record a visit: %s", r.text())
	}
	send(t, e, "official", "到村查看，已张贴公开栏。").must(t, "实地督导已记录")
	// Perfunctory rectification is escalated at once, to administrators and officials.
	en.bind(t, e, "admin", store.RoleAdmin, 0, 0)
	press(t, e, "official", "rd:rw:1")
	r = send(t, e, "official", "方案照抄反馈意见，无具体措施。")
	r.must(t, "已记录并提级督办")
	escalated := false
	for _, o := range r.others {
		escalated = escalated || strings.Contains(o.Text, "【整改提级督办】") && strings.Contains(o.Text, "整改敷衍")
	}
	if !escalated {
		t.Fatalf("no escalation sent: %+v", r.others)
	}
	if n := en.count(t, `SELECT COUNT(*) FROM rect_events WHERE kind IN ('visit', 'perfunctory', 'escalated')`); n != 3 {
		t.Fatalf("%d events", n)
	}
}
