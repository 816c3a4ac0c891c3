package handlers_test

import (
	"fmt"
	"testing"

	"xuncha/handlers"
)

// TestRefusedAttachmentAnswersPolitely: a file of a kind that is not kept (an iPhone video,
// a Canon raw, a PDF, an old Word file, audio) is answered in the sender's language with the
// kinds that are accepted, nothing of it is stored, and the report goes on: the next photo is
// taken, and the report is filed with it alone, stored under a neutral name.
func TestRefusedAttachmentAnswersPolitely(t *testing.T) {
	en, e := newEngine(t)
	refused := []handlers.File{
		{Name: "IMG_0042.MOV", Data: []byte("\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  \x00\x00\x00\x08wide©xyz+31.2304+121.4737/")},
		{Name: "VID_20260101.3gp", Data: []byte("\x00\x00\x00\x14ftyp3gp4\x00\x00\x02\x003gp4isom")},
		{Name: "IMG_0001.CR3", Data: []byte("\x00\x00\x00\x18ftypcrx \x00\x00\x00\x01crx isom")},
		{Name: "张三的举报.pdf", Data: []byte("%PDF-1.4\n1 0 obj << /Author (张三) >> endobj\n%%EOF\n")},
		{Name: "old.doc", Data: []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 author")},
		{Name: "voice.mp3", Data: []byte("ID3\x03\x00\x00\x00\x00\x00\x10TPE1")},
		{Name: "photo.jpg", Data: []byte("RIFF\x24\x00\x00\x00AVI LIST")}, // a video named as a photo
	}
	for i := range refused {
		refused[i].Size = int64(len(refused[i].Data))
	}

	t.Run("zh", func(t *testing.T) {
		const chat = "refused-zh"
		en.toDescription(t, e, chat)
		send(t, e, chat, descWithTime).must(t, "如有照片")
		for _, f := range refused {
			r := sendFiles(t, e, chat, "", f)
			r.must(t, "为保护您的隐私", "没有被记录", "JPG、PNG、WebP、GIF", ".docx", ".xlsx", "纯文本", "您可以继续")
			r.mustNot(t, "无法读取")
		}
		if n := en.count(t, `SELECT COUNT(*) FROM blobs`); n != 0 {
			t.Fatalf("%d blobs stored from refused files", n)
		}
		sendFiles(t, e, chat, "", pngFile(t)).must(t, "已收到附件（共 1 个）")
		finishAnon(t, e, chat, "keep").must(t, "附件：1 个")
		press(t, e, chat, "ok").must(t, "查询码")
		wantCount(t, en.count, 1, "the photo is not stored as 附件1.png", `SELECT COUNT(*) FROM report_attachments WHERE name = '附件1.png'`)
	})

	t.Run("en", func(t *testing.T) {
		const chat = "refused-en"
		send(t, e, chat, "/lang en")
		send(t, e, chat, "/report")
		press(t, e, chat, "c:interests")
		press(t, e, chat, fmt.Sprintf("t:%d", en.township))
		press(t, e, chat, fmt.Sprintf("v:%d", en.village))
		send(t, e, chat, subjectText)
		send(t, e, chat, descWithTime).must(t, "photos")
		for _, f := range refused {
			r := sendFiles(t, e, chat, "", f)
			r.must(t, "To protect your privacy", "was not recorded", "JPG, PNG, WebP, GIF", ".docx", ".xlsx", "plain text", "You can carry on")
			r.mustNot(t, "为保护")
		}
		sendFiles(t, e, chat, "", pngFile(t)).must(t, "Attachment received (1 in all)")
	})
}
