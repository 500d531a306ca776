// Package service drives the programs that keep Plex Media Server running, behind the
// stores.Service interface: systemd, snap, s6, launchd, the macOS and Windows apps, a
// Windows service, a Docker (or Podman) container, and plain commands (exec). Stop and
// Start only ask the manager; WaitFor polls Running until the state is reached.
//
// Running answers true only when the service is really up and false only when it is
// really down. Between the two (systemd "activating"/"deactivating", s6 "up, want
// down", a snap with some services up) it returns a *TransitionError, which matches
// ErrTransitioning: the caller keeps polling, and a timeout reports the state it was
// stuck in. PMS may still rewrite its settings while it is going down, so "stopping"
// must never read as stopped. The conformance suite, servicetest, holds every manager
// to these promises.
//
// Every manager registers itself once, from its own file (Register, in an init): its
// name, the fields of a service resource it reads and needs, whether it can be driven
// under -root, and how it opens. New, plan's validation and `plexform schema` (through
// kinds/service.go, as plan imports no store driver) and the error messages read that
// registry, so no other list of managers exists.
//
// # How to add a manager
//
//  1. Write one file here, stores/service/NAME.go: a type with the four methods of
//     stores.Service (Describe; Running, true only when up, false only when down, a
//     *TransitionError in between; Stop and Start, which may return before the move is
//     done), and an init that calls Register(Manager{Name, Doc, Fields, Needs,
//     UnderRoot, Open}). Fields are the service resource's fields it reads: the shared
//     ones (SharedFields: unit, dir, app, container, start, stop, status) and any of its
//     own, such as script, which the service kind decodes as a plain string, hands to
//     Open in cfg.Own, writes back in `plexform init` and offers in the schema; a plan
//     giving it to another manager is an error at its line. Register refuses a field
//     spelled as one a resource already has (ResourceFields: timeout, state, set...).
//     Open refuses a Config without one of Needs with an error naming the field
//     (TestEveryManagerOpensWithWhatItNeeds checks it). Run commands through
//     cfg.Runner, so a plan's secrets never reach them (childenv) and a command past
//     the timeout is killed with its children; read the environment through cfg.Getenv.
//  2. Write its conformance run beside it, NAME_conformance_test.go in package
//     service_test: TestConformanceNAME calls servicetest.Run with a Harness whose New
//     makes a stopped service of the manager that runs the suite's Program, against the
//     manager's real peer (or, where the peer is started by a test package of its own,
//     there: docker's in internal/dockertest, systemd's in internal/systemdtest). A
//     test that needs a tool the machine lacks skips through internal/testtool
//     (Require, Unavailable), which fails it when CI=true. Name that file in
//     registry_test.go's conformanceRuns: TestEveryManagerRunsTheConformanceSuite fails
//     for a registered manager that runs no suite.
//  3. Regenerate the schema the examples point at: go run ./cmd/plexform schema >
//     docs/plexform.schema.json (plan's TestSchemaFileIsCurrent fails until then), and
//     name the manager in README's list of managers.
//
// Nothing else changes: New finds it, plan accepts `manager: NAME` and its fields and
// asks for its Needs, and the schema offers it. host's TestAddingAManagerByTheRecipe
// keeps this recipe honest: the manager in servicetest/recipe, which reads a field of
// its own (script), was written by these steps alone, runs servicetest, and a plan
// naming it validates and applies.
package service
