// Package templates holds the document templates the bot hands out: the rectification plan
// and the progress report an inspected organisation fills in after a round's feedback. They
// are written in Markdown here, for a readable diff, and handed out as Word documents (.docx,
// which WPS opens too) laid out like every document the bot writes (internal/docx).
package templates

import (
	_ "embed"
	"fmt"

	"xuncha/internal/docx"
)

// File is a template as the bot sends it.
type File struct {
	Name string // the name the recipient sees
	MIME string
	Data []byte
}

var (
	//go:embed rectification-plan.md
	plan string
	//go:embed rectification-progress.md
	progress string
)

// Rectification returns the rectification plan and progress report templates as .docx files.
// The same source makes the same bytes, so they are stored once however often they are sent.
func Rectification() ([]File, error) {
	var out []File
	for _, t := range []struct{ name, src string }{{"整改方案模板.docx", plan}, {"整改进展报告模板.docx", progress}} {
		data, err := docx.Bytes(docx.FromMarkdown(t.src))
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", t.name, err)
		}
		out = append(out, File{Name: t.name, MIME: docx.MIME, Data: data})
	}
	return out, nil
}
