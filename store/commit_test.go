package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
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
