package scheduler

import (
	"context"
	"fmt"
	"time"

	"xuncha/i18n"
	"xuncha/store"
)

// Announce publishes the announcements whose time has come to every subscriber of the places
// they cover, reminds the same subscribers RemindDays before the window closes, and shuts each
// window at its close. A broadcast is queued in batches, each in one transaction with the
// outbox's dedupe keys (one per announcement, stage and chat): a restart in the middle queues
// the rest, never a second copy. Delivery pacing is the outbox dispatcher's.
func (s *Scheduler) Announce(ctx context.Context, now time.Time) error {
	var due []store.Announcement
	if err := s.store.Update(ctx, func(tx *store.Tx) (err error) {
		due, err = tx.DueAnnouncements(now)
		return err
	}); err != nil {
		return err
	}
	for _, a := range due {
		if err := s.announceOne(ctx, a, now); err != nil {
			return fmt.Errorf("announcement %d: %w", a.ID, err)
		}
	}
	return nil
}

func (s *Scheduler) announceOne(ctx context.Context, a store.Announcement, now time.Time) error {
	open := now.Before(a.CloseAt)
	published := false
	if a.PublishedAt.IsZero() {
		if open {
			published = true
			msg := func(lang string) store.OutMessage {
				contact := ""
				if a.Contact != "" {
					contact = i18n.T(lang, "ann.contact", a.Contact)
				}
				// Resident: public, for whoever subscribed, role or none (store.OutMessage).
				return store.OutMessage{Text: i18n.T(lang, "ann.publish", a.Title, a.Body, s.dateTime(a.OpenAt), s.dateTime(a.CloseAt), contact), Resident: true}
			}
			if err := s.broadcast(ctx, a, "published", msg); err != nil {
				return err
			}
		} else if err := s.mark(ctx, a.ID, "published"); err != nil {
			// Caught up after the window closed: publishing now would invite reports that can
			// no longer be taken.
			return err
		}
	}
	remindAt := a.CloseAt.AddDate(0, 0, -a.RemindDays)
	if a.RemindedAt.IsZero() && !now.Before(remindAt) {
		// Not right after a late publication (caught up after downtime): the announcement
		// itself names the closing time, and two pushes in a minute are one too many.
		if open && !published && a.RemindDays > 0 && remindAt.After(a.PublishAt) {
			msg := func(lang string) store.OutMessage {
				return store.OutMessage{Text: i18n.T(lang, "ann.remind", a.Title, s.dateTime(a.CloseAt)), Resident: true}
			}
			if err := s.broadcast(ctx, a, "reminded", msg); err != nil {
				return err
			}
		} else if err := s.mark(ctx, a.ID, "reminded"); err != nil {
			return err
		}
	}
	if !open {
		if err := s.mark(ctx, a.ID, "closed"); err != nil {
			return err
		}
		s.log.Info("announcement window closed", "announcement", a.ID)
	}
	return nil
}

func (s *Scheduler) mark(ctx context.Context, id int64, stage string) error {
	return s.store.Update(ctx, func(tx *store.Tx) error { return tx.MarkAnnouncement(id, stage) })
}

// broadcast queues msg to every subscriber of a's areas, Batch chats per transaction, and
// records the stage done in the transaction of the last batch.
func (s *Scheduler) broadcast(ctx context.Context, a store.Announcement, stage string, msg func(lang string) store.OutMessage) error {
	key := fmt.Sprintf("ann:%d:%s", a.ID, stage)
	var after int64
	total, queued := 0, 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var done bool
		err := s.update(ctx, JobAnnounce, func(tx *store.Tx) error {
			recips, err := tx.SubscribersOf(a.Areas, after, s.cfg.Batch)
			if err != nil {
				return err
			}
			n, err := send(tx, recips, key, msg)
			if err != nil {
				return err
			}
			total, queued = total+len(recips), queued+n
			if len(recips) > 0 {
				after = recips[len(recips)-1].ChatID
			}
			if len(recips) < s.cfg.Batch {
				done = true
				if err := s.toChannels(tx, key, msg); err != nil {
					return err
				}
				return tx.MarkAnnouncement(a.ID, stage)
			}
			return nil
		})
		if err != nil {
			return err
		}
		s.cfg.Wake()
		// Progress without content or chat ids: how far the broadcast is.
		s.log.Info("announcement broadcast progress", "announcement", a.ID, "stage", stage, "queued", total)
		if done {
			s.log.Info("announcement broadcast queued", "announcement", a.ID, "stage", stage, "recipients", total)
			return nil
		}
	}
}

// toChannels queues a broadcast to the configured channel chats, in the transaction that
// finishes it, with the same dedupe keys as the subscribers'.
func (s *Scheduler) toChannels(tx *store.Tx, key string, msg func(lang string) store.OutMessage) error {
	for _, c := range s.cfg.Channels {
		chat, err := tx.EnsureChat(c.Platform, c.Chat, "zh", true)
		if err != nil {
			return err
		}
		if _, err := tx.Enqueue(chat.ID, msg(chat.Lang), fmt.Sprintf("%s:%d", key, chat.ID)); err != nil {
			return fmt.Errorf("enqueue %s: %w", key, err)
		}
	}
	return nil
}
