package store

import (
	"context"
	"crypto/rand"
	"errors"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// places is the fixture of townships and villages most tests share.
type places struct {
	T1, T2     int64 // townships
	V1, V2, V3 int64 // V1, V2 in T1; V3 in T2
}

// mustOpenPlaces opens a new database whose clock stands at t0, with the places of mustPlaces.
func mustOpenPlaces(tb testing.TB) (*DB, *clock, places) {
	tb.Helper()
	db := MustOpenDB(tb)
	clk := setClock(db, t0)
	return db, clk, mustPlaces(tb, db)
}

// mustPlaces imports two townships with three villages.
func mustPlaces(tb testing.TB, db *DB) places {
	tb.Helper()
	ctx := context.Background()
	if _, err := db.ImportPlaces(ctx, []PlaceRow{
		{Township: "东城镇", Village: "一村", Class: "key"},
		{Township: "东城镇", Village: "二村", Class: "general"},
		{Township: "西山乡", Village: "三村", Class: "general"},
	}); err != nil {
		tb.Fatalf("import places: %v", err)
	}
	var p places
	var err error
	if p.T1, p.V1, err = db.FindPlaceByName(ctx, "东城镇", "一村"); err != nil {
		tb.Fatal(err)
	}
	if _, p.V2, err = db.FindPlaceByName(ctx, "东城镇", "二村"); err != nil {
		tb.Fatal(err)
	}
	if p.T2, p.V3, err = db.FindPlaceByName(ctx, "西山乡", "三村"); err != nil {
		tb.Fatal(err)
	}
	return p
}

// mustInvite creates an invitation valid for a week from db.Now and returns its code.
func mustInvite(tb testing.TB, db *DB, role Role, township, village int64) (string, *Invitation) {
	tb.Helper()
	inv := &Invitation{Role: role, TownshipID: township, VillageID: village, ExpiresAt: db.Now().Add(7 * 24 * time.Hour)}
	code, err := db.CreateInvitation(context.Background(), inv)
	if err != nil {
		tb.Fatalf("create invitation: %v", err)
	}
	return code, inv
}

// mustPerson creates a chat and binds it to a new person of role and jurisdiction.
func mustPerson(tb testing.TB, db *DB, external string, role Role, township, village int64) (*Person, int64) {
	tb.Helper()
	code, _ := mustInvite(tb, db, role, township, village)
	chat := mustChat(tb, db, "telegram", external)
	p := mustGet(tb, db, func(tx *Tx) (*Person, error) { return tx.RedeemInvitation(code, chat) })
	return p, chat
}

// redeem tries a code and commits whatever the redemption did, even on error, so that the
// test sees what RedeemInvitation itself changed (not only what a rollback undid).
func redeem(tb testing.TB, db *DB, code string, chat int64) (*Person, error) {
	tb.Helper()
	var p *Person
	var rerr error
	mustUpdate(tb, db, func(tx *Tx) error {
		p, rerr = tx.RedeemInvitation(code, chat)
		return nil
	})
	return p, rerr
}

func invitationUsed(tb testing.TB, db *DB, id int64) bool {
	tb.Helper()
	return mustCount(tb, db, `SELECT COUNT(*) FROM invitations WHERE id = ? AND used_at IS NOT NULL`, id) == 1
}

func TestCreateInvitation(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		db, _, pl := mustOpenPlaces(t)
		code, inv := mustInvite(t, db, RoleOfficer, pl.T1, pl.V1)
		if !regexp.MustCompile(`^[a-z2-7]{16}$`).MatchString(code) {
			t.Fatalf("code = %q, want 16 lower-case base32 characters", code)
		}
		if inv.ID == 0 || !inv.CreatedAt.Equal(t0) {
			t.Fatalf("invitation = %+v", inv)
		}
		code2, _ := mustInvite(t, db, RoleOfficer, pl.T1, pl.V1)
		if code2 == code {
			t.Fatal("two invitations got the same code")
		}
	})

	t.Run("ErrRole", func(t *testing.T) {
		db := MustOpenDB(t)
		_, err := db.CreateInvitation(t.Context(), &Invitation{Role: "king", ExpiresAt: time.Now().Add(time.Hour)})
		if err == nil {
			t.Fatal("CreateInvitation accepted an unknown role")
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM invitations`); n != 0 {
			t.Fatalf("invitations = %d, want 0", n)
		}
	})

	t.Run("CodeNotOnDisk", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "inv.db")
		db := mustOpenPath(t, path, testKey)
		inv := &Invitation{Role: RoleOfficial, Note: "note-in-clear-8080", ExpiresAt: time.Now().Add(time.Hour)}
		code, err := db.CreateInvitation(t.Context(), inv)
		if err != nil {
			t.Fatal(err)
		}
		present, absent := []string{"note-in-clear-8080"}, []string{code, strings.ToUpper(code)}
		assertFile(t, path, present, absent)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		assertFile(t, path, present, absent)
	})
}

func TestRedeemInvitation(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		db, _, pl := mustOpenPlaces(t)
		code, inv := mustInvite(t, db, RoleOfficer, pl.T1, pl.V1)
		chat := mustChat(t, db, "telegram", "officer")
		p, err := redeem(t, db, code, chat)
		if err != nil {
			t.Fatalf("redeem: %v", err)
		}
		if p.ID == 0 || p.Role != RoleOfficer || p.TownshipID != pl.T1 || p.VillageID != pl.V1 {
			t.Fatalf("person = %+v", p)
		}
		if n := mustCount(t, db, `SELECT person_id FROM chats WHERE id = ?`, chat); int64(n) != p.ID {
			t.Fatalf("chat.person_id = %d, want %d", n, p.ID)
		}
		if !invitationUsed(t, db, inv.ID) {
			t.Fatal("invitation not marked used")
		}
		mustUpdate(t, db, func(tx *Tx) error {
			got, err := tx.FindPerson(p.ID)
			if err != nil {
				return err
			}
			if got.Role != RoleOfficer || got.TownshipID != pl.T1 || got.VillageID != pl.V1 || !got.CreatedAt.Equal(t0) {
				t.Errorf("FindPerson = %+v", got)
			}
			c, err := tx.EnsureChat("telegram", "officer", "zh", false)
			if err != nil {
				return err
			}
			if c.PersonID != p.ID {
				t.Errorf("EnsureChat PersonID = %d, want %d", c.PersonID, p.ID)
			}
			if _, err := tx.FindPerson(p.ID + 100); !errors.Is(err, ErrNotFound) {
				t.Errorf("FindPerson(unknown) = %v, want ErrNotFound", err)
			}
			return nil
		})
	})

	t.Run("CountyWide", func(t *testing.T) {
		db := MustOpenDB(t)
		p, _ := mustPerson(t, db, "official", RoleOfficial, 0, 0)
		if p.TownshipID != 0 || p.VillageID != 0 {
			t.Fatalf("person = %+v, want no township or village", p)
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM people WHERE id = ? AND township_id IS NULL AND village_id IS NULL`, p.ID); n != 1 {
			t.Fatal("county-wide person not stored with NULL township and village")
		}
	})

	t.Run("Normalized", func(t *testing.T) {
		db := MustOpenDB(t)
		pl := mustPlaces(t, db)
		code, _ := mustInvite(t, db, RoleLiaison, pl.T1, 0)
		typed := "  " + strings.ToUpper(code[:4]) + " " + code[4:8] + "-" + strings.ToUpper(code[8:12]) + " " + code[12:] + " "
		p, err := redeem(t, db, typed, mustChat(t, db, "telegram", "liaison"))
		if err != nil {
			t.Fatalf("redeem %q: %v", typed, err)
		}
		if p.Role != RoleLiaison || p.TownshipID != pl.T1 || p.VillageID != 0 {
			t.Fatalf("person = %+v", p)
		}
	})

	t.Run("ErrInvitationUsed", func(t *testing.T) {
		db := MustOpenDB(t)
		code, _ := mustInvite(t, db, RoleOfficial, 0, 0)
		if _, err := redeem(t, db, code, mustChat(t, db, "telegram", "a")); err != nil {
			t.Fatal(err)
		}
		b := mustChat(t, db, "telegram", "b")
		if _, err := redeem(t, db, code, b); !errors.Is(err, ErrInvitationUsed) {
			t.Fatalf("second redemption = %v, want ErrInvitationUsed", err)
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM chats WHERE id = ? AND person_id IS NULL`, b); n != 1 {
			t.Fatal("second chat got bound")
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM people`); n != 1 {
			t.Fatalf("people = %d, want 1", n)
		}
	})

	t.Run("ErrInvitationExpired", func(t *testing.T) {
		db := MustOpenDB(t)
		c := setClock(db, t0)
		code, inv := mustInvite(t, db, RoleOfficial, 0, 0)
		chat := mustChat(t, db, "telegram", "late")
		for _, at := range []time.Time{inv.ExpiresAt, inv.ExpiresAt.Add(time.Second), inv.ExpiresAt.Add(365 * 24 * time.Hour)} {
			c.now = at
			if _, err := redeem(t, db, code, chat); !errors.Is(err, ErrInvitationExpired) {
				t.Fatalf("redeem at %v (expires %v) = %v, want ErrInvitationExpired", at, inv.ExpiresAt, err)
			}
		}
		if invitationUsed(t, db, inv.ID) {
			t.Fatal("expired invitation marked used")
		}
		c.now = inv.ExpiresAt.Add(-time.Second)
		if _, err := redeem(t, db, code, chat); err != nil {
			t.Fatalf("redeem one second before expiry: %v", err)
		}
	})

	t.Run("ErrInvitationRevoked", func(t *testing.T) {
		db := MustOpenDB(t)
		code, inv := mustInvite(t, db, RoleAdmin, 0, 0)
		if _, err := db.RevokeInvitation(t.Context(), strings.ToUpper(code), "cli", ""); err != nil {
			t.Fatalf("revoke: %v", err)
		}
		if _, err := redeem(t, db, code, mustChat(t, db, "telegram", "x")); !errors.Is(err, ErrInvitationRevoked) {
			t.Fatalf("redeem revoked = %v, want ErrInvitationRevoked", err)
		}
		if invitationUsed(t, db, inv.ID) {
			t.Fatal("revoked invitation marked used")
		}
		if _, err := db.RevokeInvitation(t.Context(), code, "cli", ""); !errors.Is(err, ErrNotFound) {
			t.Fatalf("second revoke = %v, want ErrNotFound", err)
		}
		if _, err := db.RevokeInvitation(t.Context(), "nosuchcodeatall2", "cli", ""); !errors.Is(err, ErrNotFound) {
			t.Fatalf("revoke unknown = %v, want ErrNotFound", err)
		}
	})

	t.Run("ErrInvitationInvalid", func(t *testing.T) {
		db := MustOpenDB(t)
		code, inv := mustInvite(t, db, RoleOfficial, 0, 0)
		raw := make([]byte, 10)
		rand.Read(raw)
		forged := invitationEncoding.EncodeToString(raw)
		flipped := code[:15] + "a" // the real code with its last character changed
		if code[15] == 'a' {
			flipped = code[:15] + "b"
		}
		chat := mustChat(t, db, "telegram", "forger")
		for _, c := range []string{forged, flipped, "", code + "a", code[:15]} {
			if c == code {
				t.Fatalf("forged code equals the real one: %q", c)
			}
			if _, err := redeem(t, db, c, chat); !errors.Is(err, ErrInvitationInvalid) {
				t.Errorf("redeem %q = %v, want ErrInvitationInvalid", c, err)
			}
		}
		if invitationUsed(t, db, inv.ID) {
			t.Fatal("invitation used by a forged code")
		}
	})

	t.Run("ErrAlreadyBound", func(t *testing.T) {
		db := MustOpenDB(t)
		first, _ := mustInvite(t, db, RoleOfficial, 0, 0)
		second, inv2 := mustInvite(t, db, RoleAdmin, 0, 0)
		chat := mustChat(t, db, "telegram", "bound")
		p, err := redeem(t, db, first, chat)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := redeem(t, db, second, chat); !errors.Is(err, ErrAlreadyBound) {
			t.Fatalf("redeem on a bound chat = %v, want ErrAlreadyBound", err)
		}
		if invitationUsed(t, db, inv2.ID) {
			t.Fatal("second invitation marked used though the chat was already bound")
		}
		if n := mustCount(t, db, `SELECT person_id FROM chats WHERE id = ?`, chat); int64(n) != p.ID {
			t.Fatalf("chat.person_id = %d, want still %d", n, p.ID)
		}
		// The unused invitation still works for another chat.
		p2, err := redeem(t, db, second, mustChat(t, db, "telegram", "other"))
		if err != nil || p2.Role != RoleAdmin {
			t.Fatalf("second invitation on a free chat = %+v, %v", p2, err)
		}
	})
}

