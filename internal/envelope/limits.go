package envelope

// Limits on everything this package accepts from outside. They are gathered
// here so that the bounds on a peer's input can be read in one place; every
// decoder checks its input size against them before parsing, and every
// header is validated against them before it is signed or acted upon.
const (
	// MaxRecipients bounds the parties one envelope is addressed to. Seal
	// encrypts the payload once per recipient, so this also bounds its work.
	MaxRecipients = 64

	// MinPartyCodeLen and MaxPartyCodeLen bound a party code
	// (uppercase A-Z, 0-9 and '-').
	MinPartyCodeLen = 2
	MaxPartyCodeLen = 16

	// MaxTypeLen bounds an envelope type such as "request.send".
	MaxTypeLen = 64

	// MaxConversationLen bounds the conversation identifier, in bytes.
	MaxConversationLen = 128

	// MaxMarkingLen bounds the handling marking, e.g. "TLP:AMBER+STRICT".
	MaxMarkingLen = 64

	// MaxAttachments bounds the attachment references in one header.
	MaxAttachments = 64

	// MaxAttachmentNameLen bounds an attachment's file name, in bytes.
	MaxAttachmentNameLen = 255

	// MaxAttachmentSize bounds one attachment's plaintext size (1 TiB). It
	// exists so that sums of sizes cannot overflow, not as a policy limit.
	MaxAttachmentSize = 1 << 40

	// MaxPayloadSize bounds the payload of one envelope. The payload is
	// sealed and opened in memory; anything larger belongs in an attachment,
	// which is streamed.
	MaxPayloadSize = 16 << 20

	// MaxHeaderSize bounds the canonical encoding of a header. A header at
	// every other limit above stays well below it.
	MaxHeaderSize = 64 << 10

	// MaxEnvelopeSize bounds the wire encoding of an envelope: the header,
	// plus the padded base64 of the largest ciphertext, the encapsulated key and the
	// signature, plus room for field names.
	MaxEnvelopeSize = MaxHeaderSize +
		(MaxPayloadSize+aeadOverhead+2)/3*4 +
		(encSize+2)/3*4 +
		(64+2)/3*4 +
		1<<10

	// MaxBatchEnvelopes bounds the envelopes sealed under one batch context
	// and the entries of one batch receipt, and so the length of a
	// receipt's inclusion proof (at most 12 hashes).
	MaxBatchEnvelopes = 1 << 12

	// MaxReceiptSize bounds the wire encoding of a receipt (one envelope's
	// entry, the signed batch head and an inclusion proof); a valid one is
	// at most about 1.6 KiB.
	MaxReceiptSize = 4 << 10

	// MaxBatchReceiptSize bounds the wire encoding of a batch receipt (the
	// signed head alone; the entries travel beside it); a valid one is
	// about 400 bytes.
	MaxBatchReceiptSize = 2 << 10

	// StreamChunkSize is the plaintext size of every chunk of an encrypted
	// stream but the last. Memory use of SealStream and OpenStream is a small
	// multiple of it, whatever the stream's length.
	StreamChunkSize = 64 << 10
)
