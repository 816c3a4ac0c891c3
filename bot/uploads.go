package bot

import (
	"context"
	"sync"
)

// Uploads bounds the files held in memory at once, across every channel: a file is read
// whole (a web upload, a Telegram download, a WeChat image) and kept until its step has
// stored it, so a few strangers sending large files at once could otherwise take the memory
// of the machine. It bounds both how many files and how many bytes together; a file larger
// than the byte budget is counted as the whole budget.
//
// Waiters are served in arrival order, so a large file is not starved by small ones. Safe
// for concurrent use.
type Uploads struct {
	maxCount int
	maxBytes int64

	mu      sync.Mutex
	count   int
	bytes   int64
	waiting []*uploadWaiter
}

type uploadWaiter struct {
	n     int64
	ready chan struct{} // closed when the slot is granted
}

// NewUploads returns a bound of count files and bytes bytes in memory at once.
func NewUploads(count int, bytes int64) *Uploads {
	return &Uploads{maxCount: max(count, 1), maxBytes: max(bytes, 1)}
}

// UploadSlot is the room one file holds; Release it when the file's step is done.
type UploadSlot struct {
	u    *Uploads
	n    int64
	once sync.Once
}

// Acquire waits for room for a file of up to n bytes, until ctx is done. A nil Uploads
// bounds nothing.
func (u *Uploads) Acquire(ctx context.Context, n int64) (*UploadSlot, error) {
	if u == nil {
		return &UploadSlot{}, nil
	}
	n = min(max(n, 0), u.maxBytes)
	u.mu.Lock()
	if len(u.waiting) == 0 && u.fits(n) {
		u.take(n)
		u.mu.Unlock()
		return &UploadSlot{u: u, n: n}, nil
	}
	w := &uploadWaiter{n: n, ready: make(chan struct{})}
	u.waiting = append(u.waiting, w)
	u.mu.Unlock()
	select {
	case <-w.ready:
		return &UploadSlot{u: u, n: n}, nil
	case <-ctx.Done():
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	select {
	case <-w.ready: // granted while giving up: hand the room on
		u.give(n)
	default:
		for i, o := range u.waiting {
			if o == w {
				u.waiting = append(u.waiting[:i], u.waiting[i+1:]...)
				break
			}
		}
		u.grant() // the ones behind a large waiter may fit now
	}
	return nil, ctx.Err()
}

// Shrink gives back the room the file does not need once its size is known (a download of
// unknown size takes the largest first).
func (s *UploadSlot) Shrink(n int64) {
	if s == nil || s.u == nil || n >= s.n || n < 0 {
		return
	}
	s.u.mu.Lock()
	defer s.u.mu.Unlock()
	s.u.bytes -= s.n - n
	s.n = n
	s.u.grant()
}

// Release gives the room back; a second call does nothing.
func (s *UploadSlot) Release() {
	if s == nil || s.u == nil {
		return
	}
	s.once.Do(func() {
		s.u.mu.Lock()
		defer s.u.mu.Unlock()
		s.u.give(s.n)
	})
}

func (u *Uploads) fits(n int64) bool { return u.count < u.maxCount && u.bytes+n <= u.maxBytes }

func (u *Uploads) take(n int64) { u.count++; u.bytes += n }

// give returns a slot's room and grants what now fits; u.mu is held.
func (u *Uploads) give(n int64) {
	u.count--
	u.bytes -= n
	u.grant()
}

// grant wakes the waiters at the head of the queue that fit; u.mu is held.
func (u *Uploads) grant() {
	for len(u.waiting) > 0 && u.fits(u.waiting[0].n) {
		w := u.waiting[0]
		u.waiting = u.waiting[1:]
		u.take(w.n)
		close(w.ready)
	}
}
