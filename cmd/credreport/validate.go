package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/credreport/credreport/internal/report"
)

const validateUsage = `Usage: credreport validate FILE

Checks a RAM user credential report and prints every problem it finds.
FILE is a report in CSV, or a saved GetCredentialReport response in JSON:
one response object, an array of them (one per page), or an SDK response
with the object under "body". A file whose first character other than
white space is { or [ is read as JSON. FILE - reads standard input.

A valid report prints "valid: N users, K additional key blocks" and exits 0.
Otherwise each problem is printed as one line on standard output and the
exit code is 1:

  FILE:LINE: column COLUMN: invalid value "VALUE": MESSAGE

LINE counts lines of the CSV, the header being line 1; for a JSON response
it is the line in the CSV decoded from it. Problems of the JSON itself, such
as Content that is not Base64, are printed as FILE: MESSAGE. A file that
cannot be read is reported on standard error with exit code 1; an invalid
command line exits 2.

Examples:
  credreport validate report.csv
  credreport validate get-credential-report.json
  credreport validate - < report.csv
`

// runValidate implements "credreport validate".
func runValidate(ctx context.Context, args []string, s streams) int {
	fs := newFlagSet("validate", validateUsage, s.err)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(s.err, "credreport validate: want exactly one FILE, got %d arguments (use - for standard input)\n\n", fs.NArg())
		fs.Usage()
		return exitUsage
	}

	name := fs.Arg(0)
	data, err := readInput(name, s.in)
	if err != nil {
		fmt.Fprintf(s.err, "credreport validate: %v\n", err)
		return exitFail
	}
	if err := ctx.Err(); err != nil {
		fmt.Fprintf(s.err, "credreport validate: %v\n", err)
		return exitFail
	}
	if name == "-" {
		name = "<stdin>"
	}

	out := bufio.NewWriter(s.out)
	defer out.Flush()
	csv := data
	if isJSON(data) {
		csv, _, err = report.ParseGetCredentialReportJSON(data)
		if err != nil {
			fmt.Fprintf(out, "%s: %v\n", name, err)
			return exitFail
		}
	}

	summary, problems := report.Validate(bytes.NewReader(csv))
	if len(problems) == 0 {
		fmt.Fprintf(out, "valid: %d users, %d additional key blocks\n", summary.Users, summary.AdditionalKeyBlocks)
		return exitOK
	}
	for _, p := range problems {
		if p.Line > 0 {
			fmt.Fprintf(out, "%s:%d: %s\n", name, p.Line, p.Description())
		} else {
			fmt.Fprintf(out, "%s: %s\n", name, p.Description())
		}
	}
	return exitFail
}

// readInput reads the file name, or stdin for "-".
func readInput(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		data, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("read standard input: %w", err)
		}
		return data, nil
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	return data, nil
}

// isJSON reports whether the first character of data other than white space
// and a byte-order mark is { or [.
func isJSON(data []byte) bool {
	data = bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\ufeff")), " \t\r\n")
	return len(data) > 0 && (data[0] == '{' || data[0] == '[')
}
