package handlers

import "xuncha/internal/textsafe"

// cleanInput strips control and bidi characters from what a chat sent (its text, button data
// and file names) before any step sees it: a resident's report is kept, only cleaned, so that
// no name, subject or file name shown to an official or written to an export reads other
// than it is (textsafe).
func cleanInput(m Message) Message {
	m.Text = textsafe.Strip(m.Text)
	m.Data = textsafe.Strip(m.Data)
	if len(m.Files) > 0 {
		files := make([]File, len(m.Files))
		for i, f := range m.Files {
			f.Name = textsafe.Strip(f.Name)
			files[i] = f
		}
		m.Files = files
	}
	return m
}
