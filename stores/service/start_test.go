package service

import (
	"errors"
	"testing"
)

func TestRetryStartRetriesOnlyTransientFailures(t *testing.T) {
	busy, gone := errors.New("busy"), errors.New("no such file")
	transient := func(err error) bool { return errors.Is(err, busy) }
	for _, tc := range []struct {
		name      string
		failures  []error
		wantCalls int
		wantErr   error
	}{
		{"works at once", nil, 1, nil},
		{"transient then works", []error{busy, busy}, 3, nil},
		{"lasting failure gives up", []error{busy, busy, busy, busy, busy}, startAttempts, busy},
		{"other failure is not retried", []error{gone}, 1, gone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			err := retryStart(func() error {
				calls++
				if calls <= len(tc.failures) {
					return tc.failures[calls-1]
				}
				return nil
			}, transient)
			if calls != tc.wantCalls || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Errorf("%d calls, err %v; want %d calls, err %v", calls, err, tc.wantCalls, tc.wantErr)
			}
		})
	}
}
