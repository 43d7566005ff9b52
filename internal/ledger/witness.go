package ledger

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"

	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/pkg/verify"
)

// Alarm kinds.
const (
	// AlarmFork: a log signed two views that cannot both be true.
	AlarmFork = "fork"
	// AlarmRollback: a log presented a smaller tree than one already seen.
	AlarmRollback = "rollback"
)

// Cosign is the witness's decision, a pure function. checkpoint is a
// peer's signed note, verified with logKey; lastSeen is the note of the
// largest checkpoint of that log we cosigned before (nil the first time);
// proof is the consistency proof from lastSeen's size to the new size.
//
// It returns our cosignature (one signed-note signature line, C2SP
// tlog-cosignature v1) and the verified checkpoint. verify.ErrRollback
// and verify.ErrFork mean the log misbehaved: keep both notes as evidence
// and raise an alarm (Log.Witness does). ErrSignature and ErrMalformed
// mean the input is not from the log or is damaged: refuse it.
//
// SPEC (tlog-witness): the witness verifies the checkpoint is consistent
// with the latest one it recorded for the origin before cosigning.
func Cosign(cosigner note.Signer, logKey note.Verifier, checkpoint []byte, proof [][]byte, lastSeen []byte) (string, *verify.Checkpoint, error) {
	cp, err := verify.OpenCheckpoint(checkpoint, logKey)
	if err != nil {
		return "", nil, err
	}
	var prev *verify.Checkpoint
	if lastSeen != nil {
		if prev, err = verify.OpenCheckpoint(lastSeen, logKey); err != nil {
			return "", nil, fmt.Errorf("ledger: our last-seen checkpoint of %s: %w", logKey.Name(), err)
		}
	}
	if err := verify.CheckAppendOnly(prev, cp, proof); err != nil {
		return "", cp, err
	}
	// Cosign the body only: our signature line is appended to the log's.
	n, err := verify.ParseCheckpointBody(checkpointBody(checkpoint))
	if err != nil {
		return "", cp, err
	}
	signed, err := note.Sign(&note.Note{Text: string(n.Marshal())}, cosigner)
	if err != nil {
		return "", cp, fmt.Errorf("ledger: cosign: %w", err)
	}
	line, err := lastSigLine(signed)
	return line, cp, err
}

// checkpointBody returns the text of a signed note (up to and including
// the newline before the blank line).
func checkpointBody(msg []byte) []byte {
	for i := len(msg) - 2; i >= 0; i-- {
		if msg[i] == '\n' && msg[i+1] == '\n' {
			return msg[:i+1]
		}
	}
	return msg
}

// Witness verifies a peer's checkpoint against the last one we cosigned for
// that log, records it and returns our cosignature line. A fork or rollback
// is recorded as an alarm (with both notes as evidence) in a transaction of
// its own, logged at error level and returned as verify.ErrFork or
// verify.ErrRollback.
func (l *Log) Witness(ctx context.Context, logKey note.Verifier, checkpoint []byte, proof [][]byte) (string, error) {
	var line string
	var alarm *store.LedgerAlarm
	err := l.store.InTx(ctx, func(q store.Queries) error {
		var err error
		line, alarm, err = l.witness(ctx, q, logKey, checkpoint, proof)
		return err
	})
	if alarm != nil {
		l.alarm(ctx, *alarm)
	}
	if err != nil {
		return "", err
	}
	return line, nil
}

// WitnessTx is Witness inside the caller's transaction q (a federation
// handler's). An alarm is recorded through q: the caller must commit q
// even when the error is verify.ErrFork or verify.ErrRollback, so the
// alarm and its evidence are kept.
func (l *Log) WitnessTx(ctx context.Context, q store.Queries, logKey note.Verifier, checkpoint []byte, proof [][]byte) (string, error) {
	line, alarm, err := l.witness(ctx, q, logKey, checkpoint, proof)
	if alarm != nil {
		if aerr := l.alarmTx(ctx, q, *alarm); aerr != nil {
			return "", aerr
		}
	}
	return line, err
}

func (l *Log) witness(ctx context.Context, q store.Queries, logKey note.Verifier, checkpoint []byte, proof [][]byte) (string, *store.LedgerAlarm, error) {
	var last []byte
	prev, err := q.LatestWitnessed(ctx, logKey.Name())
	switch {
	case err == nil:
		last = prev.Note
	case !errors.Is(err, store.ErrNotFound):
		return "", nil, err
	}
	line, cp, err := Cosign(l.cosigner, logKey, checkpoint, proof, last)
	if errors.Is(err, verify.ErrFork) || errors.Is(err, verify.ErrRollback) {
		kind := AlarmFork
		if errors.Is(err, verify.ErrRollback) {
			kind = AlarmRollback
		}
		evidence := append(append(append([]byte(nil), last...), "\n"...), checkpoint...)
		return "", &store.LedgerAlarm{Origin: logKey.Name(), Kind: kind, Detail: err.Error(), Evidence: evidence}, err
	}
	if err != nil {
		return "", nil, err
	}
	if last != nil && cp.Size == uint64(prev.Size) {
		return line, nil, nil // the same view again: cosign, nothing new to keep
	}
	return line, nil, q.AddWitnessed(ctx, store.WitnessedCheckpoint{Origin: cp.Origin, Size: int64(cp.Size), Root: cp.Root,
		Note: checkpoint, Cosignature: line, At: l.clock.Now()})
}

// alarm records a and logs it; the record is its own transaction so that
// it survives the rollback of the operation that detected it.
func (l *Log) alarm(ctx context.Context, a store.LedgerAlarm) {
	err := l.store.InTx(ctx, func(q store.Queries) error { return l.alarmTx(ctx, q, a) })
	if err != nil {
		l.log.Error("ledger alarm not recorded", "err", err, "origin", a.Origin, "kind", a.Kind, "detail", a.Detail)
	}
}

// alarmTx records a through q, logs it and raises it to the people the
// node's Notify hook names (supervisors and auditors).
func (l *Log) alarmTx(ctx context.Context, q store.Queries, a store.LedgerAlarm) error {
	a.At = l.clock.Now()
	l.log.Error("ledger alarm", "origin", a.Origin, "kind", a.Kind, "detail", a.Detail)
	rec, err := q.AddLedgerAlarm(ctx, a)
	if err != nil {
		return err
	}
	if l.notify != nil {
		return l.notify(ctx, q, rec)
	}
	return nil
}

// Alarms lists recorded alarms with ID > after.
func (l *Log) Alarms(ctx context.Context, after int64, limit int) ([]store.LedgerAlarm, error) {
	return l.store.ListLedgerAlarms(ctx, after, limit)
}
