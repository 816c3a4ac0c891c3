package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"xuncha/internal/textsafe"
)

// checkInput refuses a command whose flags, environment variables or arguments hold control or
// bidi characters (textsafe): what an administrator types lands in names, titles and notes
// that officials read and export. Line breaks and tabs may stay (a --body is free text); the
// commands check their one-line fields with checkLine.
func checkInput(fs *flag.FlagSet, args []string) error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if err := textsafe.CheckText(f.Value.String()); err != nil {
			errs = append(errs, fmt.Errorf("--%s (%s) %w", f.Name, envName(f.Name), err))
		}
	})
	for i, a := range args {
		if err := textsafe.CheckText(a); err != nil {
			errs = append(errs, fmt.Errorf("argument %d %w", i+1, err))
		}
	}
	return errors.Join(errs...)
}

// checkLine refuses a one-line field (a title, a note) holding a line break, a tab or anything
// checkInput refuses; flag names the flag.
func checkLine(flag, v string) error {
	if err := textsafe.CheckLine(v); err != nil {
		return fmt.Errorf("--%s %w", flag, err)
	}
	return nil
}

// readText reads a text file given on the command line (an announcement's body): line ends
// normalised, a byte-order mark dropped, and refused with its line number when it holds control
// or bidi characters.
func readText(flag, path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("--%s: %w", flag, err)
	}
	s := textsafe.Lines(string(b))
	for n, line := range strings.Split(s, "\n") {
		if err := textsafe.CheckText(line); err != nil {
			return "", fmt.Errorf("--%s %s: line %d %w", flag, path, n+1, err)
		}
	}
	return s, nil
}
