package handlers

import (
	"crypto/sha256"
	"encoding/hex"

	"xuncha/store"
	"xuncha/templates"
)

// rectTemplate is a template file with the attachment that names its blob.
type rectTemplate struct {
	Name string
	store.Attachment
	data []byte
}

// rectTemplates returns the rectification templates; putTemplates stores their bytes.
func rectTemplates() ([]rectTemplate, error) {
	files, err := templates.Rectification()
	if err != nil {
		return nil, err
	}
	var out []rectTemplate
	for _, f := range files {
		sum := sha256.Sum256(f.Data)
		out = append(out, rectTemplate{Name: f.Name, data: f.Data,
			Attachment: store.Attachment{SHA256: hex.EncodeToString(sum[:]), Name: f.Name, MIME: f.MIME, Size: int64(len(f.Data))}})
	}
	return out, nil
}

// putTemplates stores the template files as blobs, so that outbox messages can carry them,
// and returns them.
func putTemplates(tx *store.Tx) ([]rectTemplate, error) {
	files, err := rectTemplates()
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if _, err := tx.PutBlob(f.data, f.MIME); err != nil {
			return nil, err
		}
	}
	return files, nil
}
