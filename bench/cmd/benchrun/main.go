//go:build unix

// Command benchrun times whole plexform processes, as a user meets them, and prints one
// markdown table: `plan` against a floor program and against `ansible-playbook --check`,
// plan at scale, apply over 1 to 10,000 stores, apply of a 50 MB file, and the downtime
// `apply -json` reports over the Plex Media Server simulator under s6. bench/run.sh
// builds the binaries and runs it; see bench/RESULTS.md for what each row means.
//
// Every figure is a median over runs; peak RSS is the largest GNU time reported for the
// process (and the children it waited for) over those runs. A target
// that is missed is reported, not failed: timings are noisy on a shared machine. The
// exit status is non-zero only when something did not work (a command failed, a
// fixture came out wrong, a peer is missing under CI=true).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/plexform/plexform/bench/fixture"
	"github.com/plexform/plexform/internal/shellquote"
)

// config says what to run and how often.
type config struct {
	plexform, floor, repo, work string
	short                       bool

	planRounds   int           // paired rounds of floor / version / plan
	ansibleRuns  int           // ansible-playbook --check runs, after one warm-up
	scaleRuns    int           // plan runs over 1,000 files and 5 MB files
	storeCounts  []int         // apply over this many stores
	storeRuns    []int         // runs for each of storeCounts, at most
	storeBudget  time.Duration // no further run of one store count after this long
	bigRuns      int           // applies of the 50 MB file
	downtimeRuns int           // applies under s6 per file size
}

func main() {
	var c config
	flag.StringVar(&c.plexform, "plexform", "", "the plexform binary to time (required)")
	flag.StringVar(&c.floor, "floor", "", "the floor program, bench/cmd/floor, built the same way (required)")
	flag.StringVar(&c.repo, "repo", ".", "the repository (for bench/ansible-reset.yml and examples/demo-host)")
	flag.StringVar(&c.work, "work", "", "an empty directory for fixtures (required; removed by the caller)")
	flag.BoolVar(&c.short, "short", false, "fewer runs, for CI: about a minute")
	only := flag.String("only", "", "run only these sections, comma-separated: floor, ansible, scale, stores, big, downtime, reset")
	flag.Parse()
	if c.plexform == "" || c.floor == "" || c.work == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: benchrun -plexform BIN -floor BIN -work DIR [-repo DIR] [-short]")
		os.Exit(2)
	}
	if c.short {
		c.planRounds, c.ansibleRuns, c.scaleRuns, c.bigRuns, c.downtimeRuns = 30, 2, 5, 1, 10
		c.storeCounts, c.storeRuns, c.storeBudget = []int{1, 10, 100, 1000}, []int{3, 3, 3, 1}, 30*time.Second
	} else {
		c.planRounds, c.ansibleRuns, c.scaleRuns, c.bigRuns, c.downtimeRuns = 100, 5, 11, 3, 30
		c.storeCounts, c.storeRuns, c.storeBudget = []int{1, 10, 100, 1000, 10000}, []int{11, 11, 5, 3, 1}, 2*time.Minute
	}
	if err := os.MkdirAll(c.work, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
	// Ctrl-C must still take the s6 supervisor down: the sections watch this.
	signal.Notify(interrupted, os.Interrupt, syscall.SIGTERM)

	if gnuTime = findGNUTime(); gnuTime == "" {
		msg := "GNU time is not installed (apt-get install -y time): no peak RSS"
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "benchrun:", msg)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "benchrun: warning:", msg)
	}
	t := &table{}
	fmt.Println(machine())
	sections := []struct {
		key, name string
		run       func(config, *table) error
	}{
		{"floor", "plan against the floor", planVsFloor},
		{"ansible", "plan against ansible-playbook --check", planVsAnsible},
		{"scale", "plan at scale", planAtScale},
		{"stores", "apply over many stores", applyStores},
		{"big", "apply of a 50 MB file", applyBig},
		{"downtime", "downtime under s6", downtime},
		{"reset", "reset end to end under s6", resetEndToEnd},
	}
	failed := false
	for _, s := range sections {
		if stopped() {
			break
		}
		if *only != "" && !slices.Contains(strings.Split(*only, ","), s.key) {
			continue
		}
		fmt.Fprintf(os.Stderr, "benchrun: %s\n", s.name)
		if err := s.run(c, t); err != nil {
			failed = true
			t.add(row{what: s.name, result: "**error**: " + oneLine(err.Error())})
			fmt.Fprintf(os.Stderr, "benchrun: %s: %v\n", s.name, err)
		}
	}
	t.print(os.Stdout)
	fmt.Printf("\nLoad average at the end: %s\n", loadavg())
	if failed || stopped() {
		os.Exit(1)
	}
}

