package main

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"xuncha/bot/telegramtest"
	"xuncha/bot/wechattest"
	"xuncha/internal/docx/docxtest"
	"xuncha/internal/sqltest"
	"xuncha/internal/syncbuf"
)

// What the test plants in every file: a GPS position (as EXIF rationals and ISO 6709 text,
// the way a QuickTime ©xyz atom holds it) and an author's name, which is also the start of
// every uploaded file's name.
const (
	plantGPS    = "+31.2304+121.4737/"
	plantAuthor = "张三作者ZhangSan"
)

var plants = []string{plantGPS, "31.2304", "121.4737", plantAuthor, "张三作者", "ZhangSan"}

// TestAttachmentsKeepNoLocationOrAuthor sends a photo, document, video and raw file of every
// common kind, each carrying a GPS position and an author's name, through the web chat's
// upload, the fake Telegram Bot API (photos, documents, videos, round videos, voice) and
// signed WeChat callbacks (an image, a video, a short video), inside the report flow. The
// kinds that can be cleaned (JPEG, PNG, WebP, Word) are taken; the others (QuickTime, MP4,
// 3GP, Canon CR3, HEIC, PDF, Ogg voice, WeChat videos) are refused with the answer that lists
// what is accepted, and the reports go on. Then neither the position nor the name (nor the
// uploaders' file names) is anywhere in the blob table, the database file or its WAL.
func TestAttachmentsKeepNoLocationOrAuthor(t *testing.T) {
	tg, tgEnv := fakeTelegram(t, "24680:Media-secret-token")
	wx, wxEnv := fakeWeChat(t)
	dbPath, env := testDB(t, append(tgEnv, wxEnv...)...)
	srv := startServer(t, env, &syncbuf.Buffer{})

	jpg := gpsJPEG(t)
	files := []struct {
		name string
		data []byte
		kept bool
	}{
		{"张三作者ZhangSan_IMG_0042.JPG", jpg, true},
		{"张三作者ZhangSan_screenshot.png", gpsPNG(t), true},
		{"张三作者ZhangSan.webp", gpsWebP(), true},
		{"张三作者ZhangSan_情况说明.docx", gpsDOCX(t, jpg), true},
		{"张三作者ZhangSan_IMG_0043.MOV", isoFile("qt  ", "qt  "), false},
		{"张三作者ZhangSan_VID.mp4", isoFile("isom", "mp41"), false},
		{"张三作者ZhangSan_VID.3gp", isoFile("3gp4", "3gp4"), false},
		{"张三作者ZhangSan_IMG_0044.CR3", isoFile("crx ", "crx "), false},
		{"张三作者ZhangSan_IMG_0045.HEIC", isoFile("heic", "mif1"), false},
		{"张三作者ZhangSan.pdf", gpsPDF(), false},
	}

	// The web chat: each file through the upload endpoint, at the report's files step.
	web := newWebClient(t, srv.url, "media")
	mustContain(t, webReport{description: "2024年5月，站长在农机补贴发放中收取好处费，每台500元。"}.describe(t, web), "如有照片")
	kept := 0
	for _, f := range files {
		got := texts(web.upload(f.name, f.data))
		if f.kept {
			kept++
			if !strings.Contains(got, fmt.Sprintf("已收到附件（共 %d 个）", kept)) {
				t.Errorf("web %s: not taken: %s", f.name, got)
			}
		} else if !strings.Contains(got, "为保护您的隐私") || !strings.Contains(got, "JPG、PNG、WebP、GIF") {
			t.Errorf("web %s: not refused politely: %s", f.name, got)
		}
	}
	msgs := web.do("", "done")
	msgs = web.do("", button(t, msgs, "匿名举报"))
	msgs = web.do("", button(t, msgs, "保留（推荐）"))
	mustContain(t, msgs, fmt.Sprintf("附件：%d 个", kept))
	mustContain(t, web.do("", button(t, msgs, "确认提交")), "查询码")

	// Telegram: a photo, documents, a video, a round video and a voice message.
	const chat = 770011
	updates := &tgUpdates{t: t, fake: tg, id: 100}
	press := updates.press
	m := updates.say(chat, "/report", "请选择问题类别")
	m = press(m, "作风问题", "哪个乡镇")
	m = press(m, "新站镇", "哪个村")
	press(m, "向阳村", "涉及哪个人")
	updates.say(chat, "村会计", "请描述发生了什么")
	filesStep := updates.say(chat, "2024年6月，村会计把集体土地租金存入个人账户，共三万元。", "如有照片")
	tg.AddFile("ph-1", jpg)
	updates.send(chat, telegramtest.Photo(updates.next(), chat, "ph-1", len(jpg), ""), "已收到附件（共 1 个）")
	tgFiles := []struct {
		kind string
		i    int // into files
		want string
	}{
		{"document", 1, "已收到附件（共 2 个）"},
		{"document", 3, "已收到附件（共 3 个）"},
		{"document", 4, "为保护您的隐私"},
		{"video", 5, "为保护您的隐私"},
		{"video_note", 5, "为保护您的隐私"},
		{"video", 6, "为保护您的隐私"},
		{"document", 7, "为保护您的隐私"},
		{"document", 9, "为保护您的隐私"},
		{"voice", -1, "为保护您的隐私"},
	}
	for k, f := range tgFiles {
		id := fmt.Sprintf("tg-file-%d", k)
		name, data := "voice.ogg", oggVoice()
		if f.i >= 0 {
			name, data = files[f.i].name, files[f.i].data
		}
		tg.AddFile(id, data)
		updates.send(chat, telegramtest.File(updates.next(), chat, f.kind, id, name, len(data)), f.want)
	}
	m = press(filesStep, "完成", "举报方式")
	m = press(m, "匿名举报", "是否允许")
	m = press(m, "保留", "附件：3 个")
	press(m, "确认提交", "查询码")

	// WeChat: an image is taken and cleaned; videos are refused without being fetched.
	cb := wechattest.Callback{Token: wxToken, AppID: wxAppID, AESKey: wxAESKey, Account: "gh_xuncha"}
	res := &wxResident{t: t, cb: cb, url: srv.url + "wechat", fake: wx, openid: "oMediaResident01", msgID: 7000}
	wm := res.say("举报", "请选择问题类别")
	wm = res.say(pick(t, wm, "作风问题"), "哪个乡镇")
	wm = res.say(pick(t, wm, "新站镇"), "哪个村")
	res.say(pick(t, wm, "向阳村"), "涉及哪个人")
	res.say("村主任", "请描述发生了什么")
	res.say("2024年7月，村主任虚报危房改造户数，多领补助两万元。", "证据")
	post := func(body string) string {
		t.Helper()
		status, b, err := cb.Post(res.url, body)
		if err != nil || status != http.StatusOK {
			t.Fatalf("callback: %d %s %v", status, b, err)
		}
		reply, err := cb.Reply(b)
		if err != nil {
			t.Fatal(err)
		}
		return reply
	}
	wx.AddMedia("wx-media-1", jpg)
	n := len(wx.Sent(res.openid))
	res.msgID++
	post(cb.Image(res.openid, res.msgID, "wx-media-1"))
	waitWeChat(t, wx, res.openid, n, "已收到附件（共 1 个）")
	for _, kind := range []string{"video", "shortvideo"} {
		res.msgID++
		if reply := post(cb.Video(res.openid, res.msgID, kind, "wx-video-"+kind)); !strings.Contains(reply, "为保护您的隐私") || !strings.Contains(reply, "照片") {
			t.Errorf("wechat %s: %q", kind, reply)
		}
	}
	wm = res.say("完成", "举报方式")
	wm = res.say(pick(t, wm, "匿名举报"), "是否允许")
	wm = res.say(pick(t, wm, "保留"), "附件：1 个")
	res.say(pick(t, wm, "确认提交"), "查询码")

	// What is stored: the blobs, and every byte of the file and its WAL.
	raw, err := sql.Open("sqlite", "file:"+dbPath+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query(`SELECT mime, data FROM blobs`)
	if err != nil {
		t.Fatal(err)
	}
	mimes := map[string]bool{}
	for rows.Next() {
		var mime string
		var data []byte
		if err := rows.Scan(&mime, &data); err != nil {
			t.Fatal(err)
		}
		mimes[mime] = true
		for _, p := range append(plants, "Exif\x00\x00", "iCCP", "tEXt", "xmpmeta", "core.xml") {
			if bytes.Contains(data, []byte(p)) {
				t.Errorf("a stored %s holds %q", mime, p)
			}
		}
		if strings.HasSuffix(mime, ".document") {
			for name, part := range docxtest.Parts(t, data) {
				for _, p := range plants {
					if strings.Contains(part, p) {
						t.Errorf("the stored Word document's %s holds %q", name, p)
					}
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"image/jpeg", "image/png", "image/webp", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"} {
		if !mimes[want] {
			t.Errorf("no %s stored (have %v)", want, mimes)
		}
	}
	if len(mimes) != 4 {
		t.Errorf("stored kinds %v: a refused file was kept", mimes)
	}
	names, err := raw.Query(`SELECT name FROM report_attachments`)
	if err != nil {
		t.Fatal(err)
	}
	neutral := regexp.MustCompile(`^附件\d+\.(jpg|png|webp|docx)$`)
	count := 0
	for names.Next() {
		var name string
		names.Scan(&name)
		count++
		if !neutral.MatchString(name) {
			t.Errorf("attachment stored as %q", name)
		}
	}
	if count != kept+3+1 {
		t.Errorf("%d attachments stored, want %d", count, kept+3+1)
	}
	all := sqltest.FileBytes(t, dbPath)
	for _, p := range append(plants, "IMG_0042", "情况说明") {
		if bytes.Contains(all, []byte(p)) {
			t.Errorf("the database file or its WAL holds %q", p)
		}
	}
}

// upload sends a file as the web page does (multipart, field "file") and returns the answers.
func (c *webClient) upload(name string, data []byte) []webMsg {
	c.t.Helper()
	c.n++
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	res, err := c.http.Post(fmt.Sprintf("%sapi/upload?id=%s-up-%04d", c.base, c.name, c.n), mw.FormDataContentType(), &body)
	if err != nil {
		c.t.Fatalf("upload %s: %v", name, err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("upload %s: %s %s", name, res.Status, b)
	}
	return c.read()
}

// waitWeChat waits for a customer-service message to openid, after the first skip, holding want.
func waitWeChat(t *testing.T, fake *wechattest.Server, openid string, skip int, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		for _, m := range fake.Sent(openid)[skip:] {
			if strings.Contains(m.Text, want) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message with %q; sent %+v", want, fake.Sent(openid)[skip:])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ---------------------------------------------------------------------------
// Real, minimal files that carry the plants.

// exifTIFF is a little-endian TIFF structure as EXIF holds it: IFD0 with the Artist and a
// pointer to a GPS IFD with latitude, longitude (31°13'49.38"N 121°28'25.24"E) and the
// position as text in GPSAreaInformation.
func exifTIFF() []byte {
	type tag struct {
		id, typ uint16
		count   uint32
		data    []byte
	}
	le := binary.LittleEndian
	ascii := func(s string) []byte { return append([]byte(s), 0) }
	rat := func(v ...uint32) []byte {
		var b []byte
		for _, x := range v {
			b = le.AppendUint32(b, x)
		}
		return b
	}
	size := func(tags []tag) int {
		n := 2 + 12*len(tags) + 4
		for _, tg := range tags {
			if len(tg.data) > 4 {
				n += len(tg.data) + len(tg.data)&1
			}
		}
		return n
	}
	write := func(b []byte, tags []tag, at int) []byte {
		b = le.AppendUint16(b, uint16(len(tags)))
		extra := at + 2 + 12*len(tags) + 4
		var tail []byte
		for _, tg := range tags {
			b = le.AppendUint16(b, tg.id)
			b = le.AppendUint16(b, tg.typ)
			b = le.AppendUint32(b, tg.count)
			if len(tg.data) <= 4 {
				v := make([]byte, 4)
				copy(v, tg.data)
				b = append(b, v...)
				continue
			}
			b = le.AppendUint32(b, uint32(extra+len(tail)))
			tail = append(tail, tg.data...)
			if len(tg.data)&1 == 1 {
				tail = append(tail, 0)
			}
		}
		b = le.AppendUint32(b, 0)
		return append(b, tail...)
	}
	area := []byte("ASCII\x00\x00\x00" + plantGPS)
	gps := []tag{
		{1, 2, 2, ascii("N")},
		{2, 5, 3, rat(31, 1, 13, 1, 4938, 100)},
		{3, 2, 2, ascii("E")},
		{4, 5, 3, rat(121, 1, 28, 1, 2524, 100)},
		{0x1c, 7, uint32(len(area)), area},
	}
	artist := ascii(plantAuthor)
	ifd0 := []tag{{0x013b, 2, uint32(len(artist)), artist}, {0x8825, 4, 1, nil}}
	gpsAt := 8 + size(ifd0)
	ifd0[1].data = le.AppendUint32(nil, uint32(gpsAt))
	b := []byte("II*\x00\x08\x00\x00\x00")
	b = write(b, ifd0, 8)
	return write(b, gps, gpsAt)
}

func xmpPacket() string {
	return `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="31,13.823N" exif:GPSLongitude="121,28.421E" exif:GPSAreaInformation="` + plantGPS + `"><dc:creator><rdf:Seq><rdf:li>` + plantAuthor + `</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>`
}

func testPicture() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 16, 12))
	for y := range 12 {
		for x := range 16 {
			img.Set(x, y, color.RGBA{uint8(x * 15), uint8(y * 20), 120, 255})
		}
	}
	return img
}

func jpegSegment(marker byte, payload []byte) []byte {
	n := len(payload) + 2
	return append([]byte{0xff, marker, byte(n >> 8), byte(n)}, payload...)
}

// gpsJPEG is a photo with EXIF (GPS, Artist), XMP, IPTC and a comment.
func gpsJPEG(t *testing.T) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testPicture(), nil); err != nil {
		t.Fatal(err)
	}
	base := b.Bytes()
	out := append([]byte{}, base[:2]...)
	out = append(out, jpegSegment(0xe1, append([]byte("Exif\x00\x00"), exifTIFF()...))...)
	out = append(out, jpegSegment(0xe1, []byte("http://ns.adobe.com/xap/1.0/\x00"+xmpPacket()))...)
	out = append(out, jpegSegment(0xed, []byte("Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x10\x1c\x02\x50\x00\x0c"+plantAuthor))...)
	out = append(out, jpegSegment(0xfe, []byte("taken at "+plantGPS))...)
	return append(out, base[2:]...)
}

func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// gpsPNG is a screenshot with tEXt, iTXt (XMP), zTXt, eXIf and an iCCP profile named after
// its author.
func gpsPNG(t *testing.T) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, testPicture()); err != nil {
		t.Fatal(err)
	}
	base := b.Bytes()
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte("fake ICC profile, desc: " + plantAuthor))
	zw.Close()
	const afterIHDR = 8 + 25
	out := append([]byte{}, base[:afterIHDR]...)
	out = append(out, pngChunk("iCCP", append([]byte(plantAuthor+" profile\x00\x00"), z.Bytes()...))...)
	out = append(out, pngChunk("tEXt", []byte("Author\x00"+plantAuthor))...)
	out = append(out, pngChunk("iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00"+xmpPacket()))...)
	out = append(out, pngChunk("eXIf", exifTIFF())...)
	out = append(out, pngChunk("tIME", []byte{0x07, 0xea, 1, 2, 3, 4, 5})...)
	return append(out, base[afterIHDR:]...)
}

