package store

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkDurableInsert is the baseline for every durable step: one single-row INSERT
// transaction on this store's connection settings (WAL, synchronous=FULL, _txlock=immediate),
// on the same disk as the tests. Steps, receipts and sends are measured against it.
//
//	go test -run '^$' -bench DurableInsert -benchtime 3000x -count 3 ./store/
func BenchmarkDurableInsert(b *testing.B) {
	db := MustOpenDB(b)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		err := db.Update(ctx, func(tx *Tx) error {
			_, err := tx.exec(`INSERT INTO channel_state (key, value, updated_at) VALUES (?, 'x', 0)`, fmt.Sprint("bench-", i))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
}
