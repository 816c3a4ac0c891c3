// Package media removes identifying metadata from uploaded evidence files.
//
// Residents upload photos as evidence. A photo's metadata (EXIF GPS position,
// camera serial number, capture time, editing software, embedded thumbnails)
// can identify the person who took it, so every image must lose that metadata
// before anyone else sees it.
//
// Scrubbing is lossless: the compressed pixel data is never decoded or
// re-encoded. Each supported container format is walked structurally and only
// whole metadata segments/chunks/blocks are dropped; everything that is kept is
// copied byte-for-byte. Re-encoding would lose quality (which matters for
// evidence) and would still need the same care not to copy metadata across.
//
// Formats whose metadata cannot be removed this way (TIFF and camera RAW files,
// HEIC/HEIF/AVIF, JPEG 2000, JPEG XL, Photoshop, icons) are refused with
// ErrUnsupportedImage rather than passed through, because passing them through
// would leak exactly what this package exists to remove.
package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ErrMalformed is returned (wrapped with %w and a short prefix) for an image
// that cannot be parsed, e.g. a truncated file or a segment/chunk length that
// runs past the end of the data.
var ErrMalformed = errors.New("malformed image")

// ErrUnsupportedImage is returned (wrapped with %w and the detected MIME type)
// for an image format that may carry identifying metadata but that Scrub
// cannot clean losslessly (e.g. TIFF, which stores EXIF natively, or HEIC).
// Callers should refuse such uploads and ask for a JPEG/PNG/WebP/GIF instead.
var ErrUnsupportedImage = errors.New("unsupported image format")

// MIME types returned by Scrub for formats it detects itself (in addition to
// whatever http.DetectContentType reports).
const (
	mimeJPEG = "image/jpeg"
	mimePNG  = "image/png"
	mimeGIF  = "image/gif"
	mimeWebP = "image/webp"
	mimeBMP  = "image/bmp"
)

// Scrub returns data with identifying metadata removed and the detected MIME type.
// Non-image data (PDF, Word, plain text, ...) is returned unchanged with its detected type.
//
// For JPEG, PNG, WebP and GIF the result is a new slice containing the same
// image with metadata removed; pixels are never re-encoded. BMP and non-image
// data are returned as-is (the returned slice aliases data). Any bytes after
// an image's end marker (JPEG EOI, PNG IEND, GIF trailer, RIFF end) are
// dropped, since appended trailers are a known way to smuggle extra images and
// metadata past naive tools.
//
// On error clean is nil, mime still reports the detected type, and err wraps
// either ErrMalformed or ErrUnsupportedImage. Scrub never panics, and for any
// input it accepts, Scrub(clean) returns clean unchanged.
func Scrub(data []byte) (clean []byte, mime string, err error) {
	mime = detect(data)
	switch mime {
	case mimeJPEG:
		clean, err = scrubJPEG(data)
	case mimePNG:
		clean, err = scrubPNG(data)
	case mimeWebP:
		clean, err = scrubWebP(data)
	case mimeGIF:
		clean, err = scrubGIF(data)
	case mimeBMP:
		// BMP has no metadata container worth stripping (at most an
		// embedded ICC colour profile in V5 headers), so it passes as-is.
		return data, mime, nil
	default:
		if strings.HasPrefix(mime, "image/") {
			return nil, mime, fmt.Errorf("media: %s: %w", mime, ErrUnsupportedImage)
		}
		return data, mime, nil
	}
	if err != nil {
		return nil, mime, err
	}
	return clean, mime, nil
}

// malformed builds an ErrMalformed-wrapping error with a short prefix.
func malformed(format string, args ...any) error {
	return fmt.Errorf("media: "+format+": %w", append(args, ErrMalformed)...)
}

