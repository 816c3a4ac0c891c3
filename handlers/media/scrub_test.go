package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
)

// Recognisable markers planted in metadata; none may survive scrubbing.
const (
	gpsMarker     = "GPS-31.2304N-121.4737E"
	commentMarker = "SECRET-COMMENT"
	serialMarker  = "SERIAL-0042-XK"
	xmpMarker     = "XMP-CREATOR-ALICE"
)

var allMarkers = []string{gpsMarker, commentMarker, serialMarker, xmpMarker}

func assertNoMarkers(t *testing.T, b []byte) {
	t.Helper()
	for _, m := range allMarkers {
		if bytes.Contains(b, []byte(m)) {
			t.Errorf("marker %q survived scrubbing", m)
		}
	}
}

// testImage returns a small image with varied pixels so that decode
// comparisons are meaningful.
func testImage(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 32), uint8(x*y + 7), 0xFF})
		}
	}
	return img
}

// assertSamePixels checks two decoded images have identical bounds and pixels.
// assertDecodesTo checks that clean decodes as format to the pixels of orig.
func assertDecodesTo(t *testing.T, clean []byte, format string, orig image.Image) {
	t.Helper()
	img, got, err := image.Decode(bytes.NewReader(clean))
	if err != nil {
		t.Fatalf("decode %s: %v", format, err)
	}
	if got != format {
		t.Errorf("format = %q, want %q", got, format)
	}
	assertSamePixels(t, orig, img)
}

func assertSamePixels(t *testing.T, a, b image.Image) {
	t.Helper()
	if a.Bounds() != b.Bounds() {
		t.Fatalf("bounds differ: %v vs %v", a.Bounds(), b.Bounds())
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				t.Fatalf("pixel (%d,%d) differs", x, y)
			}
		}
	}
}

// scrubOK calls Scrub, requires success and the wanted MIME type, and checks
// that scrubbing the result again is a no-op.
func scrubOK(t *testing.T, data []byte, wantMIME string) []byte {
	t.Helper()
	clean, mime, err := Scrub(data)
	if err != nil {
		t.Fatalf("Scrub: %v", err)
	}
	if mime != wantMIME {
		t.Fatalf("mime = %q, want %q", mime, wantMIME)
	}
	again, mime2, err := Scrub(clean)
	if err != nil {
		t.Fatalf("second Scrub: %v", err)
	}
	if mime2 != mime || !bytes.Equal(again, clean) {
		t.Fatalf("Scrub is not idempotent")
	}
	return clean
}

// ---------------------------------------------------------------------------
// JPEG helpers

// jpegSeg builds a JPEG marker segment with the given payload.
func jpegSeg(marker byte, payload []byte) []byte {
	n := len(payload) + 2
	return append([]byte{0xFF, marker, byte(n >> 8), byte(n)}, payload...)
}

// jfifPayload is a JFIF APP0 payload with no thumbnail.
var jfifPayload = []byte("JFIF\x00\x01\x02\x00\x00\x48\x00\x48\x00\x00")

// exifPayload builds an APP1 EXIF payload: "Exif\0\0", a little-endian TIFF
// header, and an ASCII value containing the markers.
func exifPayload() []byte {
	var b bytes.Buffer
	b.WriteString("Exif\x00\x00")
	b.WriteString("II*\x00\x08\x00\x00\x00") // TIFF header, IFD0 at offset 8
	b.Write([]byte{1, 0})                    // one IFD entry
	// GPSLatitudeRef-ish ASCII entry pointing at offset 26.
	b.Write([]byte{0x31, 0x01, 2, 0, byte(len(gpsMarker) + len(serialMarker) + 1), 0, 0, 0, 26, 0, 0, 0})
	b.Write([]byte{0, 0, 0, 0}) // no next IFD
	b.WriteString(gpsMarker + serialMarker + "\x00")
	return b.Bytes()
}

// insertAfterSOI inserts segments right after the SOI marker.
func insertAfterSOI(jpg []byte, segs ...[]byte) []byte {
	out := append([]byte{}, jpg[:2]...)
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, jpg[2:]...)
}

func encodeJPEG(t testing.TB) ([]byte, image.Image) {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testImage(24, 16), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	dec, err := jpeg.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), dec
}

