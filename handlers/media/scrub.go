// Package media decides which uploaded files may be kept, and removes identifying metadata
// from the ones that are.
//
// Residents upload evidence. A file's metadata (an EXIF or QuickTime GPS position, a camera
// serial number, a document's author, a colour profile named after its maker) can identify
// the person who made it, so the decision is a whitelist made by CONTENT, never by file name
// or the type a platform announced:
//
//   - JPEG, PNG, WebP and GIF images are rewritten keeping only what is needed to draw them;
//   - Word (.docx) and Excel (.xlsx) documents are rewritten without their document
//     properties, custom XML and the names of authors and reviewers, and their embedded
//     pictures are cleaned like any other picture;
//   - plain UTF-8 text is kept as it is;
//   - everything else is refused with ErrNotAccepted: PDF, every audio and video container
//     (MP4, MOV, 3GP, AVI, Matroska/WebM, ...), HEIC/AVIF, TIFF and camera RAW (CR2, CR3,
//     DNG, ...), old binary Office files, archives and whatever cannot be recognised. These
//     keep metadata in places that cannot be removed without understanding the whole
//     format, and an unknown file passed through would leak exactly what this package
//     exists to remove.
//
// Cleaning is lossless: compressed pixel data is never decoded or re-encoded. Each accepted
// container is walked structurally and only the parts on its whitelist are copied,
// byte-for-byte; re-encoding would lose quality (which matters for evidence) and would still
// need the same care not to copy metadata across.
package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// ErrMalformed is returned (wrapped with %w and a short prefix) for a file of an accepted
// kind that cannot be parsed, e.g. a truncated image or a chunk length that runs past the
// end of the data.
var ErrMalformed = errors.New("malformed file")

// ErrNotAccepted is returned (wrapped with %w and the detected MIME type) for a file that is
// not of an accepted kind, or that holds a part this package cannot clean (a video inside a
// Word document). Callers refuse such uploads and say which kinds are accepted.
var ErrNotAccepted = errors.New("file kind not accepted")

// MIME types of the accepted kinds, as Scrub returns them.
const (
	MIMEJPEG = "image/jpeg"
	MIMEPNG  = "image/png"
	MIMEGIF  = "image/gif"
	MIMEWebP = "image/webp"
	MIMEDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	MIMEXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	MIMEText = "text/plain; charset=utf-8"
)

// Extension returns the file name extension, with its dot, for a MIME type Scrub accepts:
// stored files get a neutral name and this extension, never the uploader's file name.
func Extension(mime string) string {
	switch mime {
	case MIMEJPEG:
		return ".jpg"
	case MIMEPNG:
		return ".png"
	case MIMEGIF:
		return ".gif"
	case MIMEWebP:
		return ".webp"
	case MIMEDOCX:
		return ".docx"
	case MIMEXLSX:
		return ".xlsx"
	case MIMEText:
		return ".txt"
	}
	return ""
}

// Scrub returns a clean copy of data and its MIME type, or an error when the file is not
// kept.
//
// For JPEG, PNG, WebP and GIF the result is a new slice containing the same image without
// metadata; pixels are never re-encoded. Any bytes after an image's end (JPEG EOI, PNG IEND,
// GIF trailer, RIFF end) are dropped, since appended trailers are a known way to smuggle
// extra images and metadata past naive tools. Word and Excel documents are rebuilt (see
// scrubOffice). Plain UTF-8 text is returned as it is (the slice aliases data).
//
// On error clean is nil, mime still names the detected type (for the log), and err wraps
// either ErrMalformed or ErrNotAccepted. Scrub never panics, and for any input it accepts,
// Scrub(clean) returns clean unchanged.
func Scrub(data []byte) (clean []byte, mime string, err error) {
	mime = detect(data)
	switch mime {
	case MIMEJPEG, MIMEPNG, MIMEWebP, MIMEGIF:
		clean, err = scrubImage(mime, data)
	case MIMEDOCX, MIMEXLSX:
		clean, err = scrubOffice(data)
	case MIMEText:
		clean = data
	default:
		err = fmt.Errorf("media: %s: %w", mime, ErrNotAccepted)
	}
	if err != nil {
		return nil, mime, err
	}
	return clean, mime, nil
}

// scrubImage cleans an image of one of the accepted kinds.
func scrubImage(mime string, data []byte) ([]byte, error) {
	switch mime {
	case MIMEJPEG:
		return scrubJPEG(data)
	case MIMEPNG:
		return scrubPNG(data)
	case MIMEWebP:
		return scrubWebP(data)
	case MIMEGIF:
		return scrubGIF(data)
	}
	return nil, fmt.Errorf("media: %s: %w", mime, ErrNotAccepted)
}

// malformed builds an ErrMalformed-wrapping error with a short prefix.
func malformed(format string, args ...any) error {
	return fmt.Errorf("media: "+format+": %w", append(args, ErrMalformed)...)
}

