package bot

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"slices"
)

// wxCipher is safe mode's message encryption for one EncodingAESKey, as WeChat's WXBizMsgCrypt
// defines it: AES-256-CBC with the key's first 16 bytes as the IV, PKCS#7 padding to 32 bytes,
// over random(16) + the message's length (4, big-endian) + the message + the AppID. It is what
// util.DecryptMsg and util.EncryptMsg compute (TestWeChatCipher checks it against them), with
// the key decoded and its schedule built once instead of on every callback.
type wxCipher struct {
	block cipher.Block
	iv    []byte
}

const wxPadBlock = 32 // PKCS#7 block of WXBizMsgCrypt: 32 bytes, not AES's 16

var errWXCipher = errors.New("wechat message does not decrypt")

// newWXCipher builds the cipher of an EncodingAESKey (43 characters of base64).
func newWXCipher(encodingKey string) (*wxCipher, error) {
	if err := ValidateWeChatAESKey(encodingKey); err != nil {
		return nil, err
	}
	key, err := base64.StdEncoding.DecodeString(encodingKey + "=")
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return &wxCipher{block: block, iv: key[:aes.BlockSize]}, nil
}

// decrypt returns the message inside a callback's Encrypt element, refusing one made for
// another AppID.
func (c *wxCipher) decrypt(appID, encrypted string) ([]byte, error) {
	buf := make([]byte, base64.StdEncoding.DecodedLen(len(encrypted)))
	n, err := base64.StdEncoding.Decode(buf, []byte(encrypted))
	if err != nil {
		return nil, errWXCipher
	}
	buf = buf[:n]
	if len(buf) < wxPadBlock || len(buf)%wxPadBlock != 0 {
		return nil, errWXCipher
	}
	cipher.NewCBCDecrypter(c.block, c.iv).CryptBlocks(buf, buf)
	pad := int(buf[len(buf)-1])
	if pad < 1 || pad > wxPadBlock {
		return nil, errWXCipher
	}
	buf = buf[:len(buf)-pad]
	if len(buf) <= 20 {
		return nil, errWXCipher
	}
	end := 20 + int(binary.BigEndian.Uint32(buf[16:20]))
	if len(buf) <= end || string(buf[end:]) != appID {
		return nil, errWXCipher
	}
	return buf[20:end:end], nil
}

// encrypt returns the base64 Encrypt element of a reply, random being its 16 random bytes.
func (c *wxCipher) encrypt(random, plain []byte, appID string) []byte {
	size := 20 + len(plain) + len(appID)
	pad := wxPadBlock - size%wxPadBlock
	buf := make([]byte, size+pad)
	copy(buf, random[:16])
	binary.BigEndian.PutUint32(buf[16:20], uint32(len(plain)))
	copy(buf[20:], plain)
	copy(buf[20+len(plain):], appID)
	for i := size; i < len(buf); i++ {
		buf[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(c.block, c.iv).CryptBlocks(buf, buf)
	out := make([]byte, base64.StdEncoding.EncodedLen(len(buf)))
	base64.StdEncoding.Encode(out, buf)
	return out
}

// wxSignature is WeChat's signature of a callback or reply: the SHA-1, in hex, of its parts
// sorted and joined (util.Signature, without its allocations).
func wxSignature(parts ...string) string {
	slices.Sort(parts)
	h := sha1.New()
	for _, p := range parts {
		h.Write([]byte(p))
	}
	var sum [sha1.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}
