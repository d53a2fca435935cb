package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Exit codes of every subcommand.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran and failed, or found problems
	exitUsage = 2 // invalid command line
)

// streams are the standard streams of one run.
type streams struct {
	in  io.Reader
	out io.Writer
	err io.Writer
}

// command is one subcommand. Its run function parses its own flags from
// args and returns the exit code.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, s streams) int
}

// commands returns the subcommands in the order help lists them. A new
// subcommand is one entry here and a file with its run function.
func commands() []command {
	return []command{
		{"generate", "read the account and write its credential report", runGenerate},
		{"publish", "generate the report and store it, unless the stored one is fresh", runPublish},
		{"fetch", "download the latest stored report, checked against its SHA-256", runFetch},
		{"list", "list the stored reports with their metadata", runList},
		{"url", "print a short-lived signed URL for the latest stored report", runURL},
		{"prune", "delete old stored reports by count or age, never the latest", runPrune},
		{"summary", "count console users without MFA, old keys and root keys in a report", runSummary},
		{"validate", "check a credential report CSV or a saved GetCredentialReport response", runValidate},
	}
}

// run runs the subcommand named by args[0] and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := streams{in: stdin, out: stdout, err: stderr}
	if len(args) == 0 {
		printUsage(stderr)
		return exitUsage
	}

	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) < 2 {
			printUsage(stdout)
			return exitOK
		}
		// Help asked for explicitly goes to standard output.
		name = args[1]
		if c, ok := findCommand(name); ok {
			return c.run(ctx, []string{"-h"}, streams{in: stdin, out: stdout, err: stdout})
		}
	default:
		if c, ok := findCommand(name); ok {
			return c.run(ctx, args[1:], s)
		}
	}
	fmt.Fprintf(stderr, "credreport: unknown command %q\n\n", name)
	printUsage(stderr)
	return exitUsage
}

func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func printUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString("Usage: credreport <command> [flags] [arguments]\n\nCommands:\n")
	width := 0
	for _, c := range commands() {
		width = max(width, len(c.name))
	}
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, c.name, c.summary)
	}
	b.WriteString("\nRun \"credreport help <command>\" for the flags and examples of a command.\n")
	io.WriteString(w, b.String())
}

// newFlagSet returns a flag set for a subcommand whose usage is the given
// text followed by the flag list, printed to w.
func newFlagSet(name, usage string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("credreport "+name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		io.WriteString(w, usage)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			io.WriteString(w, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args. It returns false with the exit code when the
// command must stop: 0 after -h, exitUsage after an invalid flag.
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK, false
	case err != nil:
		return exitUsage, false
	}
	return exitOK, true
}