// dirtyJPEG returns a JPEG carrying EXIF, XMP, IPTC and a comment, plus the
// decoded pixels of the original.
func dirtyJPEG(t testing.TB) ([]byte, image.Image) {
	t.Helper()
	base, dec := encodeJPEG(t)
	return insertAfterSOI(base,
		jpegSeg(jpegAPP0, jfifPayload),
		jpegSeg(jpegAPP1, exifPayload()),
		jpegSeg(jpegAPP1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>"+xmpMarker+"</x:xmpmeta>")),
		jpegSeg(0xED, []byte("Photoshop 3.0\x008BIM"+serialMarker)), // APP13 IPTC
		jpegSeg(jpegCOM, []byte(commentMarker)),
	), dec
}

// sosOffset returns the offset of the first SOS marker in a JPEG produced by
// image/jpeg (whose headers contain no 0xFFDA byte pair by accident).
func sosOffset(t testing.TB, jpg []byte) int {
	t.Helper()
	k := bytes.Index(jpg, []byte{0xFF, jpegSOS})
	if k < 0 {
		t.Fatal("no SOS marker")
	}
	return k
}

func TestScrubJPEGRemovesExifAndComment(t *testing.T) {
	dirty, orig := dirtyJPEG(t)
	for _, m := range allMarkers {
		if !bytes.Contains(dirty, []byte(m)) {
			t.Fatalf("test setup: marker %q not planted", m)
		}
	}

	clean := scrubOK(t, dirty, "image/jpeg")
	assertNoMarkers(t, clean)
	if bytes.Contains(clean, []byte("Exif\x00\x00")) {
		t.Error("EXIF header survived")
	}

	// APP0 JFIF is still the first segment, unchanged.
	wantStart := append([]byte{0xFF, jpegSOI}, jpegSeg(jpegAPP0, jfifPayload)...)
	if !bytes.HasPrefix(clean, wantStart) {
		t.Errorf("JFIF APP0 not kept at start: % X", clean[:min(len(clean), 24)])
	}

	// Everything from SOS on is byte-identical (pixels not re-encoded).
	if !bytes.Equal(dirty[sosOffset(t, dirty):], clean[sosOffset(t, clean):]) {
		t.Error("scan data changed")
	}

	assertDecodesTo(t, clean, "jpeg", orig)

	// Scrubbing twice gives the same bytes.
	again, _, err := Scrub(clean)
	if err != nil || !bytes.Equal(again, clean) {
		t.Errorf("second scrub changed the data (err=%v)", err)
	}
}

func TestScrubJPEGKeepsOnlyAdobeColourSegment(t *testing.T) {
	base, orig := encodeJPEG(t)
	// A custom ICC profile whose description names its maker.
	icc := jpegSeg(jpegAPP2, []byte("ICC_PROFILE\x00\x01\x01desc profile of "+commentMarker))
	adobe := jpegSeg(jpegAP14, []byte("Adobe\x00\x64\x00\x00\x00\x00\x01"))
	mpf := jpegSeg(jpegAPP2, []byte("MPF\x00II*\x00"+serialMarker)) // APP2 that is not ICC
	iptc := jpegSeg(0xED, []byte("Photoshop 3.0\x008BIM"+xmpMarker))
	dirty := insertAfterSOI(base, icc, mpf, adobe, iptc, jpegSeg(jpegAPP1, exifPayload()))

	clean := scrubOK(t, dirty, "image/jpeg")
	assertNoMarkers(t, clean)
	if !bytes.Contains(clean, adobe) {
		t.Error("Adobe APP14 segment was dropped")
	}
	if bytes.Contains(clean, []byte("ICC_PROFILE")) || bytes.Contains(clean, []byte("MPF\x00")) {
		t.Error("an APP2 segment survived")
	}
	if want := insertAfterSOI(base, adobe); !bytes.Equal(clean, want) {
		t.Error("result is not exactly the original with metadata segments removed")
	}
	assertDecodesTo(t, clean, "jpeg", orig)
}

func TestScrubJPEGStripsJFIFThumbnailAndOtherAPP0(t *testing.T) {
	base, orig := encodeJPEG(t)
	// JFIF with a 2x1 RGB thumbnail whose bytes spell out a marker.
	thumb := append(append([]byte{}, jfifPayload[:12]...), 2, 1)
	thumb = append(thumb, []byte("SECRET")...) // 6 bytes = 2*1*3
	jfxx := jpegSeg(jpegAPP0, []byte("JFXX\x00\x10"+commentMarker))
	dirty := insertAfterSOI(base, jpegSeg(jpegAPP0, thumb), jfxx)

	clean := scrubOK(t, dirty, "image/jpeg")
	assertNoMarkers(t, clean)
	if want := insertAfterSOI(base, jpegSeg(jpegAPP0, jfifPayload)); !bytes.Equal(clean, want) {
		t.Errorf("got prefix % X", clean[:min(len(clean), 40)])
	}
	assertDecodesTo(t, clean, "jpeg", orig)
}

// TestScrubJPEGMarkerEdgeCases exercises fill bytes, stand-alone markers,
// byte stuffing and restart markers inside scan data, a metadata segment
// between scans (progressive JPEG), and a trailer after EOI.
func TestScrubJPEGMarkerEdgeCases(t *testing.T) {
	sos := jpegSeg(jpegSOS, []byte{1, 1, 0, 0, 63, 0})
	scan1 := []byte{0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xFF, 0xD1, 0x78}
	scan2 := []byte{0x9A, 0xFF, 0x00}
	dqt := jpegSeg(0xDB, make([]byte, 65))

	var in bytes.Buffer
	in.Write([]byte{0xFF, jpegSOI})
	in.Write([]byte{0xFF, 0xFF, 0xFF}) // fill bytes before a marker
	in.Write(jpegSeg(jpegAPP1, exifPayload()))
	in.Write([]byte{0xFF, jpegTEM})
	in.Write([]byte{0xFF, 0xFF}) // fill bytes before a kept marker
	in.Write(dqt)
	in.Write(sos)
	in.Write(scan1)
	in.Write([]byte{0xFF, 0xFF}) // fill bytes ending the scan
	in.Write(jpegSeg(jpegCOM, []byte(commentMarker)))
	in.Write(sos)
	in.Write(scan2)
	in.Write([]byte{0xFF, jpegEOI})
	in.WriteString("appended MPF image / motion photo: " + gpsMarker)

	var want bytes.Buffer
	want.Write([]byte{0xFF, jpegSOI, 0xFF, jpegTEM})
	want.Write(dqt)
	want.Write(sos)
	want.Write(scan1)
	want.Write(sos)
	want.Write(scan2)
	want.Write([]byte{0xFF, jpegEOI})

	clean := scrubOK(t, in.Bytes(), "image/jpeg")
	if !bytes.Equal(clean, want.Bytes()) {
		t.Errorf("got  % X\nwant % X", clean, want.Bytes())
	}
}

func TestScrubJPEGMissingEOIIsTolerated(t *testing.T) {
	dirty, _ := dirtyJPEG(t)
	cut := dirty[:len(dirty)-2] // drop EOI
	clean := scrubOK(t, cut, "image/jpeg")
	assertNoMarkers(t, clean)
	if !bytes.HasSuffix(cut, clean[sosOffset(t, clean):]) {
		t.Error("scan data not preserved")
	}
}

func TestScrubJPEGTruncatedIsMalformed(t *testing.T) {
	dirty, _ := dirtyJPEG(t)
	sos := sosOffset(t, dirty)
	sosEnd := sos + 2 + int(binary.BigEndian.Uint16(dirty[sos+2:]))
	// Every cut before the first scan's data begins leaves an incomplete
	// segment or no image data at all.
	for n := 3; n < sosEnd; n++ {
		clean, mime, err := Scrub(dirty[:n])
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("len %d: err = %v, want ErrMalformed", n, err)
		}
		if clean != nil || mime != "image/jpeg" {
			t.Fatalf("len %d: clean=%v mime=%q", n, clean != nil, mime)
		}
	}

	// A segment length pointing past the end.
	bad := append([]byte{0xFF, jpegSOI, 0xFF, jpegAPP1, 0xFF, 0xF0}, "Exif\x00\x00"...)
	if _, _, err := Scrub(bad); !errors.Is(err, ErrMalformed) {
		t.Errorf("long length: err = %v", err)
	}
	// A segment length below the minimum of 2.
	bad = []byte{0xFF, jpegSOI, 0xFF, 0xDB, 0x00, 0x01, 0xFF, jpegEOI}
	if _, _, err := Scrub(bad); !errors.Is(err, ErrMalformed) {
		t.Errorf("short length: err = %v", err)
	}
	// Garbage where a marker is expected.
	bad = []byte{0xFF, jpegSOI, 0xFF, 0xDB, 0x00, 0x02, 0x12, 0x34}
	if _, _, err := Scrub(bad); !errors.Is(err, ErrMalformed) {
		t.Errorf("garbage: err = %v", err)
	}
}

