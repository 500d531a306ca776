// Package parallel runs independent calls a few at a time: the syncs of an apply's
// files (its staged writes, its backups), which wait mostly on the file system's journal.
package parallel

import "sync"

// Workers is how many syncs of independent files an apply waits on at once. A sync
// waits mostly for the file system's journal to commit, and syncs that wait together
// share one commit: over 1,000 stores, one at a time, the waits were most of the apply.
const Workers = 16

// Do calls do(0) … do(n-1), up to Workers at once, and returns when all have returned.
// Each call must touch only what its index names.
func Do(n int, do func(i int)) {
	if n == 1 {
		do(0)
		return
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(n, Workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				do(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
