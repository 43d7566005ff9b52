// Package federation carries envelopes between paired nodes: a
// transactional outbox on the sending side, an inbox on the receiving side,
// signed receipts back, and retries in between until every message is
// delivered exactly once.
//
// # Sending
//
// A domain service calls [Service.Enqueue] inside the store transaction of
// the state change that causes the message, so the message is recorded if
// and only if the change is. After the transaction commits it calls
// [Service.Kick] to have the outbox worker look at once (the worker also
// polls). The worker seals each message (envelope.Seal: signed once,
// encrypted to each recipient) the first time it picks it up and stores the
// sealed bytes, so that every retry sends the same bytes and the receipt's
// envelope hash names them. It POSTs batches to the peer's
// /federation/v1/inbox over mutual TLS pinned to the peer's certificate
// fingerprint, retries with exponential backoff and jitter whose schedule
// is stored (so it survives restarts), verifies each receipt with the
// peer's pinned signing key and stores it with the delivery, in one
// transaction.
//
// # Order
//
// Each recipient's queue is split into [Lanes] lanes by conversation. The
// lanes are shared out among a few workers (Service.Workers), each sending
// one request at a time with the due messages of all its lanes, so a lane
// has at most one request in flight; a lane waiting for a retry holds up
// only itself. Within a request the receiver
// applies envelopes in order and refuses (for retry) any envelope that
// follows a failed one of the same conversation. So the receiver applies a
// conversation's messages in the order the sender committed them, whatever
// the network does: a later message is only sent once every earlier one
// has a receipt or has been refused for good.
//
// # Receiving
//
// The inbox authenticates the peer by its TLS client certificate, then for
// each envelope checks, cheapest first: the encoding and size, that the
// sender is the party of the certificate, that we are the recipient, the
// signature under the sender's pinned key (or a key pinned for it before,
// after a rotation), that a handler exists for the type, freshness, and the
// payload's decryption and digest. Attachments stream from the request
// body to disk through envelope.OpenStream and must match the signed
// digests. It then records the envelope and calls the type's [Handler] in
// one transaction, deduplicating by envelope ID, and answers each envelope
// with a signed receipt (or, for a duplicate, the receipt it gave before).
// Every refusal is an RFC 9457 problem naming the reason, logged and
// counted by reason in liaison_federation_inbox_rejections_total.
//
// Federation knows nothing of what the payloads mean: domain packages
// register a Handler per envelope type with [Service.Handle].
package federation