func riffChunk(fourCC string, payload []byte) []byte {
	b := append([]byte(fourCC), binary.LittleEndian.AppendUint32(nil, uint32(len(payload)))...)
	b = append(b, payload...)
	if len(payload)&1 == 1 {
		b = append(b, 0)
	}
	return b
}

// gpsWebP is a 1x1 lossless WebP (the image data of the well-known smallest one) with an
// ICC profile, EXIF and XMP, and the VP8X flags that announce them.
func gpsWebP() []byte {
	tiny, _ := base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
	body := []byte("WEBP")
	body = append(body, riffChunk("VP8X", []byte{0x20 | 0x08 | 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0})...)
	body = append(body, riffChunk("ICCP", []byte("fake ICC profile, desc: "+plantAuthor))...)
	body = append(body, tiny[12:]...) // the VP8L chunk
	body = append(body, riffChunk("EXIF", exifTIFF())...)
	body = append(body, riffChunk("XMP ", []byte(xmpPacket()))...)
	return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...), body...)
}

// isoFile is an ISO base media file (QuickTime, MP4, 3GP, CR3, HEIC by its brands) with the
// position in a ©xyz atom and the author in ©aut, as phones and cameras write them.
func isoFile(major, compat string) []byte {
	box := func(typ string, payload []byte) []byte {
		return append(append(binary.BigEndian.AppendUint32(nil, uint32(8+len(payload))), typ...), payload...)
	}
	text := func(s string) []byte {
		return append(binary.BigEndian.AppendUint32(nil, uint32(len(s))<<16|0x15c7), s...) // length, language
	}
	ftyp := box("ftyp", []byte(major+"\x00\x00\x02\x00"+compat+"isom"))
	udta := box("udta", append(box("\xa9xyz", text(plantGPS)), box("\xa9aut", text(plantAuthor))...))
	moov := box("moov", append(box("mvhd", make([]byte, 100)), udta...))
	exif := box("uuid", append([]byte("\x85\xc0\xb6\x87\x82\x0f\x11\xe0\x81\x11\xf4\xce\x46\x2b\x6a\x48"), box("CMT1", exifTIFF())...))
	return append(append(append(ftyp, moov...), exif...), box("mdat", []byte("frames"))...)
}

