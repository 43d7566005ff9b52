package envelope

import "errors"

// Sentinel errors. Functions wrap them with %w and context; test with
// errors.Is. None of them is worth retrying with the same input: the same
// bytes will fail the same way.
var (
	// ErrMalformed means the input is not a well-formed, valid, canonical
	// encoding (bad JSON, unknown or missing fields, a field failing
	// validation, non-canonical form). The caller should reject the message
	// as a client error (HTTP 400 to a peer) and log it at warning level;
	// the joined *FieldError values inside, reachable with FieldErrors, say
	// which fields were wrong.
	ErrMalformed = errors.New("malformed")

	// ErrTooLarge means the input exceeds a bound in limits.go. The caller
	// should reject it without reading further (HTTP 413 to a peer).
	ErrTooLarge = errors.New("too large")

	// ErrBadSignature means a signature does not verify under the key the
	// caller expected. The message is forged, corrupted or signed by another
	// key of the same party: reject it, do not apply or acknowledge it, and
	// log it at error level as a possible attack.
	ErrBadSignature = errors.New("bad signature")

	// ErrKeyMismatch means a key does not belong where it was used: the
	// sender key ID in a header is not that of the key given to Verify, or a
	// key is of the wrong type or suite. Most often the peer has rotated
	// keys and our pinned copy is stale; reject the message and have an
	// administrator check the peer's pairing rather than trying other keys.
	ErrKeyMismatch = errors.New("key mismatch")

	// ErrDecrypt means the ciphertext did not decrypt with the given key, or
	// decrypted to something other than what the signed header describes.
	// The envelope was not encrypted for this key, or was altered: reject
	// it, and do not acknowledge it.
	ErrDecrypt = errors.New("decryption failed")

	// ErrUnknownRecipient means Seal was asked to address a party for which
	// it was given no public key. Nothing was sealed for anyone; the peer is
	// probably not paired. Fix the configuration rather than retrying.
	ErrUnknownRecipient = errors.New("no key for recipient")

	// ErrWrongEnvelope means a receipt verifies but acknowledges a different
	// envelope, or comes from a party the envelope was not sent to. Treat
	// it as no receipt at all: keep the envelope in the outbox.
	ErrWrongEnvelope = errors.New("receipt is for another envelope")

	// ErrBatchBroken means an earlier envelope of the same batch failed to
	// decrypt, so this one cannot be opened (the HPKE context's sequence
	// is lost). The envelope itself may be fine: the sender should send it
	// again in another batch (a temporary refusal, not a rejection).
	ErrBatchBroken = errors.New("an earlier envelope of the batch did not decrypt")
)

// FieldError reports one invalid field. Field is the field's name in the
// wire encoding, with a path where it is nested ("header.recipients[2]",
// "attachments[0].sha256"), so that it can be shown to whoever sent it.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// FieldErrors returns every *FieldError inside err, which may be a joined
// or wrapped error as returned by Validate, Decode and friends, in order.
func FieldErrors(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *FieldError:
			out = append(out, e)
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return out
}

// fieldErrs collects field errors under a common path prefix.
type fieldErrs struct {
	prefix string
	errs   []error
}

func (f *fieldErrs) add(field, reason string) {
	f.errs = append(f.errs, &FieldError{Field: f.prefix + field, Reason: reason})
}

func (f *fieldErrs) err() error { return errors.Join(f.errs...) }
