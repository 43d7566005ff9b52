// Package sample keeps malware samples and analysis report documents:
// uploaded as streams, content-addressed by SHA-256 (with MD5, SHA-1 and
// SHA-512 computed in the same single pass), stored encrypted at rest,
// described in a collection by STIX 2.1 file, malware and report objects,
// handed to authorised people raw or in the conventional zip with the
// password "infected", and shared with peers as encrypted federation
// attachments under the objects' TLP marking.
//
// # Never executed
//
// Nothing in this package, or anything it calls, runs a sample: the bytes
// are only hashed, encrypted, decrypted and copied. They are never passed
// to os/exec, never loaded, never written with an execute bit (every file
// is created 0600 in 0700 directories), and on disk they exist only as age
// ciphertext named by the SHA-256, so nothing can open a sample by its
// extension. Plain bytes leave the node only when an authorised user asks
// for them (the download is audited) and, between nodes, inside the
// federation's HPKE-encrypted attachment stream.
//
// # Encryption at rest
//
// Blobs are age files (filippo.io/age, the format at age-encryption.org/v1:
// ChaCha20-Poly1305 in 64 KiB authenticated chunks) encrypted to a hybrid
// post-quantum recipient (ML-KEM-768 + X25519). The identity lives in the
// node directory (keys/samples.age, mode 0600), created on first use; an
// operator can decrypt a blob with the standard age tool and that file.
// A reader also checks the plaintext's SHA-256 against the blob's name, so
// a blob swapped on disk is noticed.
//
// # Fuzzy hashes
//
// No maintained pure-Go ssdeep or TLSH library is available to this
// project's module proxy (github.com/glaslos/ssdeep and glaslos/tlsh are
// not served), so no fuzzy hash is computed; the store has room to add one
// when a library can be vetted.
package sample
