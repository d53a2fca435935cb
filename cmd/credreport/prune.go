package main

import (
	"context"
	"fmt"

	"github.com/credreport/credreport/internal/store"
)

const pruneUsage = `Usage: credreport prune [-keep N] [-max-age DURATION] [flags]

Deletes the account's oldest stored reports beyond -keep, or older than
-max-age (by generated-at), or both. The latest report is never deleted.
Without either flag, prune keeps everything, which is the default policy:
reports are audit evidence.

Examples:
  credreport prune -bucket my-reports -keep 100
  credreport prune -bucket my-reports -max-age 8760h
`

func runPrune(ctx context.Context, args []string, s streams) int {
	var c storeCommand
	fs := c.register("prune", pruneUsage, s)
	keep := fs.Int("keep", 0, "keep at most this many reports (0 = no count limit)")
	maxAge := fs.Duration("max-age", 0, "delete reports generated longer ago than this (0 = no age limit)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(s, "prune", &usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))})
	}
	if *keep < 0 {
		return fail(s, "prune", &usageError{fmt.Sprintf("invalid -keep %d: want 0 (no count limit) or more", *keep)})
	}
	if *maxAge < 0 {
		return fail(s, "prune", &usageError{fmt.Sprintf("invalid -max-age %s: want 0 (no age limit) or a positive duration such as 8760h", *maxAge)})
	}
	if *keep == 0 && *maxAge == 0 {
		fmt.Fprintln(s.err, "credreport prune: no -keep or -max-age given: nothing to delete")
		return exitOK
	}
	st, accountID, err := c.open(ctx)
	if err != nil {
		return fail(s, "prune", err)
	}
	deleted, err := st.Prune(ctx, accountID, store.Retention{MaxCount: *keep, MaxAge: *maxAge})
	for _, key := range deleted {
		fmt.Fprintf(s.out, "deleted %s\n", key)
	}
	if err != nil {
		return fail(s, "prune", err)
	}
	fmt.Fprintf(s.err, "deleted %d reports of account %s\n", len(deleted), accountID)
	return exitOK
}
