package executor

import (
	"strings"
	"testing"
)

func TestCheckOpenFiles(t *testing.T) {
	for _, tc := range []struct {
		staged int
		limit  uint64
		ok     bool
	}{
		{1, 1024, true},
		{800, 1024, true},
		{896, 1024, true}, // 896+128 = 1024: just fits
		{897, 1024, false},
		{10000, 20000, true},
		{20000, 20000, false},
		{10000, 0, true}, // the limit could not be read: not refused on a guess
		{0, 1, true},
	} {
		err := checkOpenFiles(tc.staged, tc.limit)
		if (err == nil) != tc.ok {
			t.Errorf("%d files, limit %d: %v, want ok=%v", tc.staged, tc.limit, err, tc.ok)
		}
		if err != nil && (!strings.Contains(err.Error(), "ulimit -n") || !strings.Contains(err.Error(), "nothing was changed")) {
			t.Errorf("the refusal does not say what to do: %v", err)
		}
	}
}
