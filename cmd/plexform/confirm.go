package main

import (
	"context"
	"fmt"
	"strings"
)

// askYes asks for "yes" on a terminal, as Terraform does. Without a terminal (or when
// asking is not allowed, as with -json) it refuses and says howElse (the flag for
// scripts), so a pipe can never approve by accident; a Ctrl-C at the prompt cancels at
// once. verb names the command in the messages.
func askYes(ctx context.Context, env *cliEnv, allowed bool, verb, question, howElse string) (int, bool) {
	if !allowed || !isTerminal(env.stdin) {
		errorf(env, "%s asks for confirmation, and there is no terminal to ask on; %s. Nothing was changed.\n", verb, howElse)
		return exitError, false
	}
	fmt.Fprintf(env.stdout, "\n%s\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ", question)
	answer, err := readLine(ctx, env.stdin)
	if err != nil || strings.TrimSpace(answer) != "yes" {
		fmt.Fprintf(env.stdout, "\n%s%s cancelled. Nothing was changed.\n", strings.ToUpper(verb[:1]), verb[1:])
		return exitError, false
	}
	return 0, true
}
