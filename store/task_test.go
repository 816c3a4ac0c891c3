package store

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// jurisdictions is a county with officers in two villages of T1, a liaison of T1, an officer
// of T2, a county official and an unreachable officer of V1.
type jurisdictions struct {
	places
	officerV1, officerV2, liaisonT1, officerT2, official        *Person
	chatV1, chatV2, chatLiaison, chatT2, chatOfficial, chatGone int64
}

func mustJurisdictions(tb testing.TB, db *DB) jurisdictions {
	tb.Helper()
	j := jurisdictions{places: mustPlaces(tb, db)}
	j.officerV1, j.chatV1 = mustPerson(tb, db, "officer-v1", RoleOfficer, j.T1, j.V1)
	j.officerV2, j.chatV2 = mustPerson(tb, db, "officer-v2", RoleOfficer, j.T1, j.V2)
	j.liaisonT1, j.chatLiaison = mustPerson(tb, db, "liaison-t1", RoleLiaison, j.T1, 0)
	j.officerT2, j.chatT2 = mustPerson(tb, db, "officer-t2", RoleOfficer, j.T2, j.V3)
	j.official, j.chatOfficial = mustPerson(tb, db, "official", RoleOfficial, 0, 0)
	_, j.chatGone = mustPerson(tb, db, "officer-gone", RoleOfficer, j.T1, j.V1)
	if err := db.MarkChatUnreachable(tb.Context(), j.chatGone); err != nil {
		tb.Fatal(err)
	}
	return j
}

// mustTask creates a task and returns the chats to notify.
func mustTask(tb testing.TB, db *DB, task *Task) []int64 {
	tb.Helper()
	return mustGet(tb, db, func(tx *Tx) ([]int64, error) { return tx.CreateTask(task) })
}

func taskIDs(ts []Task) []int64 { return ids(ts, func(t Task) int64 { return t.ID }) }

func TestCreateTask(t *testing.T) {
	db := MustOpenDB(t)
	setClock(db, t0)
	j := mustJurisdictions(t, db)

	t.Run("Village", func(t *testing.T) {
		task := &Task{TownshipID: j.T1, VillageID: j.V1, Title: "visit the well", DueAt: t0.Add(48 * time.Hour)}
		got := mustTask(t, db, task)
		if want := []int64{j.chatV1, j.chatLiaison}; !slices.Equal(got, want) {
			t.Fatalf("recipients = %v, want %v (officer V1, liaison T1; not officer V2 %d, T2 %d, official %d, unreachable %d)",
				got, want, j.chatV2, j.chatT2, j.chatOfficial, j.chatGone)
		}
		if task.ID == 0 || task.Status != "open" || !task.CreatedAt.Equal(t0) {
			t.Fatalf("task = %+v", task)
		}
	})

	t.Run("Township", func(t *testing.T) {
		got := mustTask(t, db, &Task{TownshipID: j.T1, Title: "township meeting"})
		if want := []int64{j.chatV1, j.chatV2, j.chatLiaison}; !slices.Equal(got, want) {
			t.Fatalf("recipients = %v, want %v", got, want)
		}
	})

	t.Run("OtherTownship", func(t *testing.T) {
		got := mustTask(t, db, &Task{TownshipID: j.T2, VillageID: j.V3, Title: "count ballots"})
		if want := []int64{j.chatT2}; !slices.Equal(got, want) {
			t.Fatalf("recipients = %v, want %v", got, want)
		}
	})

	t.Run("ErrTownship", func(t *testing.T) {
		err := db.Update(t.Context(), func(tx *Tx) error {
			_, err := tx.CreateTask(&Task{TownshipID: 999, Title: "nowhere"})
			return err
		})
		if err == nil {
			t.Fatal("CreateTask accepted an unknown township")
		}
	})
}

