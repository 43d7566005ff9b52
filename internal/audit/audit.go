// Package audit records who changed what. Every state-changing action of a
// domain service calls Record inside the transaction that makes the change,
// so the change and its audit entry commit together or not at all. The
// store keeps the trail append-only and hash-chained.
package audit

import (
	"context"

	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/store"
)

// MaxDetail bounds the free-text detail of an entry.
const MaxDetail = 2000

// Appender is the part of the store Record needs.
type Appender interface {
	AppendAudit(ctx context.Context, e store.AuditEntry) (store.AuditEntry, error)
}

// Record appends an entry for action on the object, with hashes of its
// before and after images (nil when the object did not or no longer
// exists). Hashes rather than copies keep secrets out of the trail while
// still proving which version an action saw and left.
func Record(ctx context.Context, q Appender, c clock.Clock, actor, action, objectType, objectID string, before, after any) error {
	return RecordDetail(ctx, q, c, actor, action, objectType, objectID, before, after, "")
}

// RecordDetail is Record with a short human-readable detail.
func RecordDetail(ctx context.Context, q Appender, c clock.Clock, actor, action, objectType, objectID string, before, after any, detail string) error {
	if len(detail) > MaxDetail {
		detail = detail[:MaxDetail]
	}
	_, err := q.AppendAudit(ctx, store.AuditEntry{
		At: c.Now(), Actor: actor, Action: action, ObjectType: objectType, ObjectID: objectID,
		BeforeHash: store.HashOf(before), AfterHash: store.HashOf(after), Detail: detail,
	})
	return err
}
