package schedule

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// StateFiles is where a scheduled run keeps its status file: the backups dir's state
// files (0600, written atomically, read only when plexform's own; state.Dir's
// WriteFile and ReadFile).
type StateFiles interface {
	WriteFile(name string, data []byte) error
	ReadFile(name string, max int64) ([]byte, error)
}

// Status is what the last scheduled run of a schedule left in its status file,
// schedule-NAME.json in the plan's backups dir. It never holds a token, an e-mail
// address or a user name: the sign-in is a verdict and a reason, as plan shows them.
type Status struct {
	FormatVersion string    `json:"format_version"`
	Name          string    `json:"name"`
	Plan          string    `json:"plan"`
	Started       time.Time `json:"started"`
	Finished      time.Time `json:"finished"`
	// ExitCode is the run's exit code (README "Exit codes"); 5 is a broken sign-in a
	// person must repair.
	ExitCode int `json:"exit_code"`
	// Changed is true when the run changed the host (it applied something and kept it).
	Changed bool `json:"changed"`
	// Signin is the plex_signin verdict the run saw (working, broken, unknown), empty for
	// a plan without one; SigninReason is its cause in a few words.
	Signin       string `json:"signin,omitempty"`
	SigninReason string `json:"signin_reason,omitempty"`
	// Message is the run's one-line result, the line a notifier shows.
	Message string `json:"message"`
}

// statusFormat is Status's format_version.
const statusFormat = "1"

// maxStatus bounds what is read of a status file.
const maxStatus = 64 << 10

// StatusFile is the status file's name in the backups dir.
func StatusFile(name string) string { return "schedule-" + name + ".json" }

// WriteStatus records a run's status.
func WriteStatus(state StateFiles, s Status) error {
	s.FormatVersion = statusFormat
	s.Message = oneLine(s.Message)
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return state.WriteFile(StatusFile(s.Name), append(data, '\n'))
}

// ReadStatus reads a schedule's last status; an error that errors.Is fs.ErrNotExist
// means no scheduled run has finished yet.
func ReadStatus(state StateFiles, name string) (*Status, error) {
	data, err := state.ReadFile(StatusFile(name), maxStatus)
	if err != nil {
		return nil, err
	}
	var s Status
	if err := json.Unmarshal(data, &s); err != nil || s.FormatVersion != statusFormat || s.Name != name {
		return nil, fmt.Errorf("status file %s is not one plexform wrote for schedule %s", StatusFile(name), name)
	}
	return &s, nil
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
