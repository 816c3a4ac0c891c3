package store

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestGroupCommit: concurrent Updates share transactions, yet each is all-or-nothing on its own:
// a failing or panicking call leaves no trace, the others in its batch commit, and a cancelled
// caller does not take the batch down.
func TestGroupCommit(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	boom := errors.New("boom")
	const n = 200
	var wg sync.WaitGroup
	errs := make([]error, n)
	panics := make([]any, n)
	for i := range n {
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			c := ctx
			if i%10 == 7 {
				c = cancelled
			}
			errs[i] = db.Update(c, func(tx *Tx) error {
				if err := tx.SetChannelState(fmt.Sprint("k", i), "v"); err != nil {
					return err
				}
				switch i % 10 {
				case 3:
					return boom // after a write: the write must be undone
				case 5:
					panic("step exploded")
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i := range n {
		v, err := db.ChannelState(ctx, fmt.Sprint("k", i))
		if err != nil {
			t.Fatal(err)
		}
		switch i % 10 {
		case 3:
			if !errors.Is(errs[i], boom) || v != "" {
				t.Errorf("call %d: err %v, value %q; want boom and nothing stored", i, errs[i], v)
			}
		case 5:
			if p, _ := panics[i].(string); !strings.Contains(p, "step exploded") || v != "" {
				t.Errorf("call %d: panic %v, value %q; want the panic in the caller and nothing stored", i, panics[i], v)
			}
		case 7:
			if !errors.Is(errs[i], context.Canceled) || v != "" {
				t.Errorf("call %d: err %v, value %q; want context.Canceled and nothing stored", i, errs[i], v)
			}
		default:
			if errs[i] != nil || panics[i] != nil || v != "v" {
				t.Errorf("call %d: err %v, panic %v, value %q; want it committed", i, errs[i], panics[i], v)
			}
		}
	}
}

// TestUpdateGoexit: a call that ends its goroutine with runtime.Goexit inside Update (a test's
// t.FailNow) fails in its caller, and the store goes on taking writes: the writer that ran it
// does not leave every later Update waiting for a batch that never ends.
func TestUpdateGoexit(t *testing.T) {
	db := MustOpenDB(t)
	got := make(chan any, 1)
	go func() {
		defer func() { got <- recover() }()
		db.Update(t.Context(), func(tx *Tx) error { runtime.Goexit(); return nil })
	}()
	select {
	case p := <-got:
		if s, _ := p.(string); !strings.Contains(s, "Goexit") {
			t.Errorf("the caller got %v; want a panic naming the Goexit", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the caller of the exited call is still waiting")
	}
	done := make(chan error, 1)
	go func() {
		done <- db.Update(t.Context(), func(tx *Tx) error { _, err := tx.exec(`SELECT 1`); return err })
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("an Update after the exited call never ran")
	}
}

// TestTxContended: a transaction of Update learns when another write waits for it to end, so a
// long job writing in pieces can end its piece early; alone, it is not contended.
func TestTxContended(t *testing.T) {
	db := MustOpenDB(t)
	var alone, waited bool
	other := make(chan error, 1)
	err := db.Update(t.Context(), func(tx *Tx) error {
		alone = tx.Contended()
		go func() { other <- db.Update(t.Context(), func(*Tx) error { return nil }) }()
		for deadline := time.Now().Add(5 * time.Second); !tx.Contended() && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		waited = tx.Contended()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-other; err != nil {
		t.Fatal(err)
	}
	if alone || !waited {
		t.Errorf("Contended: %v alone, %v with a write waiting; want false, true", alone, waited)
	}
}
