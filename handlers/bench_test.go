package handlers_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"xuncha/handlers"
	"xuncha/store/storetest"
)

// BenchmarkStep is one durable conversation step with no platform around it: a new chat's
// /start (inbox claim, chat row, state, outbox row, one transaction). Compare with
// store's BenchmarkDurableInsert, the disk's own rate for one-row transactions.
//
//	go test -run '^$' -bench 'BenchmarkStep$' -benchtime 3000x -count 3 ./handlers/
func BenchmarkStep(b *testing.B) {
	ctx := context.Background()
	db := storetest.Open(b, "")
	e := handlers.New(slog.New(slog.DiscardHandler), db, withCategories(b, handlers.Config{}))
	for i := 0; b.Loop(); i++ {
		chat := fmt.Sprint("bench-", i)
		if _, err := e.Handle(ctx, handlers.Message{Platform: "web", ChatID: chat, MsgID: chat, Text: "/start"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}
