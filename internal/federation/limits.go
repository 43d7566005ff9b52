package federation

import (
	"time"

	"github.com/liaison-dev/liaison/internal/envelope"
)

// Limits and defaults of the federation protocol, in one place.
const (
	// Lanes is the number of lanes each recipient's queue is split into.
	// It is stored with every queued message, so changing it would only
	// affect new messages; do not change it lightly.
	Lanes = 8

	// MaxBatchEnvelopes bounds the envelopes in one inbox request.
	MaxBatchEnvelopes = 256

	// MaxBatchBytes bounds the envelope frames of one inbox request
	// (attachment streams are bounded by their signed sizes instead).
	MaxBatchBytes = 64 << 20

	// MaxResponseBytes bounds a peer's answer to one inbox request.
	MaxResponseBytes = 4 << 20

	// DefaultWorkers is how many requests to one peer may be in flight at
	// once: the lanes are shared out among that many workers. Few workers
	// make full batches, which amortise each request's fixed costs (the
	// batch's key encapsulation, its signed receipt, two durable
	// commits); more than one keeps both nodes busy while a batch is on
	// the wire or being committed.
	DefaultWorkers = 2

	// DefaultBatchSize is how many queued envelopes the worker sends per
	// request.
	DefaultBatchSize = 128

	// DefaultFreshness is how old an envelope may be when it arrives. A
	// peer that is unreachable for longer than this gets its queued
	// messages refused as stale and must be resent by the domain.
	DefaultFreshness = 7 * 24 * time.Hour

	// DefaultFutureSkew is how far in the future an envelope's creation
	// time may be (clock skew between nodes).
	DefaultFutureSkew = 5 * time.Minute

	// DefaultRetryBase and DefaultRetryMax bound the retry backoff: the
	// n-th retry waits about min(max, base*2^n), with jitter.
	DefaultRetryBase = 250 * time.Millisecond
	DefaultRetryMax  = 5 * time.Minute

	// DefaultPoll is how often an idle lane looks for work it was not
	// kicked for; DefaultProbe how often an idle peer is pinged.
	DefaultPoll  = time.Second
	DefaultProbe = 30 * time.Second

	// DefaultRequestTimeout bounds one inbox request without attachments.
	DefaultRequestTimeout = 30 * time.Second

	// DefaultMaxEnvelope is the largest envelope the inbox accepts.
	DefaultMaxEnvelope = envelope.MaxEnvelopeSize
)
