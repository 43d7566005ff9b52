// Package request runs requests for assistance between parties: typed
// requests whose fields are declared once (schema.go) and drive
// validation, the API's JSON Schema, the CLI and the console; one
// lifecycle shared by both sides (lifecycle.go); and deadline clocks per
// type and priority on each party's business calendar (deadline.go).
//
// # One timeline, two nodes
//
// A request's state is never written directly: it is the fold of its
// timeline, a set of events each made by one party (send, deliver,
// acknowledge, answer, refuse, ...). Every event is one store transaction
// on the node that makes it — the event, the derived state, the audit
// entry, the ledger entry and the federation message to the other party
// commit together (transactional outbox) — and is applied by the other
// node's federation handler in its inbox transaction. Events carry a
// Lamport time; both nodes replay them in (Lamport, party, ID) order, so
// when both hold the same events they hold the same state and timeline,
// even when both parties acted at once. An event that loses such a race
// (for example an acknowledgement ordered after a withdrawal) stays in the
// timeline marked void with the reason, on both sides.
//
// The requested node records the delivery itself, at the time of the
// signed receipt, with the deadlines its calendar and the bilateral policy
// give; the deliver event carries them back, so both parties run the same
// clocks. Clocks pause while the request waits for the requester (more
// information needed, postponed) and resume on reply.
package request