// ---------------------------------------------------------------------------
// PNG helpers

// pngChunk builds a PNG chunk with a correct CRC.
func pngChunk(typ string, data []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[4:]))
}

// pngChunks splits a (well-formed) PNG into its chunks.
func pngChunks(t testing.TB, b []byte) [][]byte {
	t.Helper()
	var chunks [][]byte
	for i := 8; i < len(b); {
		n := int(binary.BigEndian.Uint32(b[i:]))
		chunks = append(chunks, b[i:i+12+n])
		i += 12 + n
	}
	return chunks
}

func encodePNG(t testing.TB) ([]byte, image.Image) {
	t.Helper()
	img := testImage(20, 10)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), img
}

// dirtyPNG inserts metadata chunks after IHDR (8-byte signature + 25-byte IHDR).
func dirtyPNG(t testing.TB) ([]byte, image.Image) {
	t.Helper()
	base, img := encodePNG(t)
	const afterIHDR = 8 + 25
	var b bytes.Buffer
	b.Write(base[:afterIHDR])
	b.Write(pngChunk("tEXt", []byte("Comment\x00"+commentMarker)))
	b.Write(pngChunk("eXIf", exifPayload()[6:])) // eXIf holds the bare TIFF structure
	b.Write(pngChunk("iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00"+xmpMarker)))
	b.Write(pngChunk("zTXt", []byte("Author\x00\x00x\x9c")))
	b.Write(pngChunk("tIME", []byte{0x07, 0xE8, 6, 4, 12, 0, 0}))
	b.Write(pngChunk("iCCP", []byte(serialMarker+"\x00\x00x\x9c"))) // the profile's name
	b.Write(pngChunk("pHYs", []byte{0, 0, 0x0b, 0x13, 0, 0, 0x0b, 0x13, 1}))
	b.Write(pngChunk("iDOT", []byte("apple private "+gpsMarker)))
	b.Write(pngChunk("caBX", []byte("c2pa manifest "+xmpMarker)))
	b.Write(base[afterIHDR:])
	b.WriteString("trailing " + serialMarker)
	return b.Bytes(), img
}

