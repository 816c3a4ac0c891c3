// Package docxtest reads back the Word documents the letters are sent as, and the parts of any
// Office file, for the tests of every package that sends, serves or cleans one.
package docxtest

import (
	"archive/zip"
	"bytes"
	"io"
	"testing"
)

// Parts unzips an Office file (.docx, .xlsx, .pptx: each is a zip of XML parts) and returns
// every part by its name.
func Parts(t testing.TB, data []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("not an Office file: %v", err)
	}
	parts := map[string]string{}
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatalf("read %s: %v", f.Name, err)
		}
		parts[f.Name] = string(b)
	}
	return parts
}

// Document unzips a .docx and returns word/document.xml, failing the test unless the package
// has its content types and relationships: the parts Word and WPS need to open it.
func Document(t testing.TB, data []byte) string {
	t.Helper()
	parts := Parts(t, data)
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "word/_rels/document.xml.rels", "word/document.xml"} {
		if parts[name] == "" {
			t.Fatalf("the .docx has no %s", name)
		}
	}
	return parts["word/document.xml"]
}
