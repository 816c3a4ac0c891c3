package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"sync"
)

// KeySize is the length of the master secret.
const KeySize = 32

// keys holds the two keys derived from the master secret: one seals values (AES-256-GCM),
// the other computes blind indexes (HMAC-SHA256) so that a sealed value can still be found.
// Deriving both from one secret keeps the operator's job to a single key to protect.
type keys struct {
	aead  cipher.AEAD
	index []byte
	// macs keeps keyed HMACs for reuse: Reset returns one to its keyed state, while hmac.New
	// hashes the key again each time. A step computes several blind indexes, inside the
	// single SQLite writer.
	macs sync.Pool
}

func newKeys(secret []byte) (*keys, error) {
	if len(secret) != KeySize {
		return nil, fmt.Errorf("secret key must be %d bytes, got %d", KeySize, len(secret))
	}
	block, err := aes.NewCipher(derive(secret, "xuncha seal v1"))
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("gcm: %w", err)
	}
	k := &keys{aead: aead, index: derive(secret, "xuncha index v1")}
	k.macs.New = func() any { return hmac.New(sha256.New, k.index) }
	return k, nil
}

func derive(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// seal encrypts plain; purpose is bound as associated data so that a value sealed for one
// column cannot be pasted into another.
func (k *keys) seal(purpose string, plain []byte) []byte {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // rand.Read never fails on supported platforms
	}
	return k.aead.Seal(nonce, nonce, plain, []byte(purpose))
}

var errOpen = errors.New("sealed value cannot be opened (wrong key or damaged data)")

func (k *keys) open(purpose string, sealed []byte) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n {
		return nil, errOpen
	}
	plain, err := k.aead.Open(nil, sealed[:n], sealed[n:], []byte(purpose))
	if err != nil {
		return nil, errOpen
	}
	return plain, nil
}

// hash is the blind index of value under a purpose.
func (k *keys) hash(purpose, value string) []byte {
	m := k.macs.Get().(hash.Hash)
	defer k.macs.Put(m)
	m.Reset()
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return m.Sum(nil)
}