// detect returns the MIME type of data. It recognises a few image formats
// itself before deferring to http.DetectContentType: WebP (the stdlib only
// matches "RIFF....WEBPVP"), and formats that the stdlib does not know but
// that carry EXIF and would otherwise slip through as
// "application/octet-stream" (TIFF/RAW, HEIC/AVIF from phones, etc.).
func detect(data []byte) string {
	switch {
	case len(data) >= 12 && string(data[0:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return mimeWebP
	case hasPrefix(data, "II*\x00"), hasPrefix(data, "MM\x00*"),
		hasPrefix(data, "II+\x00"), hasPrefix(data, "MM\x00+"): // TIFF, BigTIFF, most camera RAW (DNG, CR2, NEF, ARW)
		return "image/tiff"
	case hasPrefix(data, "\x00\x00\x00\x0cjP  \r\n\x87\n"):
		return "image/jp2"
	case hasPrefix(data, "\xff\x0a"), hasPrefix(data, "\x00\x00\x00\x0cJXL \r\n\x87\n"):
		return "image/jxl"
	case hasPrefix(data, "8BPS"):
		return "image/vnd.adobe.photoshop"
	}
	if m := detectHEIF(data); m != "" {
		return m
	}
	return http.DetectContentType(data)
}

func hasPrefix(data []byte, p string) bool {
	return len(data) >= len(p) && string(data[:len(p)]) == p
}

// detectHEIF recognises ISO-BMFF files whose "ftyp" box names a HEIF or AVIF
// brand. iPhones save photos as HEIC by default, with full EXIF inside, so
// they must be refused rather than passed through as an unknown binary.
func detectHEIF(data []byte) string {
	if len(data) < 16 || string(data[4:8]) != "ftyp" {
		return ""
	}
	size := int(binary.BigEndian.Uint32(data[0:4]))
	if size < 16 || size > len(data) {
		size = min(len(data), 256)
	}
	avif, heif := false, false
	for off := 8; off+4 <= size; off += 4 {
		if off == 12 {
			continue // minor version, not a brand
		}
		switch string(data[off : off+4]) {
		case "avif", "avis":
			avif = true
		case "heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs", "mif1", "msf1":
			heif = true
		}
	}
	switch {
	case avif:
		return "image/avif"
	case heif:
		return "image/heif"
	}
	return ""
}

// ---------------------------------------------------------------------------
// JPEG

// JPEG marker codes (the byte following 0xFF).
const (
	jpegTEM  = 0x01
	jpegRST0 = 0xD0
	jpegRST7 = 0xD7
	jpegSOI  = 0xD8
	jpegEOI  = 0xD9
	jpegSOS  = 0xDA
	jpegAPP0 = 0xE0
	jpegAPP1 = 0xE1
	jpegAPP2 = 0xE2
	jpegAP14 = 0xEE
	jpegAP15 = 0xEF
	jpegCOM  = 0xFE
)

// jfifPayloadLen is the size of a JFIF APP0 payload without a thumbnail:
// "JFIF\0", version(2), units(1), Xdensity(2), Ydensity(2), Xthumb(1), Ythumb(1).
const jfifPayloadLen = 14

// scrubJPEG walks the marker segments of a JPEG and drops the ones that can
// carry identifying data: APP1 (EXIF, XMP), APP2 other than ICC (MPF,
// FlashPix), APP3..APP15 except Adobe APP14 (APP13 holds IPTC/Photoshop data),
// COM, and non-JFIF APP0 (e.g. JFXX thumbnails). Everything else, including
// the entropy-coded scan data, is copied unchanged. Bytes after EOI are
// dropped: the Multi-Picture Format and "motion photos" append further
// images/videos there, each with its own metadata.
func scrubJPEG(data []byte) ([]byte, error) {
	if len(data) < 2 || data[0] != 0xFF || data[1] != jpegSOI {
		return nil, malformed("jpeg: missing SOI")
	}
	out := make([]byte, 0, len(data))
	out = append(out, 0xFF, jpegSOI)
	seenSOS := false
	i := 2
	for {
		if i >= len(data) {
			if seenSOS {
				// A missing EOI after scan data is common in the wild
				// (truncated uploads) and leaves nothing unscrubbed, so
				// tolerate it rather than refuse the evidence.
				return out, nil
			}
			return nil, malformed("jpeg: no image data")
		}
		if data[i] != 0xFF {
			return nil, malformed("jpeg: expected marker at offset %d", i)
		}
		// Any number of 0xFF fill bytes may precede a marker; they carry
		// nothing and are not reproduced.
		for i < len(data) && data[i] == 0xFF {
			i++
		}
		if i >= len(data) {
			return nil, malformed("jpeg: truncated marker")
		}
		m := data[i]
		i++
		switch {
		case m == 0x00:
			return nil, malformed("jpeg: invalid marker 0xFF00 at offset %d", i-2)
		case m == jpegEOI:
			return append(out, 0xFF, m), nil
		case m == jpegSOI || m == jpegTEM || (m >= jpegRST0 && m <= jpegRST7):
			// Stand-alone markers: no length field follows.
			out = append(out, 0xFF, m)
			continue
		}

		// Every other marker is followed by a big-endian length that
		// counts itself but not the marker.
		if len(data)-i < 2 {
			return nil, malformed("jpeg: truncated segment length at offset %d", i)
		}
		n := int(data[i])<<8 | int(data[i+1])
		if n < 2 || n > len(data)-i {
			return nil, malformed("jpeg: segment 0x%02X length %d exceeds data at offset %d", m, n, i)
		}
		seg := data[i : i+n] // length field + payload
		payload := seg[2:]
		i += n

		switch {
		case m == jpegAPP0:
			// Keep JFIF (pixel density / aspect ratio), but without its
			// optional thumbnail: a thumbnail can show the uncropped
			// original of an image that was cropped to hide something.
			if len(payload) >= jfifPayloadLen && string(payload[:5]) == "JFIF\x00" {
				out = append(out, 0xFF, m, 0, jfifPayloadLen+2)
				out = append(out, payload[:jfifPayloadLen-2]...)
				out = append(out, 0, 0) // thumbnail width, height
			}
		case m == jpegAPP2:
			// ICC profiles describe the colours; without them wide-gamut
			// (e.g. Display P3 phone) photos render wrongly. They describe
			// a colour space, not the person or device instance.
			if bytes.HasPrefix(payload, []byte("ICC_PROFILE\x00")) {
				out = append(out, 0xFF, m)
				out = append(out, seg...)
			}
		case m == jpegAP14:
			// The Adobe segment says whether the data is RGB, YCbCr or
			// YCCK; decoders need it to get CMYK/RGB JPEG colours right.
			if bytes.HasPrefix(payload, []byte("Adobe")) {
				out = append(out, 0xFF, m)
				out = append(out, seg...)
			}
		case m >= jpegAPP1 && m <= jpegAP15, m == jpegCOM:
			// EXIF/XMP (APP1), MPF/FlashPix (APP2), IPTC (APP13), vendor
			// data and comments: dropped.
		default:
			// Tables, frame headers, SOS, restart interval, ...
			out = append(out, 0xFF, m)
			out = append(out, seg...)
		}

		if m == jpegSOS {
			seenSOS = true
			end := jpegScanEnd(data, i)
			out = append(out, data[i:end]...)
			i = end
		}
	}
}

// jpegScanEnd returns the offset of the first byte (the first 0xFF of any
// fill run) of the marker that ends the entropy-coded data starting at i, or
// len(data) if the data ends first. Inside scan data 0xFF is always followed
// by a stuffed 0x00 or a restart marker RSTn; any other byte is a real marker.
func jpegScanEnd(data []byte, i int) int {
	for i < len(data) {
		k := bytes.IndexByte(data[i:], 0xFF)
		if k < 0 {
			return len(data)
		}
		start := i + k
		j := start + 1
		for j < len(data) && data[j] == 0xFF {
			j++
		}
		if j >= len(data) {
			return len(data)
		}
		if b := data[j]; b == 0x00 || (b >= jpegRST0 && b <= jpegRST7) {
			i = j + 1
			continue
		}
		return start
	}
	return len(data)
}

// ---------------------------------------------------------------------------
// PNG

const pngSignature = "\x89PNG\r\n\x1a\n"

// pngDropChunks are the PNG chunk types that carry metadata: EXIF, the three
// text chunk kinds (author, software, free-form comments, XMP lives in iTXt)
// and the last-modification time.
var pngDropChunks = map[string]bool{
	"eXIf": true,
	"tEXt": true,
	"iTXt": true,
	"zTXt": true,
	"tIME": true,
}

// scrubPNG walks the PNG chunks and drops metadata chunks. Kept chunks are
// copied byte-for-byte, so their CRCs stay valid. Data after IEND is dropped.
func scrubPNG(data []byte) ([]byte, error) {
	if !hasPrefix(data, pngSignature) {
		return nil, malformed("png: bad signature")
	}
	out := make([]byte, 0, len(data))
	out = append(out, pngSignature...)
	i := len(pngSignature)
	for {
		if len(data)-i < 12 {
			return nil, malformed("png: truncated chunk header at offset %d", i)
		}
		n := binary.BigEndian.Uint32(data[i : i+4])
		// The spec caps chunk lengths at 2^31-1; comparing as uint64
		// avoids int overflow on 32-bit platforms.
		if n > 1<<31-1 || uint64(n) > uint64(len(data)-i-12) {
			return nil, malformed("png: chunk length %d exceeds data at offset %d", n, i)
		}
		total := 12 + int(n) // length + type + data + CRC
		chunk := data[i : i+total]
		typ := string(chunk[4:8])
		i += total
		if !pngDropChunks[typ] {
			out = append(out, chunk...)
		}
		if typ == "IEND" {
			return out, nil
		}
	}
}

// ---------------------------------------------------------------------------
// WebP

// VP8X feature flags that announce metadata chunks.
const (
	vp8xFlagEXIF = 0x08
	vp8xFlagXMP  = 0x04
)

// scrubWebP walks the chunks of a RIFF/WEBP file, drops the "EXIF" and
// "XMP " chunks, clears the matching flags in VP8X (readers may otherwise
// look for chunks that are gone) and rewrites the RIFF size. Chunks are
// padded to an even size; the pad byte is part of the chunk we keep or drop.
// Data after the end announced by the RIFF header is dropped.
func scrubWebP(data []byte) ([]byte, error) {
	if len(data) < 12 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		return nil, malformed("webp: bad RIFF header")
	}
	riffSize := binary.LittleEndian.Uint32(data[4:8])
	if riffSize < 4 || uint64(riffSize) > uint64(len(data)-8) {
		return nil, malformed("webp: RIFF size %d does not match data length %d", riffSize, len(data))
	}
	end := 8 + int(riffSize)

	out := make([]byte, 0, end)
	out = append(out, data[:12]...) // size fixed up below
	for i := 12; i < end; {
		if end-i < 8 {
			return nil, malformed("webp: truncated chunk header at offset %d", i)
		}
		fourCC := string(data[i : i+4])
		n := uint64(binary.LittleEndian.Uint32(data[i+4 : i+8]))
		padded := n + n&1
		if padded > uint64(end-i-8) {
			return nil, malformed("webp: chunk %q size %d exceeds data at offset %d", fourCC, n, i)
		}
		chunk := data[i : i+8+int(padded)]
		i += len(chunk)

		switch fourCC {
		case "EXIF", "XMP ":
			// Metadata: dropped.
		case "VP8X":
			if n < 10 {
				return nil, malformed("webp: VP8X chunk too short")
			}
			start := len(out)
			out = append(out, chunk...)
			out[start+8] &^= vp8xFlagEXIF | vp8xFlagXMP
		default:
			out = append(out, chunk...)
		}
	}
	binary.LittleEndian.PutUint32(out[4:8], uint32(len(out)-8))
	return out, nil
}

// ---------------------------------------------------------------------------
// GIF

// GIF block introducers and extension labels.
const (
	gifExtension   = 0x21
	gifImage       = 0x2C
	gifTrailer     = 0x3B
	gifComment     = 0xFE
	gifApplication = 0xFF
)

// scrubGIF walks the GIF block structure and drops Comment Extensions and
// Application Extensions other than the animation-loop ones (NETSCAPE2.0,
// ANIMEXTS1.0); XMP is stored as the application extension "XMP DataXMP".
// Everything else is copied unchanged. Data after the trailer is dropped.
func scrubGIF(data []byte) ([]byte, error) {
	// Header (6) + logical screen descriptor (7).
	if len(data) < 13 || (string(data[:6]) != "GIF87a" && string(data[:6]) != "GIF89a") {
		return nil, malformed("gif: bad header")
	}
	i := 13
	if flags := data[10]; flags&0x80 != 0 {
		i += 3 << (flags&0x07 + 1) // global colour table
	}
	if i > len(data) {
		return nil, malformed("gif: truncated global colour table")
	}
	out := make([]byte, 0, len(data))
	out = append(out, data[:i]...)
	for {
		if i >= len(data) {
			return nil, malformed("gif: missing trailer")
		}
		start := i
		switch data[i] {
		case gifTrailer:
			return append(out, gifTrailer), nil

		case gifExtension:
			if len(data)-i < 2 {
				return nil, malformed("gif: truncated extension at offset %d", i)
			}
			label := data[i+1]
			end, err := gifSubBlocksEnd(data, i+2)
			if err != nil {
				return nil, err
			}
			i = end
			keep := true
			switch label {
			case gifComment:
				keep = false
			case gifApplication:
				// First sub-block: 8-byte identifier + 3-byte auth code.
				b := data[start+2 : end]
				keep = len(b) >= 12 && b[0] == 11 &&
					(string(b[1:12]) == "NETSCAPE2.0" || string(b[1:12]) == "ANIMEXTS1.0")
			}
			if keep {
				out = append(out, data[start:end]...)
			}

		case gifImage:
			// Separator (1) + left, top, width, height (8) + flags (1).
			if len(data)-i < 10 {
				return nil, malformed("gif: truncated image descriptor at offset %d", i)
			}
			flags := data[i+9]
			i += 10
			if flags&0x80 != 0 {
				i += 3 << (flags&0x07 + 1) // local colour table
			}
			i++ // LZW minimum code size
			if i > len(data) {
				return nil, malformed("gif: truncated image at offset %d", start)
			}
			end, err := gifSubBlocksEnd(data, i)
			if err != nil {
				return nil, err
			}
			i = end
			out = append(out, data[start:end]...)

		default:
			return nil, malformed("gif: unknown block 0x%02X at offset %d", data[i], i)
		}
	}
}

// gifSubBlocksEnd returns the offset just past the sequence of data
// sub-blocks (each a length byte followed by that many bytes) starting at i,
// including the terminating zero-length block.
func gifSubBlocksEnd(data []byte, i int) (int, error) {
	for {
		if i >= len(data) {
			return 0, malformed("gif: truncated data sub-blocks")
		}
		n := int(data[i])
		i++
		if n == 0 {
			return i, nil
		}
		if n > len(data)-i {
			return 0, malformed("gif: sub-block exceeds data at offset %d", i-1)
		}
		i += n
	}
}
