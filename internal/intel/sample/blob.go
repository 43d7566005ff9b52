package sample

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"
)

// ErrTooLarge: the upload is larger than the configured limit. Nothing was
// stored; answer 413.
var ErrTooLarge = errors.New("sample: larger than the limit")

// ErrCorrupt: a stored blob does not decrypt, or decrypts to bytes whose
// SHA-256 is not its name. It means disk corruption or tampering and must
// be raised, never served.
var ErrCorrupt = errors.New("sample: stored blob is corrupt")

// Digests are a file's size and hashes, lower-case hex.
type Digests struct {
	Size   int64
	MD5    string
	SHA1   string
	SHA256 string
	SHA512 string
}

// Blobs is the encrypted, content-addressed file store.
type Blobs struct {
	dir  string
	id   *age.HybridIdentity
	rcpt *age.HybridRecipient
}

// OpenBlobs opens the store rooted at dir with the identity in keyFile,
// creating both (0700 / 0600) if they do not exist.
func OpenBlobs(dir, keyFile string) (*Blobs, error) {
	for _, d := range []string{dir, filepath.Join(dir, "tmp"), filepath.Dir(keyFile)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	id, err := loadIdentity(keyFile)
	if err != nil {
		return nil, err
	}
	return &Blobs{dir: dir, id: id, rcpt: id.Recipient()}, nil
}

func loadIdentity(keyFile string) (*age.HybridIdentity, error) {
	b, err := os.ReadFile(keyFile)
	if errors.Is(err, os.ErrNotExist) {
		id, err := age.GenerateHybridIdentity()
		if err != nil {
			return nil, err
		}
		f, err := os.OpenFile(keyFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, err
		}
		_, err = fmt.Fprintf(f, "# Liaison sample store identity: decrypts data/samples/**/*.age\n# public key: %s\n%s\n", id.Recipient(), id)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(keyFile)
			return nil, err
		}
		return id, nil
	}
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(keyFile); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("sample: %s is readable by others (mode %v); chmod 600 it", keyFile, fi.Mode().Perm())
	}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, err := age.ParseHybridIdentity(line)
		if err != nil {
			return nil, fmt.Errorf("sample: %s: not an age hybrid identity", keyFile)
		}
		return id, nil
	}
	return nil, fmt.Errorf("sample: %s holds no identity", keyFile)
}

// ValidSHA256 reports whether s is a lower-case hex SHA-256.
func ValidSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

func (b *Blobs) path(sha string) string {
	return filepath.Join(b.dir, sha[:2], sha+".age")
}

// Has reports whether the blob is stored.
func (b *Blobs) Has(sha string) bool {
	if !ValidSHA256(sha) {
		return false
	}
	_, err := os.Stat(b.path(sha))
	return err == nil
}

// Put streams r into the store, encrypting as it goes and computing every
// digest in the same single pass; memory use does not depend on the size.
// More than max bytes is ErrTooLarge and stores nothing. Bytes already
// stored are not stored twice.
func (b *Blobs) Put(r io.Reader, max int64) (Digests, error) {
	tmp, err := os.CreateTemp(filepath.Join(b.dir, "tmp"), "up-*")
	if err != nil {
		return Digests{}, err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	d, err := b.write(tmp, r, max)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Digests{}, err
	}
	final := b.path(d.SHA256)
	if _, err := os.Stat(final); err == nil {
		return d, nil
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return Digests{}, err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return Digests{}, err
	}
	return d, nil
}

func (b *Blobs) write(f *os.File, r io.Reader, max int64) (Digests, error) {
	w, err := age.Encrypt(f, b.rcpt)
	if err != nil {
		return Digests{}, err
	}
	hs := []hash.Hash{md5.New(), sha1.New(), sha256.New(), sha512.New()}
	mw := io.MultiWriter(w, hs[0], hs[1], hs[2], hs[3])
	n, err := io.Copy(mw, io.LimitReader(r, max+1))
	if err != nil {
		return Digests{}, err
	}
	if n > max {
		return Digests{}, fmt.Errorf("%w of %d bytes", ErrTooLarge, max)
	}
	if err := w.Close(); err != nil {
		return Digests{}, err
	}
	if err := f.Sync(); err != nil {
		return Digests{}, err
	}
	sum := func(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }
	return Digests{Size: n, MD5: sum(hs[0]), SHA1: sum(hs[1]), SHA256: sum(hs[2]), SHA512: sum(hs[3])}, nil
}

// Open returns the plaintext of a stored blob as a stream. The stream
// fails with ErrCorrupt if the bytes do not hash to sha; a caller that
// forwards them must therefore treat a read error as fatal to what it
// sent.
func (b *Blobs) Open(sha string) (io.ReadCloser, error) {
	if !ValidSHA256(sha) {
		return nil, fmt.Errorf("sample: %q is not a SHA-256", sha)
	}
	f, err := os.Open(b.path(sha))
	if err != nil {
		return nil, err
	}
	r, err := age.Decrypt(f, b.id)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, sha, err)
	}
	return &checked{r: r, f: f, h: sha256.New(), want: sha}, nil
}

// checked verifies the SHA-256 of what was read when the stream ends.
type checked struct {
	r    io.Reader
	f    *os.File
	h    hash.Hash
	want string
}

func (c *checked) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	if err == io.EOF {
		if hex.EncodeToString(c.h.Sum(nil)) != c.want {
			return n, fmt.Errorf("%w: %s does not hash to its name", ErrCorrupt, c.want)
		}
	} else if err != nil {
		err = fmt.Errorf("%w: %s: %v", ErrCorrupt, c.want, err)
	}
	return n, err
}

func (c *checked) Close() error { return c.f.Close() }