func TestScrubPNGRemovesMetadataChunks(t *testing.T) {
	base, orig := encodePNG(t)
	dirty, _ := dirtyPNG(t)

	clean := scrubOK(t, dirty, "image/png")
	assertNoMarkers(t, clean)
	for _, typ := range []string{"tEXt", "eXIf", "iTXt", "zTXt", "tIME", "iCCP", "pHYs", "iDOT", "caBX"} {
		if bytes.Contains(clean, []byte(typ)) {
			t.Errorf("chunk %s survived", typ)
		}
	}
	// The result is exactly the original encoder output: kept chunks
	// (IHDR, IDAT, IEND) byte-for-byte, CRCs included.
	if !bytes.Equal(clean, base) {
		t.Error("result differs from the original PNG without metadata")
	}
	var idatIn, idatOut [][]byte
	for _, c := range pngChunks(t, base) {
		if string(c[4:8]) == "IDAT" {
			idatIn = append(idatIn, c)
		}
	}
	for _, c := range pngChunks(t, clean) {
		if crc32.ChecksumIEEE(c[4:len(c)-4]) != binary.BigEndian.Uint32(c[len(c)-4:]) {
			t.Errorf("chunk %s has a bad CRC", c[4:8])
		}
		if string(c[4:8]) == "IDAT" {
			idatOut = append(idatOut, c)
		}
	}
	if len(idatIn) == 0 || !bytes.Equal(bytes.Join(idatIn, nil), bytes.Join(idatOut, nil)) {
		t.Error("IDAT chunks changed")
	}

	assertDecodesTo(t, clean, "png", orig)
}

