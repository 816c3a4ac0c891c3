package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// TestCheckpointWhenQuiet: commits leave the log to be copied into the database file later —
// none of them runs a checkpoint, however many pages they wrote — and the store copies it
// once writes pause for checkpointQuiet, or at the latest checkpointMaxDelay after the first
// commit under steady writes.
func TestCheckpointWhenQuiet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ckpt.db")
		db := mustOpenPath(t, path, testKey)
		size := func() int64 {
			t.Helper()
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			return fi.Size()
		}
		value := strings.Repeat("x", 4000)
		n := 0
		write := func(rows int) {
			t.Helper()
			mustUpdate(t, db, func(tx *Tx) error {
				for range rows {
					n++
					if err := tx.SetChannelState(fmt.Sprintf("test.%d", n), value); err != nil {
						return err
					}
				}
				return nil
			})
		}
		time.Sleep(2 * checkpointMaxDelay) // what Open wrote is copied
		synctest.Wait()
		before := size()
		for range 12 { // 6 MB of log in 12 commits: six times SQLite's default threshold
			write(128)
		}
		if grown := size() - before; grown != 0 {
			t.Fatalf("the commits checkpointed the log themselves: the file grew by %d bytes", grown)
		}
		time.Sleep(checkpointQuiet / 2)
		synctest.Wait()
		if grown := size() - before; grown != 0 {
			t.Fatalf("checkpointed %s after the last commit (file grew by %d), want after %s", checkpointQuiet/2, grown, checkpointQuiet)
		}
		time.Sleep(checkpointQuiet)
		synctest.Wait()
		if grown := size() - before; grown < 6<<20 {
			t.Fatalf("after %s of quiet the file grew by %d bytes, want the 6 MB of the log", checkpointQuiet*3/2, grown)
		}

		// Steady writes, never quiet for checkpointQuiet: copied by checkpointMaxDelay.
		before = size()
		start := time.Now()
		for time.Since(start) < checkpointMaxDelay+checkpointQuiet {
			write(8)
			time.Sleep(checkpointQuiet / 2)
			synctest.Wait()
			if size() > before {
				break
			}
		}
		if took := time.Since(start); size() == before || took < checkpointMaxDelay-checkpointQuiet {
			t.Errorf("under steady writes the log was copied after %s (file %d → %d bytes), want about %s", took, before, size(), checkpointMaxDelay)
		}
	})
}
