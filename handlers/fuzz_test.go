package handlers_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"xuncha/handlers"
	"xuncha/store"
	"xuncha/store/storetest"
)

// steps are the button presses and texts that walk a chat to each step of each flow, so that
// the fuzzed input lands on every step, not only the first.
var fuzzPaths = [][]string{
	{},
	{"/report"},
	{"/report", "#c:interests"},
	{"/report", "#c:interests", "#t:1"},
	{"/report", "#c:interests", "#t:1", "#v:1"},
	{"/report", "#c:interests", "#t:1", "#v:1", "村会计"},
	{"/report", "#c:interests", "#t:1", "#v:1", "村会计", "短"},
	{"/report", "#c:interests", "#t:1", "#v:1", "村会计", "补贴被截留了很多年，每户都少发了钱"},
	{"/report", "#c:interests", "#t:1", "#v:1", "村会计", "2024年3月补贴被截留，每户少发200元", "#done"},
	{"/report", "#c:interests", "#t:1", "#v:1", "村会计", "2024年3月补贴被截留，每户少发200元", "#done", "#id:named"},
	{"/report", "#c:interests", "#t:1", "#v:1", "村会计", "2024年3月补贴被截留，每户少发200元", "#done", "#id:named", "张三"},
	{"/report", "#c:interests", "#t:1", "#v:1", "村会计", "2024年3月补贴被截留，每户少发200元", "#done", "#id:anon"},
	{"/report", "#c:interests", "#t:1", "#v:1", "村会计", "2024年3月补贴被截留，每户少发200元", "#done", "#id:anon", "#link:none"},
	{"/report", "#c:interests", "#t:1", "#v:1", "村会计", "2024年3月补贴被截留，每户少发200元", "#done", "#id:anon", "#link:none", "#edit"},
	{"/query"},
	{"/subscribe"},
	{"/subscribe", "#t:1"},
	{"/unsubscribe"},
	{"/lang"},
}

// FuzzStep sends fuzzed text and button data at every step of every flow. Whatever arrives, a
// step must not fail or panic, must answer in valid UTF-8 within the platforms' limits, and
// must offer only button data that fits Telegram's 64 bytes.
//
//	go test -run '^$' -fuzz FuzzStep -fuzztime 1000000x ./handlers/
func FuzzStep(f *testing.F) {
	for i := range fuzzPaths {
		f.Add(uint8(i), "你好", "")
		f.Add(uint8(i), "", "ok")
		f.Add(uint8(i), "1234 5678 9012 3456", "")
		f.Add(uint8(i), "/bind abcdefghijklmnop", "")
		f.Add(uint8(i), "<script>alert(1)</script>'; DROP TABLE reports;--", "")
		f.Add(uint8(i), "", "e:description")
		f.Add(uint8(i), "", "v:999999999999")
		f.Add(uint8(i), "13812345678", "")
	}
	ctx := context.Background()
	// Fuzzing measures inputs, not the disk: on tmpfs, when there is one, a synced commit costs
	// microseconds instead of a real fsync, and each worker process gets its own database.
	dir, err := os.MkdirTemp(fuzzTmp(), "xuncha-fuzz-")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { os.RemoveAll(dir) })
	db, err := store.Open(ctx, filepath.Join(dir, "fuzz.db"), storetest.Key)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	if _, err := db.ImportPlaces(ctx, []store.PlaceRow{{Township: "新站镇", Village: "东风村", Class: "key"}}); err != nil {
		f.Fatal(err)
	}
	e := handlers.New(slog.New(slog.DiscardHandler), db, withCategories(f, handlers.Config{Scrub: func(b []byte) ([]byte, string, error) { return b, "image/png", nil }}))
	// Walk each path once and keep the state it leaves; every execution starts a new chat in
	// one of those states, so that it costs one step instead of the whole walk.
	states := make([][]byte, len(fuzzPaths))
	for i, path := range fuzzPaths {
		chat := fmt.Sprintf("seed-%d", i)
		for j, step := range path {
			m := handlers.Message{Platform: "web", ChatID: chat, MsgID: fmt.Sprintf("%s-%d", chat, j)}
			if d, ok := strings.CutPrefix(step, "#"); ok {
				m.Data = d
			} else {
				m.Text = step
			}
			if _, err := e.Handle(ctx, m); err != nil {
				f.Fatal(err)
			}
		}
		err := db.Update(ctx, func(tx *store.Tx) error {
			c, err := tx.EnsureChat("web", chat, "zh", false)
			if err != nil {
				return err
			}
			states[i], err = tx.LoadConversation(c.ID)
			return err
		})
		if err != nil {
			f.Fatal(err)
		}
	}
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, path uint8, text, data string) {
		chat := fmt.Sprintf("fuzz-%d", n.Add(1))
		err := db.Update(ctx, func(tx *store.Tx) error {
			c, err := tx.EnsureChat("web", chat, "zh", false)
			if err != nil {
				return err
			}
			return tx.SaveConversation(c.ID, states[int(path)%len(states)])
		})
		if err != nil {
			t.Fatal(err)
		}
		send := func(text, data string) handlers.Result {
			res, err := e.Handle(ctx, handlers.Message{Platform: "web", ChatID: chat, MsgID: chat, Text: text, Data: data})
			if err != nil {
				t.Fatalf("step %q/%q: %v", text, data, err)
			}
			return res
		}
		res := send(text, data)
		for _, o := range res.Out {
			if o.Text == "" || !utf8.ValidString(o.Text) {
				t.Fatalf("answer %q to %q/%q", o.Text, text, data)
			}
			for _, row := range o.Buttons {
				for _, b := range row {
					if len(b.Data) == 0 || len(b.Data) > 64 {
						t.Fatalf("button %q has %d bytes of data", b.Text, len(b.Data))
					}
				}
			}
		}
	})
}

// fuzzTmp is /dev/shm where it exists (Linux), else the default temporary directory.
func fuzzTmp() string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		return "/dev/shm"
	}
	return ""
}
