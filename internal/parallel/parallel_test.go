package parallel

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Do calls every index exactly once and never more than Workers at a time.
func TestDo(t *testing.T) {
	for _, n := range []int{0, 1, 2, Workers, 3*Workers + 1} {
		var mu sync.Mutex
		seen := make([]int, n)
		var running, most atomic.Int32
		Do(n, func(i int) {
			now := running.Add(1)
			defer running.Add(-1)
			for {
				m := most.Load()
				if now <= m || most.CompareAndSwap(m, now) {
					break
				}
			}
			time.Sleep(time.Millisecond) // let the calls overlap
			mu.Lock()
			seen[i]++
			mu.Unlock()
		})
		for i, c := range seen {
			if c != 1 {
				t.Errorf("n=%d: index %d called %d times", n, i, c)
			}
		}
		if most.Load() > Workers {
			t.Errorf("n=%d: %d calls at once, more than %d", n, most.Load(), Workers)
		}
	}
}
