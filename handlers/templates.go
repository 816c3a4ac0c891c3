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

// rectTemplates returns the rectification templates; PutTemplates stores their bytes.
func rectTemplates() []rectTemplate {
	var out []rectTemplate
	for _, f := range templates.Rectification() {
		sum := sha256.Sum256(f.Data)
		out = append(out, rectTemplate{Name: f.Name, data: f.Data,
			Attachment: store.Attachment{SHA256: hex.EncodeToString(sum[:]), Name: f.Name, MIME: f.MIME, Size: int64(len(f.Data))}})
	}
	return out
}

// PutTemplates stores the template files as blobs, so that outbox messages can carry them.
func PutTemplates(tx *store.Tx) error {
	for _, f := range rectTemplates() {
		if _, err := tx.PutBlob(f.data, f.MIME); err != nil {
			return err
		}
	}
	return nil
}
