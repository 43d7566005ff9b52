package sample

import (
	"archive/zip"
	"compress/flate"
	"crypto/rand"
	"hash/crc32"
	"io"
	"time"
)

// ZipPassword is the community convention for handing a sample to a person:
// a zip whose one entry is encrypted with this password, so that no mail
// filter, scanner or double-click acts on the sample by accident.
const ZipPassword = "infected"

// ZipWarning is shown with every zipped or raw download.
const ZipWarning = "WARNING: live malware. Handle only in an isolated analysis environment; never open or run it on a " +
	"production or personal machine. The zip password is \"infected\" and its encryption (ZipCrypto) gives NO confidentiality."

// WriteZip writes a zip archive holding one entry, name, whose content is
// read from r and encrypted with the traditional PKWARE method
// ("ZipCrypto", PKWARE APPNOTE 6.3.10 section 6.1) under password. The
// stream is compressed and encrypted as it is read; nothing is held whole.
//
// ZipCrypto is a weak, legacy cipher: it is used here because every unzip
// tool and sandbox understands it and because the convention needs no
// secrecy — the password is public. It protects against accidents, not
// against anyone. No maintained Go library available to this project
// writes it (github.com/yeka/zip and alexmullins/zip are not served by the
// module proxy and are stale forks of archive/zip), so this file adds the
// cipher to the standard library's writer as a compressor.
func WriteZip(w io.Writer, name string, modified time.Time, password string, r io.Reader) error {
	zw := zip.NewWriter(w)
	fh := &zip.FileHeader{Name: name, Method: zip.Deflate}
	// The MS-DOS time is set directly (not Modified) so that its high
	// byte, which the encryption header's check byte must equal when the
	// sizes follow in a data descriptor (APPNOTE 6.1.6), is known here.
	fh.ModifiedDate, fh.ModifiedTime = msDosTime(modified.UTC())
	fh.Flags |= 0x1 // encrypted (APPNOTE 4.4.4 bit 0)
	check := byte(fh.ModifiedTime >> 8)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		ew := newZipCryptoWriter(out, password, check)
		fw, err := flate.NewWriter(ew, flate.DefaultCompression)
		if err != nil {
			return nil, err
		}
		return deflateThenEncrypt{fw, ew}, nil
	})
	fw, err := zw.CreateHeader(fh)
	if err != nil {
		return err
	}
	if _, err := io.Copy(fw, r); err != nil {
		return err
	}
	return zw.Close()
}

func msDosTime(t time.Time) (date, clock uint16) {
	if t.Year() < 1980 {
		t = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	date = uint16(t.Day() + int(t.Month())<<5 + (t.Year()-1980)<<9)
	clock = uint16(t.Second()/2 + t.Minute()<<5 + t.Hour()<<11)
	return date, clock
}

// zipCrypto is the traditional PKWARE stream cipher's key state.
type zipCrypto struct{ k0, k1, k2 uint32 }

func newZipCrypto(password string) *zipCrypto {
	z := &zipCrypto{0x12345678, 0x23456789, 0x34567890}
	for i := 0; i < len(password); i++ {
		z.update(password[i])
	}
	return z
}

func crc32Byte(crc uint32, b byte) uint32 {
	return crc32.IEEETable[byte(crc)^b] ^ crc>>8
}

func (z *zipCrypto) update(b byte) {
	z.k0 = crc32Byte(z.k0, b)
	z.k1 = (z.k1+z.k0&0xff)*134775813 + 1
	z.k2 = crc32Byte(z.k2, byte(z.k1>>24))
}

func (z *zipCrypto) stream() byte {
	t := uint16(z.k2 | 2)
	return byte(uint32(t) * uint32(t^1) >> 8)
}

func (z *zipCrypto) encrypt(b byte) byte {
	c := b ^ z.stream()
	z.update(b)
	return c
}

func (z *zipCrypto) decrypt(c byte) byte {
	b := c ^ z.stream()
	z.update(b)
	return b
}

// deflateThenEncrypt closes the deflate stream, then makes sure the
// encryption header went out even for an empty entry.
type deflateThenEncrypt struct {
	*flate.Writer
	e *zipCryptoWriter
}

func (d deflateThenEncrypt) Close() error {
	if err := d.Writer.Close(); err != nil {
		return err
	}
	return d.e.Close()
}

// zipCryptoWriter encrypts what is written to it after emitting the
// 12-byte encryption header (11 random bytes and the check byte). The
// header goes out with the first write: archive/zip creates the
// compressor before it writes the entry's local header.
type zipCryptoWriter struct {
	w      io.Writer
	z      *zipCrypto
	hdr    [12]byte
	header bool
	buf    []byte
}

func newZipCryptoWriter(w io.Writer, password string, check byte) *zipCryptoWriter {
	e := &zipCryptoWriter{w: w, z: newZipCrypto(password)}
	rand.Read(e.hdr[:11])
	e.hdr[11] = check
	for i := range e.hdr {
		e.hdr[i] = e.z.encrypt(e.hdr[i])
	}
	return e
}

func (e *zipCryptoWriter) writeHeader() error {
	if e.header {
		return nil
	}
	e.header = true
	_, err := e.w.Write(e.hdr[:])
	return err
}

func (e *zipCryptoWriter) Write(p []byte) (int, error) {
	if err := e.writeHeader(); err != nil {
		return 0, err
	}
	if cap(e.buf) < len(p) {
		e.buf = make([]byte, len(p))
	}
	b := e.buf[:len(p)]
	for i, c := range p {
		b[i] = e.z.encrypt(c)
	}
	return e.w.Write(b)
}

func (e *zipCryptoWriter) Close() error { return e.writeHeader() }
