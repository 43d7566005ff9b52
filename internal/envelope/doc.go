// Package envelope defines the wire format that Liaison nodes exchange: a
// canonical, signed header; a payload encrypted separately to each recipient
// party; streamed, chunked encryption for large attachments; and signed
// delivery receipts.
//
// An envelope travels to exactly one recipient. The sender signs the
// canonical header once with its Ed25519 key, and encrypts the payload to
// each recipient with HPKE (RFC 9180) in base mode, using the hybrid
// post-quantum KEM ML-KEM-768+X25519 (X-Wing). HPKE base mode does not
// authenticate the sender: anyone holding a recipient's public key can
// encrypt to it. Authenticity therefore comes only from the signature, which
// covers the payload's SHA-256 and size; [Envelope.Open] refuses a payload
// that does not match them.
//
// Receiving an envelope from a peer goes in this order, cheapest first:
//
//	env, err := envelope.Decode(body)      // bounded, strict, canonical only
//	err = env.Verify(peerSigningKey)       // header valid, signed by that peer
//	// check env.Recipient is us, env.Header.Sender is that peer, freshness, dedup by ID
//	payload, err := env.Open(ourHPKEKey)   // decrypt, check hash and size
//	rcpt, err := envelope.NewReceipt(env, us, now, ourSigningKey)
//
// The package does no I/O of its own beyond the readers and writers it is
// handed, keeps no state, and reads no clock: callers pass the creation and
// reception times in.
package envelope
