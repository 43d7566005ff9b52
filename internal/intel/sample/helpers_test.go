package sample

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"io"
)

func zipReader(b []byte) (*zip.Reader, error) {
	return zip.NewReader(bytes.NewReader(b), int64(len(b)))
}

func flateReader(b []byte) io.Reader { return flate.NewReader(bytes.NewReader(b)) }

func crc32IEEE(b []byte) uint32 { return crc32.ChecksumIEEE(b) }
