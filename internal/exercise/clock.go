package exercise

import (
	"context"
	"sync"
	"time"
)

// Clock is the exercise's time: the scenario's own, which may run faster
// than real time. Scores are measured on it.
type Clock interface {
	Now() time.Time
	// WaitUntil returns once the clock reads t (or ctx ends).
	WaitUntil(ctx context.Context, t time.Time) error
}

// Scaled is real time run Speed times faster from Start: --speed 60 plays
// an hour in a minute.
type Scaled struct {
	Start time.Time
	Speed float64
	real  time.Time
	once  sync.Once
}

// NewScaled starts a scaled clock now.
func NewScaled(speed float64) *Scaled {
	if speed <= 0 {
		speed = 1
	}
	now := time.Now().UTC()
	return &Scaled{Start: now, Speed: speed, real: now}
}

// Now implements Clock.
func (c *Scaled) Now() time.Time {
	return c.Start.Add(time.Duration(float64(time.Since(c.real)) * c.Speed)).UTC()
}

// WaitUntil implements Clock.
func (c *Scaled) WaitUntil(ctx context.Context, t time.Time) error {
	d := time.Duration(float64(t.Sub(c.Now())) / c.Speed)
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// Stepping is a clock that jumps straight to the next scheduled moment:
// the runner is single-threaded, so when it waits nothing else is due
// before. Tests use it; scores come out the same on every run.
type Stepping struct {
	mu sync.Mutex
	t  time.Time
}

// NewStepping returns a stepping clock reading start.
func NewStepping(start time.Time) *Stepping { return &Stepping{t: start.UTC()} }

// Now implements Clock.
func (c *Stepping) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// WaitUntil implements Clock.
func (c *Stepping) WaitUntil(ctx context.Context, t time.Time) error {
	c.mu.Lock()
	if t.After(c.t) {
		c.t = t.UTC()
	}
	c.mu.Unlock()
	return ctx.Err()
}