var interrupted = make(chan os.Signal, 1)

func stopped() bool {
	select {
	case s := <-interrupted:
		interrupted <- s // stays stopped
		return true
	default:
		return false
	}
}

// machine names the machine the figures come from.
func machine() string {
	model := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	kernel := "unknown kernel"
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = "Linux " + strings.TrimSpace(string(data))
	}
	return fmt.Sprintf("Machine: nproc %d, %s, %s, %s. %s UTC, load average at the start: %s\n",
		runtime.NumCPU(), model, kernel, runtime.Version(), time.Now().UTC().Format("2006-01-02 15:04"), loadavg())
}

func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// sample is one whole-process run.
type sample struct {
	wall, cpu time.Duration
	rssKiB    int64
}

// runCmd runs c to completion and measures it; a non-zero exit is an error that carries
// the end of its stderr. stdout is returned. With rss, c runs under GNU time, which
// reports the peak RSS of c alone: the kernel's ru_maxrss of a child Go starts counts
// this process's own RSS too (exec records the high-water mark of the memory it
// replaces), which would credit plexform with the fixtures this program holds.
func runCmd(c *exec.Cmd, rss bool) (sample, []byte, error) {
	var rssFile string
	if rss && gnuTime != "" {
		f, err := os.CreateTemp("", "benchrun-rss-")
		if err != nil {
			return sample{}, nil, err
		}
		f.Close()
		rssFile = f.Name()
		defer os.Remove(rssFile)
		wrapped := exec.Command(gnuTime, append([]string{"-f", "%M", "-o", rssFile, c.Path}, c.Args[1:]...)...)
		wrapped.Env, wrapped.Dir = c.Env, c.Dir
		c = wrapped
	}
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	start := time.Now()
	err := c.Run()
	wall := time.Since(start)
	if err != nil {
		return sample{}, stdout.Bytes(), fmt.Errorf("%s: %w: %s", strings.Join(c.Args, " "), err, tail(stderr.String()+stdout.String()))
	}
	s := sample{wall: wall, cpu: c.ProcessState.UserTime() + c.ProcessState.SystemTime()}
	if rssFile != "" {
		data, err := os.ReadFile(rssFile)
		if err != nil {
			return sample{}, nil, err
		}
		lines := strings.Fields(string(data))
		if len(lines) == 0 {
			return sample{}, nil, fmt.Errorf("%s wrote no peak RSS", gnuTime)
		}
		if s.rssKiB, err = strconv.ParseInt(lines[len(lines)-1], 10, 64); err != nil {
			return sample{}, nil, fmt.Errorf("%s wrote %q for the peak RSS", gnuTime, data)
		}
	}
	return s, stdout.Bytes(), nil
}

// gnuTime is GNU time (Debian: apt-get install time), when installed.
var gnuTime string

func findGNUTime() string {
	if exec.Command("/usr/bin/time", "-f", "%M", "-o", os.DevNull, "true").Run() != nil {
		return ""
	}
	return "/usr/bin/time"
}

