// Command mkfixtures writes the host trees and plans bench/plan-vs-ansible.sh times:
//
//	DIR/reset/host, DIR/reset/plan.yaml    one realistic Preferences.xml
//	DIR/many/host, DIR/many/plan.yaml      N files, one resource each
//	DIR/big-attrs/..., DIR/big-children/...  a 5 MB Preferences.xml of each shape
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/plexform/plexform/bench/fixture"
)

func main() {
	many := flag.Int("many", 1000, "number of files in DIR/many")
	bigSize := flag.Int("big", 5<<20, "size in bytes of the large Preferences.xml")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: mkfixtures [-many N] [-big BYTES] DIR")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := write(flag.Arg(0), *many, *bigSize); err != nil {
		fmt.Fprintln(os.Stderr, "mkfixtures:", err)
		os.Exit(1)
	}
}

func write(dir string, many, bigSize int) error {
	sets := map[string]map[string][]byte{
		"reset":        {fixture.PrefsPath: fixture.Preferences()},
		"big-attrs":    {fixture.PrefsPath: fixture.Large(bigSize, fixture.LongAttributes)},
		"big-children": {fixture.PrefsPath: fixture.Large(bigSize, fixture.ChildContent)},
		"many":         {},
	}
	for _, p := range fixture.ManyPaths(many) {
		sets["many"][p] = fixture.Preferences()
	}
	for name, files := range sets {
		var paths []string
		for hostPath, data := range files {
			if err := fixture.Write(filepath.Join(dir, name, "host"), hostPath, data); err != nil {
				return err
			}
			paths = append(paths, hostPath)
		}
		if name == "many" {
			paths = fixture.ManyPaths(many) // in order, so resource names follow the paths
		}
		if err := os.WriteFile(filepath.Join(dir, name, "plan.yaml"), fixture.Plan(paths...), 0o644); err != nil {
			return err
		}
	}
	return nil
}
