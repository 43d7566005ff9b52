// Package casework runs joint cases on the priority cybercrimes across
// parties: a case file every participating party holds (title, summary,
// category from the taxonomy, each side's case number and lead officer,
// linked requests, intelligence, samples, leads and files, tasks from the
// category's template, a money trail), with one timeline replicated over
// federation to the participants only.
//
// # Replication
//
// A case's state is a fold of its events (Fold), like a request's. Every
// change is an event made by one party, applied locally and enqueued to
// the other participants in the same transaction (transactional outbox).
// A party that joins receives the history it may have: the header and
// membership, tasks that concern it, and items whose handling allows it.
// Tasks travel only to the parties they concern; a party that does not
// participate receives nothing, and an envelope from or about a
// non-participant is refused.
//
// # Handling
//
// Every item carries TLP 2.0, handling conditions and an Admiralty-code
// evaluation. Onward sharing — a party passing an item it did not
// originate to a party that was not among its recipients — needs the
// item's TLP to be CLEAR or GREEN with no "no onward sharing" condition,
// or a recorded grant from the originator (RequestPermission,
// DecidePermission). Both the sender (ErrHandling) and the receiver
// (refusing the envelope) enforce it.
//
// # CSAM
//
// A case of category csam accepts hashes (MD5, SHA-1, SHA-256, PhotoDNA),
// grading and reference ids — never media: a file is refused at the API
// (ErrMedia) and an envelope carrying one, or an attachment item, is
// refused permanently at the inbox with nothing stored.
//
// # Correlation
//
// Indicators, accounts, wallets, e-mail addresses and hashes are indexed
// by normalised value (store.CaseKey). A new value is one index lookup;
// a case's flags are one indexed join. When the matching case has other
// participants, a correlation event "also seen in case X at party Y" goes
// into each case, only where the matching item's handling allows telling
// parties outside its recipients.
package casework