// detect returns the MIME type of data, from its content alone. Only the accepted kinds
// matter for the decision; the others are named as well as cheaply possible, for the log.
func detect(data []byte) string {
	switch {
	case len(data) >= 12 && string(data[0:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		// The standard library matches only "RIFF....WEBPVP", not every WebP.
		return MIMEWebP
	case hasPrefix(data, "II*\x00"), hasPrefix(data, "MM\x00*"),
		hasPrefix(data, "II+\x00"), hasPrefix(data, "MM\x00+"): // TIFF, BigTIFF, most camera RAW (DNG, CR2, NEF, ARW)
		return "image/tiff"
	case hasPrefix(data, "\x00\x00\x00\x0cjP  \r\n\x87\n"):
		return "image/jp2"
	case hasPrefix(data, "\xff\x0a"), hasPrefix(data, "\x00\x00\x00\x0cJXL \r\n\x87\n"):
		return "image/jxl"
	case hasPrefix(data, "8BPS"):
		return "image/vnd.adobe.photoshop"
	case hasPrefix(data, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
		return "application/x-ole-storage" // .doc, .xls, .ppt, .msg: full of author data
	case hasPrefix(data, "{\\rtf"):
		return "application/rtf" // text, but with an \info group naming the author
	}
	if m := detectISOBMFF(data); m != "" {
		return m
	}
	m := http.DetectContentType(data)
	switch m {
	case "application/zip":
		return officeKind(data)
	case MIMEText:
		// The standard library looks at the first 512 bytes only.
		if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
			return "application/octet-stream"
		}
	}
	return m
}

func hasPrefix(data []byte, p string) bool {
	return len(data) >= len(p) && string(data[:len(p)]) == p
}

// detectISOBMFF names files in the ISO base media format (a "ftyp" box first) by their
// brands: HEIC/AVIF photos, QuickTime (iPhone .mov), 3GPP, Canon CR3 and MP4. The standard
// library recognises only brands starting with "mp4", so an iPhone video or a CR3 raw used
// to pass as an unknown binary, GPS atoms and all. All of them are refused; the name is for
// the log.
func detectISOBMFF(data []byte) string {
	if len(data) < 16 || string(data[4:8]) != "ftyp" {
		return ""
	}
	size := int(binary.BigEndian.Uint32(data[0:4]))
	if size < 16 || size > len(data) {
		size = min(len(data), 256)
	}
	var brands []string
	for off := 8; off+4 <= size; off += 4 {
		if off != 12 { // the minor version, not a brand
			brands = append(brands, string(data[off:off+4]))
		}
	}
	for _, b := range brands {
		switch {
		case b == "avif", b == "avis":
			return "image/avif"
		case b == "heic", b == "heix", b == "heim", b == "heis", b == "hevc", b == "hevx", b == "hevm", b == "hevs", b == "mif1", b == "msf1":
			return "image/heif"
		case b == "crx ":
			return "image/x-canon-cr3"
		case b == "qt  ":
			return "video/quicktime"
		case strings.HasPrefix(b, "3gp"), strings.HasPrefix(b, "3g2"):
			return "video/3gpp"
		}
	}
	return "video/mp4"
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
// carry identifying data: APP1 (EXIF, XMP), APP2 (ICC profiles, MPF,
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
		case m == jpegAP14:
			// The Adobe segment says whether the data is RGB, YCbCr or
			// YCCK; decoders need it to get CMYK/RGB JPEG colours right.
			if bytes.HasPrefix(payload, []byte("Adobe")) {
				out = append(out, 0xFF, m)
				out = append(out, seg...)
			}
		case m >= jpegAPP1 && m <= jpegAP15, m == jpegCOM:
			// EXIF/XMP (APP1), ICC profiles, MPF and FlashPix (APP2), IPTC
			// (APP13), vendor data and comments: dropped. An ICC profile
			// carries free text (its description, copyright, the device's
			// maker and model) that a custom profile can fill with a name;
			// without it a wide-gamut photo renders a little less
			// saturated, which does not change what it shows.
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

// pngKeepChunks are the PNG chunk types kept: the ones needed to draw the image (header,
// palette, transparency, pixel data, end), the colour-space numbers that make it draw
// right (gamma, sRGB intent, primaries, cICP), and the frames of an animated PNG. None of
// them holds text. Everything else goes: the text chunks (author, software, comments, XMP
// in iTXt), eXIf, tIME, iCCP (its profile name is free text and the profile itself can
// name a device), pHYs, and every private or unknown chunk (Apple's iDOT, C2PA's caBX, ...).
var pngKeepChunks = map[string]bool{
	"IHDR": true, "PLTE": true, "tRNS": true, "IDAT": true, "IEND": true,
	"gAMA": true, "sRGB": true, "cHRM": true, "cICP": true,
	"acTL": true, "fcTL": true, "fdAT": true,
}

// scrubPNG walks the PNG chunks and keeps those of pngKeepChunks. Kept chunks are copied
// byte-for-byte, so their CRCs stay valid. Data after IEND is dropped. An unknown critical
// chunk (upper-case first letter) cannot be dropped without breaking the image, so the
// file is refused.
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
		switch {
		case pngKeepChunks[typ]:
			out = append(out, chunk...)
		case typ[0]&0x20 == 0:
			return nil, fmt.Errorf("media: png: critical chunk %q: %w", typ, ErrNotAccepted)
		}
		if typ == "IEND" {
			return out, nil
		}
	}
}

// ---------------------------------------------------------------------------
// WebP

// VP8X feature flags. Those of the metadata chunks are cleared, since the chunks are gone
// and readers may otherwise look for them.
const (
	vp8xFlagICC  = 0x20
	vp8xFlagEXIF = 0x08
	vp8xFlagXMP  = 0x04
)

// scrubWebP walks the chunks of a RIFF/WEBP file and keeps only the ones that draw the
// image: VP8X (its metadata flags cleared), VP8, VP8L, ALPH, ANIM and ANMF (whose frame
// data is walked the same way). EXIF, XMP, ICCP and every unknown chunk are dropped. The
// RIFF size is rewritten. Chunks are padded to an even size; the pad byte is part of the
// chunk we keep or drop. Data after the end announced by the RIFF header is dropped.
func scrubWebP(data []byte) ([]byte, error) {
	if len(data) < 12 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		return nil, malformed("webp: bad RIFF header")
	}
	riffSize := binary.LittleEndian.Uint32(data[4:8])
	if riffSize < 4 || uint64(riffSize) > uint64(len(data)-8) {
		return nil, malformed("webp: RIFF size %d does not match data length %d", riffSize, len(data))
	}
	out := make([]byte, 0, 8+int(riffSize))
	out = append(out, data[:12]...) // size fixed up below
	out, err := webpChunks(out, data[12:8+int(riffSize)], false)
	if err != nil {
		return nil, err
	}
	binary.LittleEndian.PutUint32(out[4:8], uint32(len(out)-8))
	return out, nil
}