// gpsPDF is a one-page PDF whose document information names its author and whose XMP holds
// the position.
func gpsPDF() []byte {
	return []byte("%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R /Metadata 4 0 R>> endobj\n" +
		"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n" +
		"3 0 obj <</Author (" + plantAuthor + ") /Producer (Scanner)>> endobj\n" +
		"4 0 obj <</Type /Metadata /Subtype /XML>> stream\n" + xmpPacket() + "\nendstream endobj\n" +
		"trailer <</Root 1 0 R /Info 3 0 R>>\n%%EOF\n")
}

// oggVoice is the start of an Ogg Opus voice message whose tags name the speaker.
func oggVoice() []byte {
	return []byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x13OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00" +
		"OggS\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x30OpusTags\x07\x00\x00\x00libopus\x01\x00\x00\x00\x17ARTIST=" + plantAuthor)
}

// gpsDOCX is a Word document with its creator in docProps/core.xml, the position in a custom
// property and the GPS photo embedded.
func gpsDOCX(t *testing.T, photo []byte) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, p := range []struct{ name, data string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="jpeg" ContentType="image/jpeg"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties" Target="docProps/custom.xml"/></Relationships>`},
		{"docProps/core.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>` + plantAuthor + `</dc:creator><cp:lastModifiedBy>` + plantAuthor + `</cp:lastModifiedBy></cp:coreProperties>`},
		{"docProps/custom.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"><property name="Location"><vt:lpwstr xmlns:vt="x">` + plantGPS + `</vt:lpwstr></property></Properties>`},
		{"word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>情况说明</w:t></w:r></w:p><w:p><w:ins w:id="1" w:author="` + plantAuthor + `"><w:r><w:t>附照片</w:t></w:r></w:ins></w:p></w:body></w:document>`},
		{"word/_rels/document.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId5" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/image1.jpeg"/></Relationships>`},
		{"word/media/image1.jpeg", string(photo)},
	} {
		w, err := zw.Create(p.name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, p.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
