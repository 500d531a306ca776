package docs

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The floors table of architecture.md is the rule this test holds the code to: every
// package of the module stands on a floor the page names, and no package imports one on a
// floor above its own. A new package, or an import that runs back up, fails here until
// the page says where it belongs, so the page and the code cannot drift apart.

const module = "github.com/plexform/plexform"

// floorRow is a row of the table: "| 3 | `views`, `doctor` | what they own |".
var floorRow = regexp.MustCompile(`^\|\s*([0-9]+)\s*\|([^|]*)\|`)

// floors reads architecture.md's floors table: package pattern -> floor. A pattern ending
// in "/..." covers the folder and everything under it.
func floors(t *testing.T) map[string]int {
	t.Helper()
	data, err := os.ReadFile("architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		m := floorRow.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		for _, name := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(m[2], -1) {
			out[name[1]] = n
		}
	}
	if len(out) == 0 {
		t.Fatal("architecture.md has no floors table (rows like | 3 | `views` | ... |)")
	}
	return out
}

// floorOf finds a package's floor: its own row, or the nearest "/..." row above it.
func floorOf(table map[string]int, pkg string) (int, bool) {
	if n, ok := table[pkg]; ok {
		return n, true
	}
	for dir := pkg; dir != "." && dir != "/"; dir = path.Dir(dir) {
		if n, ok := table[dir+"/..."]; ok {
			return n, true
		}
	}
	return 0, false
}

// topFolder is a package's first path element: stores for stores/plist.
func topFolder(pkg string) string {
	first, _, _ := strings.Cut(pkg, "/")
	return first
}

// isTestHelper: a package named like storetest or discovertest exists for tests only.
func isTestHelper(pkg string) bool { return strings.HasSuffix(path.Base(pkg), "test") }

func TestEveryImportRunsDownTheFloors(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command to list the module's packages")
	}
	table := floors(t)
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...")
	cmd.Dir = ".."
	cmd.Stderr = os.Stderr
	listing, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(listing)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(fields[0], module), "/")
		if pkg == "" || pkg == "docs" || pkg == "examples" {
			continue // test-only folders: the module root, this page's test, the examples' test
		}
		seen++
		if isTestHelper(pkg) {
			continue // test helpers may use any floor; below, nothing but tests may use them
		}
		floor, ok := floorOf(table, pkg)
		if !ok {
			t.Errorf("%s is on no floor of architecture.md: add it to the floors table", pkg)
			continue
		}
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			dep := strings.TrimPrefix(imp, module+"/")
			if isTestHelper(dep) {
				t.Errorf("%s imports %s, which exists for tests only", pkg, dep)
				continue
			}
			depFloor, ok := floorOf(table, dep)
			switch {
			case !ok:
			case depFloor < floor:
				t.Errorf("%s (floor %d) imports %s, on floor %d above it", pkg, floor, dep, depFloor)
			case depFloor == floor && topFolder(dep) != topFolder(pkg):
				// doctor reaching views (and through it the executor) for a helper was
				// such an import: a sideways step is how a floor comes to depend on itself.
				t.Errorf("%s imports %s, another folder on its own floor %d: move what it needs down a floor", pkg, dep, floor)
			}
		}
	}
	if seen < 10 {
		t.Fatalf("go list named only %d packages of the module", seen)
	}
}

// The table must name no package that is not there: a row left behind by a move is as
// misleading as a missing one.
func TestFloorsTableNamesOnlyWhatExists(t *testing.T) {
	for pattern := range floors(t) {
		dir := strings.TrimSuffix(pattern, "/...")
		if info, err := os.Stat("../" + dir); err != nil || !info.IsDir() {
			t.Errorf("architecture.md's floors table names %s, which is not a folder of the repository", pattern)
		}
	}
}