func tail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 600 {
		s = "…" + s[len(s)-600:]
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// series is the samples of one measurement.
type series []sample

func (s series) median(f func(sample) time.Duration) time.Duration {
	if len(s) == 0 {
		return 0
	}
	d := make([]time.Duration, len(s))
	for i, x := range s {
		d[i] = f(x)
	}
	slices.Sort(d)
	if len(d)%2 == 1 {
		return d[len(d)/2]
	}
	return (d[len(d)/2-1] + d[len(d)/2]) / 2
}

func wall(x sample) time.Duration { return x.wall }
func cpu(x sample) time.Duration  { return x.cpu }

func (s series) peakKiB() int64 {
	var m int64
	for _, x := range s {
		m = max(m, x.rssKiB)
	}
	return m
}

// row is one line of the table.
// A row with a result (an error, a skip, a note) has no figures.
type row struct {
	what, runs, wall, cpu, rss, compared, target string
	result                                       string
}

func measured(what string, s series) row {
	return row{what: what, runs: strconv.Itoa(len(s)), wall: ms(s.median(wall)), cpu: ms(s.median(cpu)), rss: mib(s.peakKiB())}
}

type table struct{ rows []row }

func (t *table) add(r row) { t.rows = append(t.rows, r) }

func (t *table) print(w io.Writer) {
	fmt.Fprintln(w, "| measurement | runs | median wall | median CPU | peak RSS | compared | target |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, r := range t.rows {
		if r.result != "" {
			fmt.Fprintf(w, "| %s | | | | | %s | |\n", r.what, r.result)
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", r.what, r.runs, r.wall, r.cpu, r.rss, r.compared, r.target)
	}
}

func ms(d time.Duration) string {
	switch {
	case d == 0:
		return ""
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	case d < 10*time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
}

func mib(kib int64) string {
	if kib == 0 {
		return ""
	}
	return fmt.Sprintf("%.1f MiB", float64(kib)/1024)
}

// verdict says whether a target was met, without failing: a miss on a loaded machine
// is noise as often as it is news.
func verdict(target string, met bool) string {
	if met {
		return target + ": met"
	}
	return target + ": **missed**"
}

// hostTree writes files (host path → bytes) under dir/host and plan into dir/plan.yaml.
func hostTree(dir string, files map[string][]byte, plan []byte) (root, planPath string, err error) {
	root = filepath.Join(dir, "host")
	for p, data := range files {
		if err := fixture.Write(root, p, data); err != nil {
			return "", "", fmt.Errorf("write fixture %s: %w", p, err)
		}
	}
	planPath = filepath.Join(dir, "plan.yaml")
	if err := os.WriteFile(planPath, plan, 0o644); err != nil {
		return "", "", fmt.Errorf("write plan: %w", err)
	}
	return root, planPath, nil
}

// planCmd plans planPath over root; it checks once that the plan finds wantRemoved
// values to remove, so a benchmark that silently plans nothing fails instead.
func planCmd(c config, root, planPath string, wantRemoved int) (func() *exec.Cmd, error) {
	mk := func() *exec.Cmd { return exec.Command(c.plexform, "plan", "-root", root, "-f", planPath) }
	_, out, err := runCmd(mk(), false)
	if err != nil {
		return nil, err
	}
	if want := fmt.Sprintf("%d to remove", wantRemoved); !bytes.Contains(out, []byte(want)) {
		return nil, fmt.Errorf("plan of %s does not say %q:\n%s", planPath, want, tail(string(out)))
	}
	return mk, nil
}

// repeat runs mk n times after warm warm-up runs.
func repeat(n, warm int, mk func() *exec.Cmd) (series, error) {
	var s series
	for i := 0; i < warm+n; i++ {
		if stopped() {
			return nil, errors.New("interrupted")
		}
		x, _, err := runCmd(mk(), true)
		if err != nil {
			return nil, err
		}
		if i >= warm {
			s = append(s, x)
		}
	}
	return s, nil
}

// resetFixture is the one-file reset, shared by the floor and the Ansible sections.
func resetFixture(c config) (root, planPath, prefs string, err error) {
	root, planPath, err = hostTree(filepath.Join(c.work, "reset"), map[string][]byte{fixture.PrefsPath: fixture.Preferences()}, fixture.Plan(fixture.PrefsPath))
	return root, planPath, filepath.Join(root, fixture.PrefsPath), err
}

// planVsFloor runs the floor program, `plexform version` and `plexform plan` in paired
// rounds, rotating their order, so that load on the machine falls on all three alike.
func planVsFloor(c config, t *table) error {
	root, planPath, prefs, err := resetFixture(c)
	if err != nil {
		return err
	}
	plan, err := planCmd(c, root, planPath, len(fixture.SignIn))
	if err != nil {
		return err
	}
	cmds := []func() *exec.Cmd{
		func() *exec.Cmd { return exec.Command(c.floor, planPath, prefs) },
		func() *exec.Cmd { return exec.Command(c.plexform, "version") },
		plan,
	}
	results := make([]series, len(cmds))
	var ratios []float64
	for round := -5; round < c.planRounds; round++ { // 5 warm-up rounds
		if stopped() {
			return errors.New("interrupted")
		}
		var got [3]sample
		for k := range cmds {
			i := (k + max(round, 0)) % len(cmds)
			x, _, err := runCmd(cmds[i](), false)
			if err != nil {
				return err
			}
			got[i] = x
		}
		if round >= 0 {
			for i := range cmds {
				results[i] = append(results[i], got[i])
			}
			ratios = append(ratios, float64(got[2].wall)/float64(got[0].wall))
		}
	}
	slices.Sort(ratios)
	// Peak RSS from one more run of each under GNU time, which would add its own start
	// to the paired times.
	for i, mk := range cmds {
		x, _, err := runCmd(mk(), true)
		if err != nil {
			return err
		}
		results[i][0].rssKiB = x.rssKiB
	}
	floor, plan2 := results[0].median(wall), results[2].median(wall)
	ratio := float64(plan2) / float64(floor)
	t.add(measured("floor: a Go program that reads the plan and Preferences.xml", results[0]))
	r := measured("`plexform version` (process start and package init)", results[1])
	r.compared = fmt.Sprintf("%.2f× floor (CPU %.2f×)", float64(results[1].median(wall))/float64(floor),
		float64(results[1].median(cpu))/float64(results[0].median(cpu)))
	t.add(r)
	r = measured("`plexform plan`, reset plan, 2 KB Preferences.xml", results[2])
	r.compared = fmt.Sprintf("%.2f× floor (median of paired ratios %.2f×; CPU %.2f×)", ratio, ratios[len(ratios)/2],
		float64(results[2].median(cpu))/float64(results[0].median(cpu)))
	r.target = verdict("≤ 2× floor", ratio <= 2)
	t.add(r)
	planMedian = plan2
	return nil
}

// planMedian is the reset plan's median wall time, the base of the Ansible ratio.
var planMedian time.Duration

func planVsAnsible(c config, t *table) error {
	if _, err := exec.LookPath("ansible-playbook"); err != nil {
		if os.Getenv("CI") == "true" {
			return errors.New("ansible-playbook is not installed (apt-get install -y ansible python3-lxml)")
		}
		t.add(row{what: "`ansible-playbook --check`, same job", result: "skipped: ansible-playbook is not installed (apt-get install -y ansible python3-lxml)"})
		return nil
	}
	_, _, prefs, err := resetFixture(c)
	if err != nil {
		return err
	}
	home := filepath.Join(c.work, "ansible-home")
	env := append(os.Environ(), "ANSIBLE_HOME="+home, "ANSIBLE_LOCAL_TEMP="+filepath.Join(home, "tmp"),
		"ANSIBLE_LOCALHOST_WARNING=false", "ANSIBLE_INVENTORY_UNPARSED_WARNING=false",
		"ANSIBLE_RETRY_FILES_ENABLED=false", "ANSIBLE_NOCOLOR=1")
	playbook := filepath.Join(c.repo, "bench", "ansible-reset.yml")
	ansible := func(prefs string, check bool) *exec.Cmd {
		vars, _ := json.Marshal(map[string]string{"prefs": prefs}) // JSON: the path has spaces
		args := []string{"-i", "localhost,", "-e", string(vars), playbook}
		if check {
			args = append([]string{"--check"}, args...)
		}
		cmd := exec.Command("ansible-playbook", args...)
		cmd.Env = env
		return cmd
	}
	s, err := repeat(c.ansibleRuns, 1, func() *exec.Cmd { return ansible(prefs, true) })
	if err != nil {
		return fmt.Errorf("%w (community.general.xml needs python3-lxml)", err)
	}
	r := measured("`ansible-playbook --check`, same job (community.general.xml)", s)
	if planMedian > 0 {
		ratio := float64(s.median(wall)) / float64(planMedian)
		r.compared = fmt.Sprintf("plan is %.0f× faster", ratio)
		r.target = verdict("≥ 100×", ratio >= 100)
	}
	t.add(r)

	// What each tool does to the bytes when it really applies.
	demo, err := os.ReadFile(filepath.Join(c.repo, "examples", "demo-host", filepath.FromSlash(fixture.PrefsPath)))
	if err != nil {
		return fmt.Errorf("read the demo host's Preferences.xml: %w", err)
	}
	dir := filepath.Join(c.work, "bytes")
	aRoot, planPath, err := hostTree(filepath.Join(dir, "plexform"), map[string][]byte{fixture.PrefsPath: demo}, fixture.Plan(fixture.PrefsPath))
	if err != nil {
		return err
	}
	if _, _, err := runCmd(exec.Command(c.plexform, "apply", "-auto-approve", "-root", aRoot, "-f", planPath), false); err != nil {
		return err
	}
	ansibleFile := filepath.Join(dir, "ansible.xml")
	if err := os.WriteFile(ansibleFile, demo, 0o644); err != nil {
		return err
	}
	if _, _, err := runCmd(ansible(ansibleFile, false), false); err != nil {
		return err
	}
	for _, tool := range []struct{ name, path string }{
		{"`plexform apply`", filepath.Join(aRoot, fixture.PrefsPath)},
		{"`ansible-playbook` (applied)", ansibleFile},
	} {
		after, err := os.ReadFile(tool.path)
		if err != nil {
			return err
		}
		t.add(row{what: tool.name + " on examples/demo-host's Preferences.xml", result: rewritten(demo, after)})
	}
	return nil
}

// rewritten says what changed besides the removal of the sign-in attributes.
func rewritten(before, after []byte) string {
	expected := before
	for _, name := range fixture.SignIn {
		i := bytes.Index(expected, []byte(" "+name+`="`))
		if i < 0 {
			continue
		}
		end := bytes.IndexByte(expected[i+len(name)+3:], '"')
		if end < 0 {
			continue
		}
		expected = slices.Concat(expected[:i], expected[i+len(name)+3+end+1:])
	}
	if bytes.Equal(after, expected) {
		return "byte-identical to the original minus the four attributes"
	}
	var notes []string
	decl := func(b []byte) string {
		if i := bytes.Index(b, []byte("?>")); i >= 0 {
			return string(b[:i+2])
		}
		return ""
	}
	if decl(before) != decl(after) {
		notes = append(notes, fmt.Sprintf("declaration `%s` → `%s`", decl(before), decl(after)))
	}
	if bytes.HasSuffix(before, []byte("\n")) && !bytes.HasSuffix(after, []byte("\n")) {
		notes = append(notes, "final newline dropped")
	}
	if len(notes) == 0 {
		return "other bytes changed too"
	}
	return strings.Join(notes, "; ")
}

func planAtScale(c config, t *table) error {
	paths := fixture.ManyPaths(1000)
	files := map[string][]byte{}
	for _, p := range paths {
		files[p] = fixture.Preferences()
	}
	cases := []struct {
		what, dir, target string
		files             map[string][]byte
		paths             []string
		limit             time.Duration
	}{
		{"`plexform plan`, 1,000 files, one resource each", "many", "< 1 s", files, paths, time.Second},
		{"`plexform plan`, 5 MB Preferences.xml, long attributes", "big-attrs", "< 200 ms",
			map[string][]byte{fixture.PrefsPath: fixture.Large(5<<20, fixture.LongAttributes)}, []string{fixture.PrefsPath}, 200 * time.Millisecond},
		{"`plexform plan`, 5 MB Preferences.xml, child elements", "big-children", "< 200 ms",
			map[string][]byte{fixture.PrefsPath: fixture.Large(5<<20, fixture.ChildContent)}, []string{fixture.PrefsPath}, 200 * time.Millisecond},
	}
	for _, k := range cases {
		root, planPath, err := hostTree(filepath.Join(c.work, k.dir), k.files, fixture.Plan(k.paths...))
		if err != nil {
			return err
		}
		plan, err := planCmd(c, root, planPath, len(k.paths)*len(fixture.SignIn))
		if err != nil {
			return err
		}
		s, err := repeat(c.scaleRuns, 2, plan)
		if err != nil {
			return err
		}
		r := measured(k.what, s)
		r.target = verdict(k.target, s.median(wall) < k.limit)
		t.add(r)
	}
	return nil
}

// applyOnce puts files back under a fresh tree, empties the backups, and applies.
func applyOnce(c config, dir string, files map[string][]byte, plan []byte) (sample, error) {
	if err := os.RemoveAll(dir); err != nil {
		return sample{}, err
	}
	root, planPath, err := hostTree(dir, files, plan)
	if err != nil {
		return sample{}, err
	}
	x, out, err := runCmd(exec.Command(c.plexform, "apply", "-json", "-auto-approve", "-root", root, "-f", planPath), true)
	if err != nil {
		return sample{}, err
	}
	final, err := finalLine(out)
	if err != nil {
		return sample{}, err
	}
	if final.Type != "apply_complete" {
		return sample{}, fmt.Errorf("apply ended with %q", final.Type)
	}
	return x, nil
}

func applyStores(c config, t *table) error {
	var perStore1, wall1000 time.Duration
	for i, n := range c.storeCounts {
		paths := fixture.ManyPaths(n)
		files := map[string][]byte{}
		for _, p := range paths {
			files[p] = fixture.Preferences()
		}
		plan := fixture.PlanWithBackups("/backups", paths...)
		var s series
		began := time.Now()
		for run := range c.storeRuns[i] {
			if stopped() {
				return errors.New("interrupted")
			}
			// A slow apply (quadratic, or a loaded machine) gets fewer runs rather than
			// holding the whole benchmark up: at least one, then none past the budget.
			if run > 0 && time.Since(began) > c.storeBudget {
				break
			}
			x, err := applyOnce(c, filepath.Join(c.work, fmt.Sprintf("apply-%d", n)), files, plan)
			if err != nil {
				return err
			}
			s = append(s, x)
		}
		_ = os.RemoveAll(filepath.Join(c.work, fmt.Sprintf("apply-%d", n)))
		r := measured(fmt.Sprintf("`plexform apply`, %d stores, empty backups dir", n), s)
		per := s.median(wall) / time.Duration(n)
		if i == 0 {
			perStore1 = per
		}
		r.compared = fmt.Sprintf("%s per store (%.2f× the 1-store figure)", ms(per), float64(per)/float64(perStore1))
		switch n {
		case 1000:
			wall1000 = s.median(wall)
			r.target = verdict("≤ 8 s", wall1000 <= 8*time.Second)
		case 10000:
			if wall1000 > 0 {
				ratio := float64(s.median(wall)) / float64(wall1000)
				r.compared += fmt.Sprintf("; %.1f× 1,000 stores", ratio)
				r.target = verdict("≤ 12× 1,000 stores", ratio <= 12)
			}
		}
		t.add(r)
	}
	return nil
}

func applyBig(c config, t *table) error {
	data := fixture.Large(50<<20, fixture.LongAttributes)
	files := map[string][]byte{fixture.PrefsPath: data}
	plan := fixture.PlanWithBackups("/backups", fixture.PrefsPath)
	var s series
	for range c.bigRuns {
		x, err := applyOnce(c, filepath.Join(c.work, "apply-50mb"), files, plan)
		if err != nil {
			return err
		}
		s = append(s, x)
	}
	_ = os.RemoveAll(filepath.Join(c.work, "apply-50mb"))
	r := measured("`plexform apply`, 50 MB Preferences.xml (long attributes)", s)
	ratio := float64(s.peakKiB()*1024) / float64(len(data))
	r.compared = fmt.Sprintf("peak RSS %.1f× the file", ratio)
	r.target = verdict("memory ≤ 3× the file", ratio <= 3)
	t.add(r)
	return nil
}

// applyJSON is what the bench reads of `apply -json`'s lines.
type applyJSON struct {
	Type       string    `json:"type"`
	Time       time.Time `json:"time"`
	DowntimeUs float64   `json:"downtime_us"`
}

func finalLine(out []byte) (applyJSON, error) {
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	var last applyJSON
	if err := json.Unmarshal(lines[len(lines)-1], &last); err != nil {
		return last, fmt.Errorf("apply -json's last line is not JSON: %w", err)
	}
	return last, nil
}

// downtime applies the reset plan over the simulator under s6, signed in again before
// each apply, and reads the downtime the tool reports: downtime_us of the final
// line, and, to the microsecond, the time from the "stopped" event to "starting".
func downtime(c config, t *table) error {
	if ok, err := needS6(t, "downtime under s6"); !ok {
		return err
	}
	for _, size := range []struct {
		name string
		data []byte
	}{
		{"2 KB", fixture.Preferences()},
		{"5 MB", fixture.Large(5<<20, fixture.LongAttributes)},
	} {
		s, reported, events, err := downtimeRuns(c, size.data)
		if err != nil {
			return fmt.Errorf("%s file: %w", size.name, err)
		}
		slices.Sort(reported)
		slices.Sort(events)
		r := measured(fmt.Sprintf("downtime, %s Preferences.xml, s6 (whole apply in the time columns)", size.name), s)
		r.compared = fmt.Sprintf("downtime_us median %.3f ms; stopped→starting events %s", reported[len(reported)/2], ms(events[len(events)/2]))
		limit := map[string]time.Duration{"2 KB": 2 * time.Millisecond, "5 MB": 25 * time.Millisecond}[size.name]
		r.target = verdict("≤ "+ms(limit), events[len(events)/2] <= limit)
		t.add(r)
	}
	return nil
}

func downtimeRuns(c config, prefsData []byte) (series, []float64, []time.Duration, error) {
	dir, err := os.MkdirTemp(c.work, "downtime-")
	if err != nil {
		return nil, nil, nil, err
	}
	defer os.RemoveAll(dir)
	prefs := filepath.Join(dir, "Plex Media Server", "Preferences.xml")
	if err := os.MkdirAll(filepath.Dir(prefs), 0o755); err != nil {
		return nil, nil, nil, err
	}
	if err := os.WriteFile(prefs, prefsData, 0o644); err != nil {
		return nil, nil, nil, err
	}
	listen, err := freeLoopbackAddr()
	if err != nil {
		return nil, nil, nil, err
	}
	addrFile, svcDir := filepath.Join(dir, "addr"), filepath.Join(dir, "svc-plex")
	stop, err := supervise(svcDir, []string{c.plexform, "__plexsim", "-prefs", prefs, "-listen", listen, "-addr-file", addrFile})
	if err != nil {
		return nil, nil, nil, err
	}
	defer stop()
	planPath := filepath.Join(dir, "plan.yaml")
	plan := fmt.Sprintf(`version: 1
backups:
  dir: %q
  keep: 2
resources:
  - name: prefs
    kind: xml_attributes
    path: %q
    absent: [%s]
    service: plex
  - name: plex
    kind: service
    manager: s6
    dir: %q
    state: running
    timeout: 30s
verify:
  - http: {url: "http://%s/identity", status: 200, timeout: 30s}
`, filepath.Join(dir, "backups"), prefs, strings.Join(fixture.SignIn, ", "), svcDir, listen)
	if err := os.WriteFile(planPath, []byte(plan), 0o644); err != nil {
		return nil, nil, nil, err
	}
	var s series
	var reported []float64
	var events []time.Duration
	for i := 0; i < c.downtimeRuns; i++ {
		if stopped() {
			return nil, nil, nil, errors.New("interrupted")
		}
		if err := signInAgain(svcDir, addrFile, prefs, prefsData); err != nil {
			return nil, nil, nil, err
		}
		x, out, err := runCmd(exec.Command(c.plexform, "apply", "-json", "-auto-approve", "-f", planPath), true)
		if err != nil {
			return nil, nil, nil, err
		}
		final, err := finalLine(out)
		if err != nil {
			return nil, nil, nil, err
		}
		if final.Type != "apply_complete" {
			return nil, nil, nil, fmt.Errorf("apply %d ended with %q", i, final.Type)
		}
		var stoppedAt, startingAt time.Time
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var ev applyJSON
			if json.Unmarshal(sc.Bytes(), &ev) != nil {
				continue
			}
			switch ev.Type {
			case "stopped":
				stoppedAt = ev.Time
			case "starting":
				if startingAt.IsZero() {
					startingAt = ev.Time
				}
			}
		}
		if stoppedAt.IsZero() || startingAt.IsZero() {
			return nil, nil, nil, fmt.Errorf("apply %d printed no stopped/starting events: the server was not restarted", i)
		}
		s = append(s, x)
		reported = append(reported, final.DowntimeUs/1000)
		events = append(events, startingAt.Sub(stoppedAt))
	}
	return s, reported, events, nil
}

func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// supervise runs argv under s6-supervise watching svcDir, as Plex's Docker images run
// PMS; stop takes the server down through s6, then the supervisor, then anything left
// in its process group.
func supervise(svcDir string, argv []string) (stop func(), err error) {
	if err := os.MkdirAll(svcDir, 0o755); err != nil {
		return nil, err
	}
	run := "#!/bin/sh\nexec " + shellquote.Join(argv) + " >/dev/null 2>&1\n"
	if err := os.WriteFile(filepath.Join(svcDir, "run"), []byte(run), 0o755); err != nil {
		return nil, err
	}
	// nosetsid keeps the server in the supervisor's process group, so one signal
	// reaches both whatever state a run left them in.
	if err := os.WriteFile(filepath.Join(svcDir, "nosetsid"), nil, 0o644); err != nil {
		return nil, err
	}
	sup := exec.Command("s6-supervise", svcDir)
	sup.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := sup.Start(); err != nil {
		return nil, err
	}
	// s6-svc -wD reads supervise/status, which s6-supervise writes only once it runs: a
	// command sent before that fails ("unable to s6_svstatus_read"), as it did on a
	// loaded CI machine.
	status := filepath.Join(svcDir, "supervise", "status")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(status); err == nil {
			break
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(-sup.Process.Pid, syscall.SIGKILL)
			_ = sup.Wait()
			return nil, fmt.Errorf("s6-supervise never wrote %s", status)
		}
	}
	return func() {
		_ = exec.Command("s6-svc", "-wD", "-T", "30000", "-d", svcDir).Run()
		_ = sup.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = sup.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
		}
		_ = syscall.Kill(-sup.Process.Pid, syscall.SIGKILL)
	}, nil
}

