package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"xuncha/handlers"
	"xuncha/internal/syncbuf"
	"xuncha/store"
)

// TestDeskLinkCommand: `xuncha desk link --person ID` prints a link that signs that person in
// once, and refuses a person the rule book keeps off the desk.
func TestDeskLinkCommand(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "x.db")
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"XUNCHA_SECRET_KEY": hex.EncodeToString(key)}
	getenv := func(name string) string { return env[name] }
	cli := func(args ...string) (string, error) {
		var out, errOut syncbuf.Buffer
		err := run(ctx, append([]string{"xuncha"}, args...), getenv, strings.NewReader(""), &out, &errOut)
		return out.String(), err
	}
	db, err := store.Open(ctx, dbPath, key)
	if err != nil {
		t.Fatal(err)
	}
	people := map[store.Role]int64{}
	for _, role := range []store.Role{store.RoleAdmin, store.RoleOfficer} {
		inv := &store.Invitation{Role: role, ExpiresAt: time.Now().Add(time.Hour)}
		if role == store.RoleOfficer {
			if _, err := db.ImportPlaces(ctx, []store.PlaceRow{{Township: "新站镇", Village: "东风村", Class: "key"}}); err != nil {
				t.Fatal(err)
			}
			inv.TownshipID, inv.VillageID, _ = db.FindPlaceByName(ctx, "新站镇", "东风村")
		}
		code, err := db.CreateInvitation(ctx, inv)
		if err != nil {
			t.Fatal(err)
		}
		err = db.Update(ctx, func(tx *store.Tx) error {
			chat, err := tx.EnsureChat(handlers.PlatformTelegram, string(role), "zh", false)
			if err != nil {
				return err
			}
			p, err := tx.RedeemInvitation(code, chat.ID)
			if err == nil {
				people[role] = p.ID
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	out, err := cli("desk", "link", "--db", dbPath, "--person", itoa(people[store.RoleAdmin]), "--desk-url", "https://xuncha.example.org")
	if err != nil {
		t.Fatalf("desk link: %v", err)
	}
	link := regexp.MustCompile(`https://xuncha\.example\.org/desk/signin\?t=\S+`).FindString(out)
	if link == "" {
		t.Fatalf("no link printed: %s", out)
	}
	u, _ := url.Parse(link)
	db, err = store.Open(ctx, dbPath, key)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(ctx, func(tx *store.Tx) error {
		pid, _, err := tx.RedeemDeskLink(u.Query().Get("t"), time.Hour)
		if err != nil || pid != people[store.RoleAdmin] {
			t.Errorf("the printed link: person %d, %v", pid, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := cli("desk", "link", "--db", dbPath, "--person", itoa(people[store.RoleOfficer])); err == nil || !strings.Contains(err.Error(), "officer") {
		t.Errorf("a link for an information officer: %v", err)
	}
	if _, err := cli("desk", "link", "--db", dbPath, "--person", "999"); err == nil {
		t.Error("a link for no person")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
