package verify

// Limits on untrusted input, gathered in one place. An input beyond a limit
// is ErrMalformed.
const (
	// MaxKindLen bounds an entry kind ("envelope.sent", "request.transition").
	MaxKindLen = 64
	// MaxObjectIDLen bounds an entry's object id.
	MaxObjectIDLen = 256
	// MaxBodyLen bounds an entry body kept in the log (bodies larger than
	// this are recorded by hash only).
	MaxBodyLen = 256 << 10
	// MaxNoteLen bounds a signed checkpoint note with its cosignatures.
	MaxNoteLen = 64 << 10
	// MaxProofHashes bounds a Merkle proof: a consistency proof of a tree of
	// 2^64 leaves has at most 2*64 hashes.
	MaxProofHashes = 128
	// MaxExportLine bounds one line of an export (an entry with the largest
	// body, base64-encoded, plus its fields; or the header).
	MaxExportLine = MaxBodyLen*4/3 + 4096 + MaxNoteLen
)