// signInAgain signs the server in again the way its settings say: with the server down
// (through s6), the file gets its sign-in back and the server starts and reads it. It is
// restarted once more so that the file holds the server's own rendering of it: like PMS,
// the simulator writes its settings on every shutdown, and this way that write during
// the apply leaves the bytes as they were planned from (the common case, and the one the
// downtime target is for) instead of sending every apply down the re-read path.
func signInAgain(svcDir, addrFile, prefs string, data []byte) error {
	if err := s6Down(svcDir, addrFile); err != nil {
		return err
	}
	if err := os.WriteFile(prefs, data, 0o644); err != nil {
		return err
	}
	for i := 0; i < 2; i++ {
		if i > 0 {
			if err := s6Down(svcDir, addrFile); err != nil {
				return err
			}
		}
		if out, err := exec.Command("s6-svc", "-u", svcDir).CombinedOutput(); err != nil {
			return fmt.Errorf("s6-svc -u: %w: %s", err, tail(string(out)))
		}
		if _, err := waitAddr(addrFile); err != nil {
			return err
		}
	}
	return nil
}

// s6Down takes the server down and waits until it is.
func s6Down(svcDir, addrFile string) error {
	if out, err := exec.Command("s6-svc", "-wD", "-T", "60000", "-d", svcDir).CombinedOutput(); err != nil {
		return fmt.Errorf("s6-svc -d: %w: %s", err, tail(string(out)))
	}
	if err := os.Remove(addrFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func waitAddr(path string) (string, error) {
	deadline := time.Now().Add(60 * time.Second)
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 200*time.Millisecond) {
		data, err := os.ReadFile(path)
		if err == nil && strings.HasSuffix(string(data), "\n") {
			return strings.TrimSpace(string(data)), nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("the simulator never wrote its address to %s", path)
		}
		time.Sleep(delay)
	}
}

// resetEndToEnd runs `plexform reset -root TREE -auto-approve -json` (discover, plan,
// apply, no re-link) on a tree laid out as Plex's Docker images lay it out: the
// settings in /config and an s6 service directory in /run/service/svc-plex, supervised
// by s6 and running the simulator. plexform's own share is the whole run less the
// server's own stop and start (the stopping→stopped and starting→started events).
func resetEndToEnd(c config, t *table) error {
	if ok, err := needS6(t, "reset end to end under s6"); !ok {
		return err
	}
	root, err := os.MkdirTemp(c.work, "reset-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	prefsData := fixture.Preferences()
	prefs := filepath.Join(root, "config", "Library", "Application Support", "Plex Media Server", "Preferences.xml")
	if err := os.MkdirAll(filepath.Dir(prefs), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(prefs, prefsData, 0o644); err != nil {
		return err
	}
	listen, err := freeLoopbackAddr()
	if err != nil {
		return err
	}
	addrFile, svcDir := filepath.Join(root, "addr"), filepath.Join(root, "run", "service", "svc-plex")
	stop, err := supervise(svcDir, []string{c.plexform, "__plexsim", "-prefs", prefs, "-listen", listen, "-addr-file", addrFile})
	if err != nil {
		return err
	}
	defer stop()
	var s series
	var own, server []time.Duration
	for i := 0; i < c.downtimeRuns; i++ {
		if stopped() {
			return errors.New("interrupted")
		}
		if err := signInAgain(svcDir, addrFile, prefs, prefsData); err != nil {
			return err
		}
		cmd := exec.Command(c.plexform, "reset", "-root", root, "-auto-approve", "-json")
		// No engine: the tree's service is its s6 directory, not a container.
		cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+filepath.Join(root, "no-engine.sock"))
		x, out, err := runCmd(cmd, true)
		if err != nil {
			return err
		}
		final, err := finalLine(out)
		if err != nil {
			return err
		}
		if final.Type != "reset_complete" {
			return fmt.Errorf("reset %d ended with %q", i, final.Type)
		}
		at := map[string]time.Time{}
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var ev applyJSON
			if json.Unmarshal(sc.Bytes(), &ev) == nil && at[ev.Type].IsZero() {
				at[ev.Type] = ev.Time
			}
		}
		for _, ev := range []string{"stopping", "stopped", "starting", "started"} {
			if at[ev].IsZero() {
				return fmt.Errorf("reset %d printed no %s event: the server was not restarted", i, ev)
			}
		}
		byServer := at["stopped"].Sub(at["stopping"]) + at["started"].Sub(at["starting"])
		s = append(s, x)
		server = append(server, byServer)
		own = append(own, x.wall-byServer)
	}
	slices.Sort(own)
	slices.Sort(server)
	r := measured("`plexform reset` end to end (discover, plan, apply; no re-link), 2 KB Preferences.xml, s6", s)
	r.compared = fmt.Sprintf("server's own stop+start median %s; plexform's share median %s", ms(server[len(server)/2]), ms(own[len(own)/2]))
	r.target = verdict("share < 50 ms", own[len(own)/2] < 50*time.Millisecond)
	t.add(r)
	return nil
}

// needS6 reports whether s6 is installed; without it the row what is skipped, or in CI
// (CI=true) an error.
func needS6(t *table, what string) (bool, error) {
	for _, tool := range []string{"s6-supervise", "s6-svc"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				return false, fmt.Errorf("%s is not installed (apt-get install -y s6)", tool)
			}
			t.add(row{what: what, result: "skipped: s6 is not installed (apt-get install -y s6)"})
			return false, nil
		}
	}
	return true, nil
}