func TestTasksFor(t *testing.T) {
	db := MustOpenDB(t)
	setClock(db, t0)
	j := mustJurisdictions(t, db)
	due := t0.Add(72 * time.Hour)
	village := &Task{TownshipID: j.T1, VillageID: j.V1, Title: "village task", Body: "details", DueAt: due}
	township := &Task{TownshipID: j.T1, Title: "township task"}
	other := &Task{TownshipID: j.T2, Title: "other township task"}
	for _, task := range []*Task{village, township, other} {
		mustTask(t, db, task)
	}

	t.Run("OK", func(t *testing.T) {
		tests := []struct {
			name string
			p    *Person
			want []int64
		}{
			{"officer V1", j.officerV1, []int64{village.ID, township.ID}},
			{"officer V2", j.officerV2, []int64{township.ID}},
			{"liaison T1", j.liaisonT1, []int64{village.ID, township.ID}},
			{"officer T2", j.officerT2, []int64{other.ID}},
		}
		mustUpdate(t, db, func(tx *Tx) error {
			for _, tt := range tests {
				got, err := tx.TasksFor(tt.p)
				if err != nil {
					return err
				}
				if !slices.Equal(taskIDs(got), tt.want) {
					t.Errorf("TasksFor(%s) = %v, want %v", tt.name, taskIDs(got), tt.want)
				}
			}
			got, err := tx.FindTaskFor(j.officerV1, village.ID)
			if err != nil {
				return err
			}
			if got.Title != "village task" || got.Body != "details" || !got.DueAt.Equal(due) || got.VillageID != j.V1 || got.LastKind != "" {
				t.Errorf("FindTaskFor = %+v", got)
			}
			got, err = tx.FindTaskFor(j.officerV2, township.ID)
			if err != nil || got.ID != township.ID || !got.DueAt.IsZero() {
				t.Errorf("FindTaskFor(officer V2, township task) = %+v, %v", got, err)
			}
			return nil
		})
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		tests := []struct {
			name string
			p    *Person
			id   int64
		}{
			{"officer T2, village task of T1", j.officerT2, village.ID},
			{"officer T2, township task of T1", j.officerT2, township.ID},
			{"officer V2, task of V1", j.officerV2, village.ID},
			{"officer V1, task of T2", j.officerV1, other.ID},
			{"officer V1, unknown task", j.officerV1, 999},
		}
		mustUpdate(t, db, func(tx *Tx) error {
			for _, tt := range tests {
				if got, err := tx.FindTaskFor(tt.p, tt.id); !errors.Is(err, ErrNotFound) {
					t.Errorf("FindTaskFor(%s) = %+v, %v; want ErrNotFound", tt.name, got, err)
				}
			}
			return nil
		})
	})
}

