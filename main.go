// Command xuncha is the Xuncha bot: grassroots reporting and inspection supervision over
// Telegram, WeChat and a web chat, stored in SQLite.
package main

import (
	"context"
	"fmt"
	"os"
)

func main() {
	ctx := context.Background()
	if err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "xuncha:", err)
		os.Exit(1)
	}
}