func TestScrubPNGKeepsColourAndRefusesUnknownCritical(t *testing.T) {
	base, _ := encodePNG(t)
	const afterIHDR = 8 + 25
	srgb := pngChunk("sRGB", []byte{0})
	gama := pngChunk("gAMA", []byte{0, 0, 0xb1, 0x8f})
	var b bytes.Buffer
	b.Write(base[:afterIHDR])
	b.Write(srgb)
	b.Write(gama)
	b.Write(base[afterIHDR:])
	if clean := scrubOK(t, b.Bytes(), "image/png"); !bytes.Equal(clean, b.Bytes()) {
		t.Error("sRGB/gAMA were not kept as they were")
	}
	b.Reset()
	b.Write(base[:afterIHDR])
	b.Write(pngChunk("XYZW", []byte(gpsMarker))) // an unknown critical chunk
	b.Write(base[afterIHDR:])
	if _, _, err := Scrub(b.Bytes()); !errors.Is(err, ErrNotAccepted) {
		t.Errorf("unknown critical chunk: err = %v, want ErrNotAccepted", err)
	}
}

func TestScrubPNGTruncatedIsMalformed(t *testing.T) {
	dirty, _ := dirtyPNG(t)
	end := bytes.Index(dirty, []byte("IEND")) + 8 // IEND type + CRC
	// Every strict prefix either cuts a chunk or lacks IEND.
	for n := 8; n < end; n++ {
		if _, _, err := Scrub(dirty[:n]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("len %d: err = %v, want ErrMalformed", n, err)
		}
	}
	// A chunk length above 2^31-1.
	bad := append([]byte(pngSignature), 0x80, 0, 0, 0, 'I', 'H', 'D', 'R', 0, 0, 0, 0)
	if _, _, err := Scrub(bad); !errors.Is(err, ErrMalformed) {
		t.Errorf("huge length: err = %v", err)
	}
}

// ---------------------------------------------------------------------------
// WebP

