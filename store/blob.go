package store

import (
	"database/sql"
	"errors"
	"fmt"
)

// BlobInfo returns a stored file's type and size.
func (tx *Tx) BlobInfo(sha string) (mime string, size int64, err error) {
	err = tx.queryRow(`SELECT mime, size FROM blobs WHERE sha256 = ?`, sha).Scan(&mime, &size)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, ErrNotFound
	}
	if err != nil {
		return "", 0, fmt.Errorf("blob info: %w", err)
	}
	return mime, size, nil
}
