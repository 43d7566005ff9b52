package federation

import (
	"crypto/ed25519"
	"crypto/hpke"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/envelope"
)

// BenchmarkCryptoPerMessage is the cryptographic floor of one delivered,
// receipted message, on one core: seal (sign + X-Wing encapsulation),
// verify and open at the receiver, sign the receipt, verify the receipt
// at the sender. docs/benchmarks.md cites it.
func BenchmarkCryptoPerMessage(b *testing.B) {
	_, ssk, _ := ed25519.GenerateKey(nil)
	_, rsk, _ := ed25519.GenerateKey(nil)
	rk, _ := envelope.GenerateKey()
	payload := make([]byte, 512)
	keys := map[string]hpke.PublicKey{"CN": rk.PublicKey()}
	spub, rpub := ssk.Public().(ed25519.PublicKey), rsk.Public().(ed25519.PublicKey)
	for b.Loop() {
		h := envelope.Header{ID: envelope.NewID(), Type: "bench.message", Sender: "US", Recipients: []string{"CN"},
			Created: time.Now().UTC().Truncate(time.Microsecond), Conversation: "c"}
		envs, err := envelope.Seal(h, payload, ssk, keys)
		if err != nil {
			b.Fatal(err)
		}
		env := envs["CN"]
		if err := env.Verify(spub); err != nil {
			b.Fatal(err)
		}
		if _, err := env.Open(rk); err != nil {
			b.Fatal(err)
		}
		rc, err := envelope.NewReceipt(env, "CN", time.Now(), rsk)
		if err != nil {
			b.Fatal(err)
		}
		if err := rc.Verify(rpub); err != nil {
			b.Fatal(err)
		}
	}
}
