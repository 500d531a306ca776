package service

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// scriptedService answers Running from a script and repeats the last answer.
type scriptedService struct {
	mu      sync.Mutex
	answers []answer
	polls   int
}

type answer struct {
	running bool
	err     error
}

func (s *scriptedService) Describe() string            { return "test service" }
func (s *scriptedService) Stop(context.Context) error  { return nil }
func (s *scriptedService) Start(context.Context) error { return nil }
func (s *scriptedService) Running(context.Context) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.answers[min(s.polls, len(s.answers)-1)]
	s.polls++
	return a.running, a.err
}

func stopping() answer {
	return answer{err: &TransitionError{Service: "test service", State: "deactivating"}}
}

func TestWaitForReachesState(t *testing.T) {
	svc := &scriptedService{answers: []answer{{running: true}, stopping(), stopping(), {running: false}}}
	var ticks []time.Duration
	err := WaitFor(context.Background(), svc, false, time.Minute, func(d time.Duration) { ticks = append(ticks, d) })
	if err != nil {
		t.Fatal(err)
	}
	if svc.polls != 4 || len(ticks) != 3 {
		t.Errorf("%d polls and %d ticks, want 4 and 3", svc.polls, len(ticks))
	}
	for i := 1; i < len(ticks); i++ {
		if ticks[i] < ticks[i-1] {
			t.Errorf("elapsed went backwards: %v", ticks)
		}
	}
}

func TestWaitForTimeoutNamesStuckState(t *testing.T) {
	svc := &scriptedService{answers: []answer{stopping()}}
	err := WaitFor(context.Background(), svc, false, 30*time.Millisecond, nil)
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "test service is still deactivating after 30ms, not stopped") {
		t.Errorf("err = %v", err)
	}
	// Without a transitional state it names the plain state.
	svc = &scriptedService{answers: []answer{{running: false}}}
	err = WaitFor(context.Background(), svc, true, 0, nil)
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "still stopped") || svc.polls != 1 {
		t.Errorf("err = %v after %d polls", err, svc.polls)
	}
}

func TestWaitForStopsOnHardError(t *testing.T) {
	boom := errors.New("unit not found")
	svc := &scriptedService{answers: []answer{stopping(), {err: boom}, {running: false}}}
	err := WaitFor(context.Background(), svc, false, time.Minute, nil)
	if !errors.Is(err, boom) || errors.Is(err, ErrTimeout) || svc.polls != 2 {
		t.Errorf("err = %v after %d polls, want the hard error after 2", err, svc.polls)
	}
}

func TestWaitForHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	svc := &scriptedService{answers: []answer{{running: true}}}
	err := WaitFor(ctx, svc, false, time.Hour, func(time.Duration) { cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func BenchmarkWaitForImmediate(b *testing.B) {
	svc := &scriptedService{answers: []answer{{running: true}}}
	for b.Loop() {
		if err := WaitFor(context.Background(), svc, true, time.Second, nil); err != nil {
			b.Fatal(err)
		}
	}
}
