package docx

import "strings"

// FromMarkdown reads the small Markdown the bot's own templates are written in (templates/):
// "# " the title, "## " a heading, "| … |" lines a table (the "|---|" line dropped), "- " an
// item, any other line a paragraph. It is not a Markdown parser: emphasis, links and nesting
// are kept as written.
func FromMarkdown(src string) Document {
	var d Document
	var table *Block
	for line := range strings.SplitSeq(strings.ReplaceAll(src, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") {
			table = nil
		}
		switch {
		case line == "":
		case strings.HasPrefix(line, "# "):
			d.Title = strings.TrimSpace(line[2:])
		case strings.HasPrefix(line, "## "):
			d.Blocks = append(d.Blocks, Block{Kind: Heading, Text: strings.TrimSpace(line[3:])})
		case strings.HasPrefix(line, "|"):
			cells := strings.Split(strings.Trim(line, "|"), "|")
			for i := range cells {
				cells[i] = strings.TrimSpace(cells[i])
			}
			if strings.Trim(strings.Join(cells, ""), "-: ") == "" {
				continue // the line under the header
			}
			if table == nil {
				d.Blocks = append(d.Blocks, Block{Kind: Table})
				table = &d.Blocks[len(d.Blocks)-1]
			}
			table.Rows = append(table.Rows, cells)
		case strings.HasPrefix(line, "- "):
			d.Blocks = append(d.Blocks, Block{Kind: Paragraph, Text: strings.TrimSpace(line[2:])})
		default:
			d.Blocks = append(d.Blocks, Block{Kind: Paragraph, Text: line})
		}
	}
	return d
}
