package bot

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"xuncha/bot/telegramtest"
	"xuncha/handlers"
)

// acquireSoon tries for a slot briefly: nil when it did not come.
func acquireSoon(t *testing.T, u *Uploads, n int64) *UploadSlot {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	s, err := u.Acquire(ctx, n)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
	return s
}

func TestUploadsBounds(t *testing.T) {
	t.Run("Count", func(t *testing.T) {
		u := NewUploads(2, 100)
		a, b := acquireSoon(t, u, 1), acquireSoon(t, u, 1)
		if a == nil || b == nil {
			t.Fatal("two small files within the bound were not admitted")
		}
		if acquireSoon(t, u, 1) != nil {
			t.Fatal("a third file was admitted with two slots")
		}
		a.Release()
		a.Release() // a second release gives nothing more back
		if acquireSoon(t, u, 1) == nil {
			t.Fatal("a released slot was not reused")
		}
		if acquireSoon(t, u, 1) != nil {
			t.Fatal("a double release counted twice")
		}
	})
	t.Run("Bytes", func(t *testing.T) {
		u := NewUploads(4, 100)
		a := acquireSoon(t, u, 70)
		if acquireSoon(t, u, 40) != nil {
			t.Fatal("110 bytes admitted within a budget of 100")
		}
		a.Shrink(50)
		if acquireSoon(t, u, 40) == nil {
			t.Fatal("the room a shrunk slot gave back was not reused")
		}
		if s := acquireSoon(t, u, 1000); s != nil {
			t.Fatal("a file larger than the budget was admitted beside others")
		}
	})
	t.Run("InOrder", func(t *testing.T) {
		u := NewUploads(4, 100)
		a := acquireSoon(t, u, 60)
		big := make(chan *UploadSlot)
		go func() {
			s, _ := u.Acquire(t.Context(), 80)
			big <- s
		}()
		for { // wait until the large file queues
			u.mu.Lock()
			n := len(u.waiting)
			u.mu.Unlock()
			if n == 1 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		if acquireSoon(t, u, 10) != nil {
			t.Fatal("a small file overtook a waiting large one")
		}
		a.Release()
		if s := <-big; s == nil {
			t.Fatal("the large file got no slot")
		}
	})
}

// TestUploadsSharedByChannels: Telegram downloads and WeChat images take their room from the
// same bound as the web chat's uploads. While a web upload holds the only slot, neither channel
// downloads its photo; once it is released, both are fetched and answered.
func TestUploadsSharedByChannels(t *testing.T) {
	u := NewUploads(1, handlers.MaxFileBytes)
	web := acquireSoon(t, u, handlers.MaxFileBytes) // a web upload on its way
	if web == nil {
		t.Fatal("no slot")
	}
	png := pngBytes(t)

	fake := telegramtest.Start(t, testToken)
	tg := newTGFixture(t, fake, filepath.Join(t.TempDir(), "tg.db"), TelegramConfig{Uploads: u})
	fake.AddFile("photo-1", png)
	fake.AddUpdate(telegramtest.Photo(501, 7001, "photo-1", len(png), "村口路灯坏了"))
	tg.start()

	wx := newWXFixture(t, WeChatConfig{Uploads: u})
	wx.start()
	wx.fake.AddMedia("img-1", png)
	if reply := wx.post(wx.cb.Image("oShared", wx.nextID.Add(1), "img-1")); reply != "" {
		t.Errorf("an image got a passive reply %q; want success", reply)
	}

	time.Sleep(500 * time.Millisecond)
	if n, m := len(fake.Calls("download")), len(wx.fake.Calls("/cgi-bin/media/get")); n+m != 0 {
		t.Fatalf("with the only slot held: %d Telegram and %d WeChat downloads", n, m)
	}
	web.Release()
	waitFor(t, "the Telegram photo answered", func() bool { return len(fake.SentTo(7001)) > 0 })
	wx.waitSent("oShared", 0, "", "")
	if n, m := len(fake.Calls("download")), len(wx.fake.Calls("/cgi-bin/media/get")); n != 1 || m != 1 {
		t.Errorf("after the release: %d Telegram and %d WeChat downloads; want 1 each", n, m)
	}
}