// webpChunks appends the kept chunks of body to out. In a frame (inside ANMF) only the
// image data chunks are kept.
func webpChunks(out, body []byte, frame bool) ([]byte, error) {
	for i := 0; i < len(body); {
		if len(body)-i < 8 {
			return nil, malformed("webp: truncated chunk header at offset %d", i)
		}
		fourCC := string(body[i : i+4])
		n := uint64(binary.LittleEndian.Uint32(body[i+4 : i+8]))
		padded := n + n&1
		if padded > uint64(len(body)-i-8) {
			return nil, malformed("webp: chunk %q size %d exceeds data at offset %d", fourCC, n, i)
		}
		chunk := body[i : i+8+int(padded)]
		i += len(chunk)

		switch {
		case fourCC == "VP8 ", fourCC == "VP8L", fourCC == "ALPH":
			out = append(out, chunk...)
		case frame:
			// Anything else inside a frame: dropped.
		case fourCC == "VP8X":
			if n < 10 {
				return nil, malformed("webp: VP8X chunk too short")
			}
			start := len(out)
			out = append(out, chunk...)
			out[start+8] &^= vp8xFlagICC | vp8xFlagEXIF | vp8xFlagXMP
		case fourCC == "ANIM":
			out = append(out, chunk...)
		case fourCC == "ANMF":
			if n < 16 {
				return nil, malformed("webp: ANMF chunk too short")
			}
			start := len(out)
			out = append(out, chunk[:8+16]...) // header + frame position, size, duration, flags
			var err error
			if out, err = webpChunks(out, chunk[8+16:8+int(n)], true); err != nil {
				return nil, err
			}
			binary.LittleEndian.PutUint32(out[start+4:start+8], uint32(len(out)-start-8))
		default:
			// EXIF, XMP, ICCP and unknown chunks: dropped.
		}
	}
	return out, nil
}

// ---------------------------------------------------------------------------
// GIF

// GIF block introducers and extension labels.
const (
	gifExtension      = 0x21
	gifImage          = 0x2C
	gifTrailer        = 0x3B
	gifGraphicControl = 0xF9
	gifComment        = 0xFE
	gifApplication    = 0xFF
)

// scrubGIF walks the GIF block structure and keeps the images, Graphic Control Extensions
// and the animation-loop Application Extensions (NETSCAPE2.0, ANIMEXTS1.0; their loop count
// only). Comments, other
// application extensions (XMP is stored as "XMP DataXMP"), plain-text extensions and unknown
// ones are dropped. Data after the trailer is dropped.
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
			switch label {
			case gifGraphicControl:
				out = append(out, data[start:end]...) // frame delay and transparency
			case gifApplication:
				// First sub-block: 8-byte identifier + 3-byte auth code; then the loop
				// sub-block (1, count low, count high). Only these are copied: further
				// sub-blocks under a loop extension's name would carry anything past the checks.
				b := data[start+2 : end]
				if len(b) >= 12 && b[0] == 11 && (string(b[1:12]) == "NETSCAPE2.0" || string(b[1:12]) == "ANIMEXTS1.0") {
					out = append(out, data[start:start+2+12]...)
					if len(b) >= 16 && b[12] == 3 && b[13] == 1 {
						out = append(out, b[12:16]...)
					}
					out = append(out, 0)
				}
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