func TestNormalizeInvitationCode(t *testing.T) {
	checkStrings(t, "NormalizeInvitationCode", NormalizeInvitationCode, []stringCase{
		{"abcd2345efgh6789", "abcd2345efgh6789"},
		{"ABCD 2345 EFGH 6789", "abcd2345efgh6789"},
		{"abcd-2345-efgh-6789", "abcd2345efgh6789"},
		{" aBcD ", "abcd"},
		{"", ""},
	})
}

func TestValidRole(t *testing.T) {
	for _, r := range Roles {
		if !ValidRole(r) {
			t.Errorf("ValidRole(%q) = false", r)
		}
	}
	for _, r := range []Role{"", "Officer", "resident"} {
		if ValidRole(r) {
			t.Errorf("ValidRole(%q) = true", r)
		}
	}
}

func TestChatsOfRoles(t *testing.T) {
	db := MustOpenDB(t)
	pl := mustPlaces(t, db)
	_, official := mustPerson(t, db, "official", RoleOfficial, 0, 0)
	_, unit1 := mustPerson(t, db, "unit1", RoleUnit, pl.T1, 0)
	_, unit2 := mustPerson(t, db, "unit2", RoleUnit, pl.T2, 0)
	_, gone := mustPerson(t, db, "gone", RoleOfficial, 0, 0)
	mustChat(t, db, "telegram", "resident")
	if err := db.MarkChatUnreachable(t.Context(), gone); err != nil {
		t.Fatal(err)
	}

	t.Run("OK", func(t *testing.T) {
		mustUpdate(t, db, func(tx *Tx) error {
			got, err := tx.ChatsOfRoles(pl.T1, RoleOfficial, RoleUnit)
			if err != nil {
				return err
			}
			if want := []int64{official, unit1}; !slices.Equal(got, want) {
				t.Errorf("ChatsOfRoles(T1) = %v, want %v (unit2 %d is of T2, %d unreachable)", got, want, unit2, gone)
			}
			got, err = tx.ChatsOfRoles(pl.T2, RoleUnit)
			if err != nil {
				return err
			}
			if want := []int64{unit2}; !slices.Equal(got, want) {
				t.Errorf("ChatsOfRoles(T2, unit) = %v, want %v", got, want)
			}
			return nil
		})
	})
	t.Run("NoRoles", func(t *testing.T) {
		mustUpdate(t, db, func(tx *Tx) error {
			got, err := tx.ChatsOfRoles(pl.T1)
			if err != nil || len(got) != 0 {
				t.Errorf("ChatsOfRoles() = %v, %v; want none", got, err)
			}
			return nil
		})
	})
}
