package demo

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

// TestStory builds the demo world and plays the whole scripted story
// against it, exactly as `liaison demo --check` does.
func TestStory(t *testing.T) {
	w, err := Build(t.Context(), Options{Dir: filepath.Join(t.TempDir(), "world"), Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, cancel := context.WithCancel(t.Context())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- w.Serve(ctx, func() { close(ready) }) }()
	<-ready
	var out bytes.Buffer
	err = Check(ctx, w, &out)
	cancel()
	if serr := <-done; serr != nil {
		t.Error(serr)
	}
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if strings.Contains(out.String(), "FAIL") {
		t.Fatal(out.String())
	}
}

func TestBuildRefusesNonEmptyDir(t *testing.T) {
	dir := t.TempDir()
	w, err := Build(t.Context(), Options{Dir: dir, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, err := Build(t.Context(), Options{Dir: dir, Log: slog.New(slog.DiscardHandler)}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("second build: %v", err)
	}
}