// riffChunk builds a RIFF chunk with its pad byte.
func riffChunk(fourCC string, payload []byte) []byte {
	out := append([]byte(fourCC), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(out[4:], uint32(len(payload)))
	out = append(out, payload...)
	if len(payload)%2 == 1 {
		out = append(out, 0)
	}
	return out
}

func riffWebP(chunks ...[]byte) []byte {
	out := []byte("RIFF\x00\x00\x00\x00WEBP")
	for _, c := range chunks {
		out = append(out, c...)
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out
}

// vp8x builds a VP8X payload for a 64x48 canvas with the given flags.
func vp8x(flags byte) []byte {
	return []byte{flags, 0, 0, 0, 63, 0, 0, 47, 0, 0}
}

func TestScrubWebP(t *testing.T) {
	const (
		flagICC  = 0x20
		flagEXIF = 0x08
		flagXMP  = 0x04
	)
	iccp := riffChunk("ICCP", []byte("odd-icc")) // odd size: padded
	vp8l := riffChunk("VP8L", []byte{0x2F, 63, 0xC0, 0x0B, 0x00, 0x07, 0x10, 0x11, 0x11})
	exif := riffChunk("EXIF", exifPayload()[6:])
	xmp := riffChunk("XMP ", []byte("<x:xmpmeta>"+xmpMarker+"</x:xmpmeta>!")) // odd size
	dirty := riffWebP(riffChunk("VP8X", vp8x(flagICC|flagEXIF|flagXMP)), iccp, vp8l, exif, xmp)
	dirty = append(dirty, "trailing "+serialMarker...) // beyond the RIFF size

	clean := scrubOK(t, dirty, "image/webp")
	assertNoMarkers(t, clean)
	want := riffWebP(riffChunk("VP8X", vp8x(0)), vp8l)
	if !bytes.Equal(clean, want) {
		t.Fatalf("got  % X\nwant % X", clean, want)
	}
	if got := binary.LittleEndian.Uint32(clean[4:8]); int(got) != len(clean)-8 {
		t.Errorf("RIFF size %d, want %d", got, len(clean)-8)
	}
	if flags := clean[20]; flags&(flagICC|flagEXIF|flagXMP) != 0 {
		t.Errorf("VP8X flags = %#02x", flags)
	}
	if bytes.Contains(clean, []byte("EXIF")) || bytes.Contains(clean, []byte("XMP ")) || bytes.Contains(clean, []byte("ICCP")) {
		t.Error("metadata chunk survived")
	}

	// An animation: the frames keep their image data and lose what else they hold.
	frame := append([]byte{0, 0, 0, 0, 0, 0, 63, 0, 0, 47, 0, 0, 100, 0, 0, 0}, vp8l...)
	dirtyFrame := append(append([]byte{}, frame...), riffChunk("EXIF", []byte(gpsMarker))...)
	anim := riffChunk("ANIM", []byte{0, 0, 0, 0, 0, 0})
	dirty = riffWebP(riffChunk("VP8X", vp8x(0x02|flagEXIF)), anim, riffChunk("ANMF", dirtyFrame), riffChunk("UNKN", []byte(serialMarker)))
	clean = scrubOK(t, dirty, "image/webp")
	assertNoMarkers(t, clean)
	if want := riffWebP(riffChunk("VP8X", vp8x(0x02)), anim, riffChunk("ANMF", frame)); !bytes.Equal(clean, want) {
		t.Fatalf("animation: got  % X\nwant % X", clean, want)
	}

	// Simple (lossy, non-extended) WebP with a VP8 chunk: unchanged.
	simple := riffWebP(riffChunk("VP8 ", []byte("\x30\x01\x00\x9d\x01\x2a\x01\x00\x01\x00x")))
	if got := scrubOK(t, simple, "image/webp"); !bytes.Equal(got, simple) {
		t.Error("simple WebP changed")
	}
}

func TestScrubWebPMalformed(t *testing.T) {
	good := riffWebP(riffChunk("VP8X", vp8x(0x08)), riffChunk("VP8L", []byte{1, 2, 3}), riffChunk("EXIF", []byte(gpsMarker)))
	// Any prefix is inconsistent with the RIFF size.
	for n := 12; n < len(good); n++ {
		if _, _, err := Scrub(good[:n]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("len %d: err = %v, want ErrMalformed", n, err)
		}
	}
	// Chunk size past the RIFF end.
	bad := riffWebP(riffChunk("VP8L", []byte{1, 2, 3, 4}))
	binary.LittleEndian.PutUint32(bad[16:], 1000)
	if _, _, err := Scrub(bad); !errors.Is(err, ErrMalformed) {
		t.Errorf("long chunk: err = %v", err)
	}
	// Odd-sized final chunk missing its pad byte.
	bad = riffWebP(riffChunk("VP8L", []byte{1, 2, 3}))
	bad = bad[:len(bad)-1]
	binary.LittleEndian.PutUint32(bad[4:], uint32(len(bad)-8))
	if _, _, err := Scrub(bad); !errors.Is(err, ErrMalformed) {
		t.Errorf("missing pad: err = %v", err)
	}
}

// ---------------------------------------------------------------------------
// GIF

func gifExt(label byte, blocks ...[]byte) []byte {
	out := []byte{gifExtension, label}
	for _, b := range blocks {
		out = append(out, byte(len(b)))
		out = append(out, b...)
	}
	return append(out, 0)
}

// encodeGIF returns a two-frame looping GIF (so the encoder writes a
// NETSCAPE2.0 extension) and the offset just after its global colour table.
func encodeGIF(t testing.TB) ([]byte, int) {
	t.Helper()
	pal := color.Palette{color.Black, color.White, color.RGBA{0xFF, 0, 0, 0xFF}, color.RGBA{0, 0, 0xFF, 0xFF}}
	var frames []*image.Paletted
	for f := 0; f < 2; f++ {
		p := image.NewPaletted(image.Rect(0, 0, 8, 6), pal)
		for i := range p.Pix {
			p.Pix[i] = uint8((i + f) % len(pal))
		}
		frames = append(frames, p)
	}
	var buf bytes.Buffer
	err := gif.EncodeAll(&buf, &gif.GIF{Image: frames, Delay: []int{10, 10}, LoopCount: 0,
		Config: image.Config{ColorModel: pal, Width: 8, Height: 6}})
	if err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	off := 13
	if b[10]&0x80 != 0 {
		off += 3 << (b[10]&7 + 1)
	}
	return b, off
}

func TestScrubGIF(t *testing.T) {
	base, off := encodeGIF(t)
	if !bytes.Contains(base, []byte("NETSCAPE2.0")) {
		t.Fatal("test setup: encoder wrote no NETSCAPE2.0 extension")
	}
	comment := gifExt(gifComment, []byte(commentMarker))
	xmp := gifExt(gifApplication, []byte("XMP DataXMP"), []byte("<x:xmpmeta>"+xmpMarker+"</x:xmpmeta>"))
	animexts := gifExt(gifApplication, []byte("ANIMEXTS1.0"), []byte{1, 0, 0})
	var dirty []byte
	dirty = append(dirty, base[:off]...)
	dirty = append(dirty, comment...)
	dirty = append(dirty, xmp...)
	dirty = append(dirty, animexts...)
	dirty = append(dirty, base[off:]...)
	dirty = append(dirty, "trailing "+gpsMarker...)

	clean := scrubOK(t, dirty, "image/gif")
	assertNoMarkers(t, clean)
	var want []byte
	want = append(want, base[:off]...)
	want = append(want, animexts...)
	want = append(want, base[off:]...)
	if !bytes.Equal(clean, want) {
		t.Errorf("result is not the original GIF without comment/XMP extensions")
	}

	orig, err := gif.DecodeAll(bytes.NewReader(base))
	if err != nil {
		t.Fatal(err)
	}
	got, err := gif.DecodeAll(bytes.NewReader(clean))
	if err != nil {
		t.Fatalf("gif.DecodeAll: %v", err)
	}
	if len(got.Image) != len(orig.Image) || got.LoopCount != orig.LoopCount {
		t.Errorf("frames/loop changed: %d/%d vs %d/%d", len(got.Image), got.LoopCount, len(orig.Image), orig.LoopCount)
	}
	for i := range orig.Image {
		assertSamePixels(t, orig.Image[i], got.Image[i])
	}
	if _, err := gif.Decode(bytes.NewReader(clean)); err != nil {
		t.Errorf("gif.Decode: %v", err)
	}
}

// TestScrubGIFLoopExtensionCarriesNothing: the animation-loop extensions are kept, but only
// their loop count: further sub-blocks after it (any data a tool hides under the NETSCAPE2.0
// name, where the comment and XMP checks do not look) are dropped.
func TestScrubGIFLoopExtensionCarriesNothing(t *testing.T) {
	base, off := encodeGIF(t)
	smuggled := gifExt(gifApplication, []byte("NETSCAPE2.0"), []byte{1, 0, 0}, []byte(gpsMarker), []byte(xmpMarker))
	var dirty []byte
	dirty = append(dirty, base[:off]...)
	dirty = append(dirty, smuggled...)
	dirty = append(dirty, base[off:]...)
	clean := scrubOK(t, dirty, "image/gif")
	assertNoMarkers(t, clean)
	var want []byte
	want = append(want, base[:off]...)
	want = append(want, gifExt(gifApplication, []byte("NETSCAPE2.0"), []byte{1, 0, 0})...)
	want = append(want, base[off:]...)
	if !bytes.Equal(clean, want) {
		t.Errorf("the loop extension is not kept with its loop count alone")
	}
	if _, err := gif.DecodeAll(bytes.NewReader(clean)); err != nil {
		t.Errorf("gif.DecodeAll: %v", err)
	}
}

func TestScrubGIFTruncatedIsMalformed(t *testing.T) {
	base, _ := encodeGIF(t)
	for n := 6; n < len(base); n++ {
		if _, _, err := Scrub(base[:n]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("len %d: err = %v, want ErrMalformed", n, err)
		}
	}
}

// ---------------------------------------------------------------------------
// Other types

func TestScrubKeepsPlainText(t *testing.T) {
	for _, text := range []string{"The incident happened near the river.\n", "\ufeff村里的账目有问题。\r\n第二行\n"} {
		clean, mime, err := Scrub([]byte(text))
		if err != nil || mime != MIMEText || string(clean) != text {
			t.Errorf("%q: %q %q %v", text, clean, mime, err)
		}
	}
}

// TestScrubRefusesWhatItCannotClean: whatever is not on the whitelist is refused by its
// content, whatever it would be called.
func TestScrubRefusesWhatItCannotClean(t *testing.T) {
	long := strings.Repeat("text ", 200)
	cases := []struct {
		name, mime string
		data       []byte
	}{
		{"tiff-le", "image/tiff", []byte("II*\x00\x08\x00\x00\x00" + gpsMarker)},
		{"tiff-be", "image/tiff", []byte("MM\x00*\x00\x00\x00\x08" + gpsMarker)},
		{"heic", "image/heif", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")},
		{"avif", "image/avif", []byte("\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf")},
		{"ico", "image/x-icon", []byte("\x00\x00\x01\x00\x01\x00\x10\x10")},
		{"bmp", "image/bmp", append([]byte("BM"), make([]byte, 60)...)},
		{"mp4", "video/mp4", []byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41")},
		{"mov", "video/quicktime", []byte("\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  \x00\x00\x00\x08wide")},
		{"3gp", "video/3gpp", []byte("\x00\x00\x00\x14ftyp3gp4\x00\x00\x02\x003gp4isom")},
		{"cr3", "image/x-canon-cr3", []byte("\x00\x00\x00\x18ftypcrx \x00\x00\x00\x01crx isom")},
		{"webm", "video/webm", []byte("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm")},
		{"avi", "video/avi", []byte("RIFF\x24\x00\x00\x00AVI LIST")},
		{"mp3", "audio/mpeg", []byte("ID3\x03\x00\x00\x00\x00\x00\x10TPE1" + commentMarker)},
		{"amr", "application/octet-stream", []byte("#!AMR\n\x3c\x00\x00")},
		{"pdf", "application/pdf", []byte("%PDF-1.4\n1 0 obj << /Author (" + commentMarker + ") >> endobj\n%%EOF\n")},
		{"ole", "application/x-ole-storage", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + commentMarker)},
		{"rtf", "application/rtf", []byte("{\\rtf1{\\info{\\author " + commentMarker + "}}}")},
		{"zip", "application/zip", zipOf(t, map[string]string{"a.txt": "hello"})},
		{"html", "text/html; charset=utf-8", []byte("<html><meta name=author content=" + commentMarker + ">")},
		{"not-utf8-after-512", "application/octet-stream", []byte(long + "\xff\xfe")},
		{"nul", "application/octet-stream", []byte("text\x00" + commentMarker)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clean, mime, err := Scrub(c.data)
			if !errors.Is(err, ErrNotAccepted) {
				t.Fatalf("err = %v, want ErrNotAccepted", err)
			}
			if clean != nil {
				t.Error("clean should be nil on error")
			}
			if mime != c.mime {
				t.Errorf("mime = %q, want %q", mime, c.mime)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Fuzzing

func FuzzScrub(f *testing.F) {
	jpg, _ := dirtyJPEG(f)
	pngData, _ := dirtyPNG(f)
	gifData, off := encodeGIF(f)
	gifData = append(gifData[:off:off], append(gifExt(gifComment, []byte(commentMarker)), gifData[off:]...)...)
	webp := riffWebP(riffChunk("VP8X", vp8x(0x2C)), riffChunk("ICCP", []byte("icc")),
		riffChunk("VP8L", []byte{1, 2, 3, 4}), riffChunk("EXIF", []byte(gpsMarker)), riffChunk("XMP ", []byte(xmpMarker)))
	seeds := [][]byte{jpg, pngData, gifData, webp,
		[]byte("%PDF-1.4 test"), []byte("II*\x00"), append([]byte("BM"), 0, 0), dirtyDOCX(f), []byte("plain text")}
	for _, s := range seeds[:4] {
		for _, n := range []int{len(s) / 4, len(s) / 2, len(s) - 1} {
			seeds = append(seeds, s[:n])
		}
	}
	for _, s := range seeds {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		clean, mime, err := Scrub(data)
		if err != nil {
			if clean != nil {
				t.Fatal("non-nil result with error")
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNotAccepted) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if len(clean) > len(data) && mime != MIMEDOCX && mime != MIMEXLSX { // a rebuilt zip may compress differently
			t.Fatalf("output grew: %d > %d", len(clean), len(data))
		}
		again, mime2, err := Scrub(clean)
		if err != nil {
			t.Fatalf("re-scrub failed: %v", err)
		}
		if mime2 != mime {
			t.Fatalf("mime changed on re-scrub: %q -> %q", mime, mime2)
		}
		if !bytes.Equal(again, clean) {
			t.Fatal("Scrub is not idempotent")
		}
	})
}
