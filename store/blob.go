package store

// BlobInfo returns a stored file's type and size.
func (tx *Tx) BlobInfo(sha string) (mime string, size int64, err error) {
	err = tx.queryRow(`SELECT mime, size FROM blobs WHERE sha256 = ?`, sha).Scan(&mime, &size)
	if err != nil {
		return "", 0, rowErr("blob info", err)
	}
	return mime, size, nil
}
