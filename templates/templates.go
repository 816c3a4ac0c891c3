// Package templates holds the document templates the bot hands out: the rectification plan
// and the progress report an inspected organisation fills in after a round's feedback.
package templates

import _ "embed"

// File is a template as the bot sends it.
type File struct {
	Name string // the name the recipient sees
	MIME string
	Data []byte
}

var (
	//go:embed rectification-plan.md
	plan []byte
	//go:embed rectification-progress.md
	progress []byte
)

// Rectification returns the rectification plan and progress report templates.
func Rectification() []File {
	return []File{
		{Name: "整改方案模板.md", MIME: "text/markdown; charset=utf-8", Data: plan},
		{Name: "整改进展报告模板.md", MIME: "text/markdown; charset=utf-8", Data: progress},
	}
}
