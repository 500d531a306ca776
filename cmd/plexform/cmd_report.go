package main

// plexform report: one table of many hosts from their plan -json outputs, for people
// who collect those from CI jobs or a scheduled run on each host.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"

	"github.com/hashicorp/go-multierror"
	"github.com/plexform/plexform/internal/parselimit"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/views"
)

// Bounds on what a row takes from a file: a host name is at most 253 bytes (RFC 1035),
// a platform is GOOS/GOARCH.
const (
	maxHostName = 253
	maxPlatform = 64
)

// reportOptions are the flags of `plexform report`.
type reportOptions struct {
	asJSON bool
}

func (o *reportOptions) flags(fs *cmdFlags) {
	fs.BoolVar(&o.asJSON, "json", false, "print one JSON document instead of the table")
}

// run reads each FILE as plan -json output and prints one row per host. A file that
// is not one is an error naming it; the others still report, and report exits 1 at the
// end.
func (o *reportOptions) run(env *cliEnv, _ *cmdFlags, files []string) int {
	if len(files) == 0 {
		errorf(env, "plexform report needs at least one FILE: the output of `plexform plan -json` on each host\n")
		return exitError
	}
	var (
		hosts    []views.FleetRow
		problems []string
		errs     *multierror.Error
	)
	for _, file := range files {
		row, err := readReportFile(file)
		if err != nil {
			errs = multierror.Append(errs, err)
			problems = append(problems, err.Error())
			continue
		}
		hosts = append(hosts, row)
	}
	sort.SliceStable(hosts, func(i, j int) bool { return hosts[i].Host < hosts[j].Host })
	if err := views.NewReport(views.KindFor(o.asJSON), streams(env)).Fleet(hosts, problems); err != nil {
		return fail(env, err)
	}
	if err := plan.Gather(errs); err != nil {
		return fail(env, err)
	}
	return exitOK
}

// readReportFile reads one file as plan.ReadFile reads a plan: a regular file only,
// opened non-blocking, no symlink another user planted, at most plan.MaxFileBytes.
func readReportFile(file string) (views.FleetRow, error) {
	data, err := plan.ReadFile(file)
	if err != nil {
		return views.FleetRow{}, err
	}
	return parseReport(file, data)
}

// parseReport reads one plan -json document. Every file is taken for hostile: nesting and
// size are bounded, its errors say where but quote nothing of it, and each text it gives a
// row is checked (a verdict is one of the three) and later printed escaped.
func parseReport(file string, data []byte) (views.FleetRow, error) {
	notPlan := func(why string) error {
		return fmt.Errorf("%s is not the output of `plexform plan -json`: %s", file, why)
	}
	if err := jsonDepth(data); err != nil {
		return views.FleetRow{}, notPlan(err.Error())
	}
	var doc views.JSON
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return views.FleetRow{}, notPlan(jsonProblem(data, err))
	}
	end := dec.InputOffset()
	if rest := bytes.TrimLeft(data[end:], " \t\r\n"); len(rest) > 0 {
		return views.FleetRow{}, notPlan("more follows the JSON document at " + parselimit.At(data, int64(len(data)-len(rest))))
	}
	switch {
	case !strings.HasPrefix(doc.FormatVersion, "1."):
		return views.FleetRow{}, notPlan("it has no format_version 1.x")
	case doc.ResourceChanges == nil || doc.SigninChanges == nil:
		return views.FleetRow{}, notPlan("it lacks resource_changes or signin_changes")
	case doc.Fleet == nil || doc.Host == "":
		return views.FleetRow{}, fmt.Errorf("%s names no host: it is plan -json output of a plexform older than report, or of `show -json`; run `plexform plan -json` on that host with this version", file)
	case len(doc.Host) > maxHostName || len(doc.Platform) > maxPlatform:
		return views.FleetRow{}, notPlan(fmt.Sprintf("its host is longer than %d bytes or its platform longer than %d", maxHostName, maxPlatform))
	}
	for i, sc := range doc.SigninChanges {
		if sc == nil {
			return views.FleetRow{}, notPlan(fmt.Sprintf("signin_changes[%d] is null", i))
		}
		switch sc.Verdict {
		case plan.SigninWorking, plan.SigninBroken, plan.SigninUnknown:
		default:
			return views.FleetRow{}, notPlan(fmt.Sprintf("signin_changes[%d] has a verdict other than working, broken or unknown", i))
		}
	}
	row := views.FleetRow{Fleet: *doc.Fleet, File: file, Signin: views.NoSignin, Evidence: []string{}, Changes: doc.Changes}
	if verdict, reason, evidence, ok := views.SigninVerdict(doc.SigninChanges); ok {
		row.Signin, row.Reason, row.Evidence = verdict, reason, evidence
	}
	return row, nil
}

// jsonKind names the JSON a Go type decodes from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	}
	return "a number"
}

// jsonProblem says where and how data is not the JSON expected without quoting any of
// it: encoding/json's messages quote the text they stop at, and a time's parse error
// quotes the value.
func jsonProblem(data []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		// Offset is just past the byte the decoder stopped at.
		return "not valid JSON at " + parselimit.At(data, se.Offset-1)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "the document"
		}
		return fmt.Sprintf("%s is a JSON %s where plan -json has %s (%s)", field, te.Value, jsonKind(te.Type), parselimit.At(data, te.Offset-1))
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return "the file ends before the JSON document does"
	}
	return "a value is not of the type plan -json gives it (last_change is an RFC 3339 time)"
}
