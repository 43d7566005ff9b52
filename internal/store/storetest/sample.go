package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/store"
)

func testSamples(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	for _, id := range []string{"c1", "c2"} {
		if err := s.CreateCollection(ctx, store.Collection{ID: id, Title: id, Created: t0}); err != nil {
			t.Fatal(err)
		}
	}
	sample := func(i int) store.Sample {
		return store.Sample{SHA256: fmt.Sprintf("%064x", i), MD5: fmt.Sprintf("%032x", i), SHA1: fmt.Sprintf("%040x", i),
			SHA512: fmt.Sprintf("%0128x", i), Size: int64(1000 + i), Kind: store.SampleMalware, Name: fmt.Sprintf("s%d.exe", i),
			MIMEType: "application/x-dosexec", CreatedBy: "analyst", Created: t0}
	}
	a := sample(1)
	if created, err := s.PutSample(ctx, a); err != nil || !created {
		t.Fatalf("PutSample = %v, %v; want created", created, err)
	}
	// The same bytes again: the first record wins.
	b := a
	b.Name, b.CreatedBy = "other.bin", "someone"
	if created, err := s.PutSample(ctx, b); err != nil || created {
		t.Fatalf("PutSample again = %v, %v; want not created, no error", created, err)
	}
	got, err := s.GetSample(ctx, a.SHA256)
	if err != nil || got != a {
		t.Fatalf("GetSample = %+v, %v; want %+v", got, err, a)
	}
	if _, err := s.GetSample(ctx, "00"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing sample: %v", err)
	}
	l := store.SampleLink{SHA256: a.SHA256, CollectionID: "c1", FileID: "file--1", MalwareID: "malware--1", TLP: 4,
		Recipients: []string{"CN", "RU"}, Created: t0}
	for range 2 {
		if err := s.AddSampleLink(ctx, l); err != nil {
			t.Fatalf("AddSampleLink: %v", err)
		}
	}
	l2 := store.SampleLink{SHA256: a.SHA256, CollectionID: "c2", FileID: "file--1", TLP: 1, Created: t0.Add(time.Second)}
	if err := s.AddSampleLink(ctx, l2); err != nil {
		t.Fatal(err)
	}
	if err := s.AddSampleLink(ctx, store.SampleLink{SHA256: "ff", CollectionID: "c1", FileID: "file--2", Created: t0}); err == nil {
		t.Fatal("link to an unknown sample accepted")
	}
	links, err := s.ListSampleLinks(ctx, a.SHA256)
	if err != nil || len(links) != 2 || fmt.Sprint(links[0].Recipients) != "[CN RU]" || links[0].TLP != 4 || links[1].CollectionID != "c2" ||
		len(links[1].Recipients) != 0 || !links[1].Created.Equal(t0.Add(time.Second)) {
		t.Fatalf("ListSampleLinks = %+v, %v", links, err)
	}
	// Paging through a collection in SHA-256 order.
	for i := 2; i <= 5; i++ {
		x := sample(i)
		if _, err := s.PutSample(ctx, x); err != nil {
			t.Fatal(err)
		}
		if err := s.AddSampleLink(ctx, store.SampleLink{SHA256: x.SHA256, CollectionID: "c1", FileID: fmt.Sprint("file--", i), Created: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.PutSample(ctx, sample(9)); err != nil { // linked nowhere
		t.Fatal(err)
	}
	var seen []int64
	after := ""
	for {
		page, err := s.ListSamples(ctx, store.SampleFilter{CollectionID: "c1", After: after, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, p := range page {
			seen = append(seen, p.Size)
		}
		after = page[len(page)-1].SHA256
	}
	if fmt.Sprint(seen) != "[1001 1002 1003 1004 1005]" {
		t.Fatalf("pages of c1 = %v", seen)
	}
	if page, err := s.ListSamples(ctx, store.SampleFilter{CollectionID: "c2", Limit: 10}); err != nil || len(page) != 1 {
		t.Fatalf("c2 = %+v, %v", page, err)
	}
	// Inside a transaction that rolls back, nothing sticks.
	boom := errors.New("boom")
	err = s.InTx(ctx, func(q store.Queries) error {
		if _, err := q.PutSample(ctx, sample(7)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if _, err := s.GetSample(ctx, sample(7).SHA256); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("rolled-back sample is there: %v", err)
	}
}
