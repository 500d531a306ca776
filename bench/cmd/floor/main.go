// Command floor is the floor `plexform plan` is measured against in bench/run.sh: a Go
// program built the same way that only reads the files plan reads (the plan and the
// Preferences.xml) and exits. What plan takes beyond it is plexform's own cost: package
// init, decoding, diffing, printing.
package main

import (
	"fmt"
	"os"
)

func main() {
	total := 0
	for _, path := range os.Args[1:] {
		data, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "floor:", err)
			os.Exit(1)
		}
		total += len(data)
	}
	fmt.Println(total, "bytes")
}
