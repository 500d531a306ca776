package schedule

import "strconv"

// LogResult writes a scheduled run's one-line result to the platform's log where the
// run's own output does not reach it: on macOS the unified log through logger(1), whose
// syslog messages the unified logging system keeps (developer.apple.com/documentation/os/
// logging: it supersedes the syslog APIs; the output itself goes to the StandardOutPath
// file), on Windows the Application event log through eventcreate
// (learn.microsoft.com/windows-server/administration/windows-commands/eventcreate:
// /l APPLICATION /t ERROR|INFORMATION /so SOURCE /id 1-1000 /d TEXT; creating a new
// source needs an administrator once).
// Under systemd the output is in the journal, and under cron it is piped to logger, so
// nothing more is written there. The line is already masked: it holds no value.
func LogResult(goos, name, line string, exitCode int, run func(string, ...string) ([]byte, error)) error {
	switch goos {
	case "darwin":
		_, err := run("logger", "-t", UnitBase+name, line)
		return err
	case "windows":
		kind := "INFORMATION"
		if exitCode != 0 {
			kind = "ERROR"
		}
		// The event id says the exit code: 100 + code, so a filter on id 105 finds the
		// runs whose sign-in needs a person.
		_, err := run("eventcreate", "/l", "APPLICATION", "/t", kind, "/so", "plexform", "/id", strconv.Itoa(100+exitCode), "/d", UnitBase+name+": "+line)
		return err
	}
	return nil
}