func TestConfirmTask(t *testing.T) {
	db := MustOpenDB(t)
	c := setClock(db, t0)
	j := mustJurisdictions(t, db)
	task := &Task{TownshipID: j.T1, VillageID: j.V1, Title: "photograph the notice board"}
	mustTask(t, db, task)
	sha := mustGet(t, db, func(tx *Tx) (string, error) { return tx.PutBlob([]byte("photo"), "image/jpeg") })

	t.Run("OK", func(t *testing.T) {
		mustUpdate(t, db, func(tx *Tx) error { return tx.ConfirmTask(task.ID, j.officerV1.ID, TaskReceived, "", "") })
		c.advance(time.Hour)
		mustUpdate(t, db, func(tx *Tx) error { return tx.ConfirmTask(task.ID, j.officerV1.ID, TaskDone, "posted", sha) })
		mustUpdate(t, db, func(tx *Tx) error { return tx.ConfirmTask(task.ID, j.liaisonT1.ID, TaskHelp, "need ladder", "") })

		evs, err := db.TaskEvents(t.Context(), task.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []TaskEvent{
			{PersonID: j.officerV1.ID, Kind: TaskReceived, CreatedAt: t0},
			{PersonID: j.officerV1.ID, Kind: TaskDone, Note: "posted", SHA256: sha, CreatedAt: t0.Add(time.Hour)},
			{PersonID: j.liaisonT1.ID, Kind: TaskHelp, Note: "need ladder", CreatedAt: t0.Add(time.Hour)},
		}
		if !slices.Equal(evs, want) {
			t.Fatalf("TaskEvents = %+v\nwant %+v", evs, want)
		}
		mustUpdate(t, db, func(tx *Tx) error {
			for _, tc := range []struct {
				p    *Person
				want string
			}{{j.officerV1, TaskDone}, {j.liaisonT1, TaskHelp}} {
				got, err := tx.FindTaskFor(tc.p, task.ID)
				if err != nil {
					return err
				}
				if got.LastKind != tc.want {
					t.Errorf("LastKind for person %d = %q, want %q", tc.p.ID, got.LastKind, tc.want)
				}
			}
			return nil
		})
	})

	t.Run("ErrKind", func(t *testing.T) {
		err := db.Update(t.Context(), func(tx *Tx) error { return tx.ConfirmTask(task.ID, j.officerV1.ID, "maybe", "", "") })
		if err == nil {
			t.Fatal("ConfirmTask accepted an unknown kind")
		}
	})

	t.Run("Empty", func(t *testing.T) {
		evs, err := db.TaskEvents(t.Context(), 999)
		if err != nil || len(evs) != 0 {
			t.Fatalf("TaskEvents(999) = %v, %v", evs, err)
		}
	})
}

func TestCreateCheckin(t *testing.T) {
	db := MustOpenDB(t)
	setClock(db, t0)
	j := mustJurisdictions(t, db)
	ck := &Checkin{PersonID: j.officerV1.ID, TownshipID: j.T1, VillageID: j.V1, Visitors: 3, Problems: 1}
	mustUpdate(t, db, func(tx *Tx) error { return tx.CreateCheckin(ck) })
	if ck.ID == 0 || !ck.CreatedAt.Equal(t0) {
		t.Fatalf("checkin = %+v", ck)
	}
	if n := mustCount(t, db, `SELECT COUNT(*) FROM checkins WHERE id = ? AND visitors = 3 AND problems = 1 AND zero = 0 AND sha256 IS NULL`, ck.ID); n != 1 {
		t.Fatal("checkin not stored as given")
	}
}

func TestSubscribe(t *testing.T) {
	db := MustOpenDB(t)
	pl := mustPlaces(t, db)
	chat := mustChat(t, db, "telegram", "subscriber")
	stranger := mustChat(t, db, "telegram", "stranger")

	t.Run("OK", func(t *testing.T) {
		for range 2 {
			mustUpdate(t, db, func(tx *Tx) error {
				if err := tx.Subscribe(chat, pl.T1, pl.V1); err != nil {
					return err
				}
				return tx.Subscribe(chat, pl.T1, 0) // the whole township: NULL village
			})
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM subscriptions`); n != 2 {
			t.Fatalf("subscription rows = %d, want 2", n)
		}
		mustUpdate(t, db, func(tx *Tx) error {
			subs, err := tx.Subscriptions(chat)
			if err != nil {
				return err
			}
			if len(subs) != 2 || subs[0].TownshipID != pl.T1 || subs[0].VillageID != pl.V1 || subs[1].VillageID != 0 {
				t.Errorf("Subscriptions = %+v", subs)
			}
			none, err := tx.Subscriptions(stranger)
			if err != nil || len(none) != 0 {
				t.Errorf("Subscriptions(stranger) = %+v, %v", none, err)
			}
			return nil
		})
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		subs := mustGet(t, db, func(tx *Tx) ([]Subscription, error) { return tx.Subscriptions(chat) })
		if len(subs) == 0 {
			t.Fatal("no subscriptions to test with")
		}
		err := db.Update(t.Context(), func(tx *Tx) error { return tx.Unsubscribe(stranger, subs[0].ID) })
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("Unsubscribe of another chat's subscription = %v, want ErrNotFound", err)
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM subscriptions WHERE id = ?`, subs[0].ID); n != 1 {
			t.Fatal("another chat removed the subscription")
		}
		mustUpdate(t, db, func(tx *Tx) error { return tx.Unsubscribe(chat, subs[0].ID) })
		err = db.Update(t.Context(), func(tx *Tx) error { return tx.Unsubscribe(chat, subs[0].ID) })
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("second Unsubscribe = %v, want ErrNotFound", err)
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM subscriptions`); n != 1 {
			t.Fatalf("subscription rows = %d, want 1", n)
		}
	})
}

func TestAudit(t *testing.T) {
	db := MustOpenDB(t)
	c := setClock(db, t0)
	p, _ := mustPerson(t, db, "admin", RoleAdmin, 0, 0)
	mustUpdate(t, db, func(tx *Tx) error { return tx.Audit(p.ID, "cli", "invite", "officer", "T1") })
	c.advance(time.Minute)
	mustUpdate(t, db, func(tx *Tx) error { return tx.Audit(0, "telegram", "report", "r1", "") })

	t.Run("OK", func(t *testing.T) {
		log, err := db.AuditEntries(t.Context(), AuditFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != 3 || log[2].Action != "invitation.issued" {
			t.Fatalf("AuditEntries = %+v, want 3 entries, the invitation's issue first", log)
		}
		if log[0].Action != "report" || log[0].PersonID != 0 || !log[0].At.Equal(t0.Add(time.Minute)) {
			t.Errorf("newest entry = %+v", log[0])
		}
		if log[1].Action != "invite" || log[1].PersonID != p.ID || log[1].Channel != "cli" || log[1].Detail != "T1" {
			t.Errorf("oldest entry = %+v", log[1])
		}
		if one, err := db.AuditEntries(t.Context(), AuditFilter{Limit: 1}); err != nil || len(one) != 1 || one[0].ID != log[0].ID {
			t.Errorf("AuditEntries(Limit 1) = %+v, %v", one, err)
		}
	})

	t.Run("AppendOnly", func(t *testing.T) {
		for _, q := range []string{
			`UPDATE audit SET detail = 'forged'`,
			`DELETE FROM audit`,
			`DELETE FROM audit WHERE id = 1`,
		} {
			_, err := db.db.ExecContext(t.Context(), q)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s = %v, want an append-only error", q, err)
			}
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM audit WHERE detail != 'forged'`); n != 3 {
			t.Fatalf("audit rows intact = %d, want 3", n)
		}
	})
}
