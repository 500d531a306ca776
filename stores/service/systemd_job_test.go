package service

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/plexform/plexform/stores"
)

func TestParseShowJob(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    uint32
		wantErr bool
	}{
		{"Job=1234\n", 1234, false},
		{"Job=\n", 0, false}, // systemd with -p prints the empty value
		{"", 0, false},       // older systemd prints nothing for no job
		{"Id=plexmediaserver.service\nJob=7\r\n", 7, false},
		{"Job=0\n", 0, true},
		{"Job=abc\n", 0, true},
		{"Job=99999999999\n", 0, true},
		{"no equals sign\n", 0, true},
	} {
		got, err := parseShowJob([]byte(c.in))
		if got != c.want || (err != nil) != c.wantErr {
			t.Errorf("parseShowJob(%q) = %d, %v; want %d, error %v", c.in, got, err, c.want, c.wantErr)
		}
		if err != nil && !errors.Is(err, stores.ErrMalformed) {
			t.Errorf("parseShowJob(%q): %v is not ErrMalformed", c.in, err)
		}
	}
}

func FuzzParseShowJob(f *testing.F) {
	for _, s := range []string{"Job=1234\n", "Job=\n", "", "Job=0\n", "A=b\nJob=5"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		job, err := parseShowJob(data)
		if err != nil && job != 0 {
			t.Fatalf("an error with job %d", job)
		}
		if err != nil && strings.Contains(err.Error(), string(data)) && len(data) > 8 {
			t.Fatalf("the error quotes the output: %v", err)
		}
	})
}

// jobRunner answers systemctl show -p Job from a list of outputs, the last repeated.
type jobRunner struct {
	outputs []string
	asked   int
}

func (r *jobRunner) Run(_ context.Context, argv []string) ([]byte, error) {
	if strings.Join(argv, " ") != "systemctl show -p Job plex" {
		return nil, notRun(strings.Join(argv, " "))
	}
	out := r.outputs[min(r.asked, len(r.outputs)-1)]
	r.asked++
	return []byte(out), nil
}

// WaitNoJob polls until the unit's job is gone, and gives up at the timeout.
func TestSystemdWaitNoJob(t *testing.T) {
	r := &jobRunner{outputs: []string{"Job=41\n", "Job=41\n", "Job=\n"}}
	if err := NewSystemd("plex", r).WaitNoJob(context.Background(), time.Minute); err != nil {
		t.Fatal(err)
	}
	if r.asked != 3 {
		t.Errorf("asked %d times, want 3", r.asked)
	}
	r = &jobRunner{outputs: []string{"Job=41\n"}}
	if err := NewSystemd("plex", r).WaitNoJob(context.Background(), 20*time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Errorf("a job that never ends: %v, want ErrTimeout", err)
	}
}
