package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	sdkcredentials "github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"

	"github.com/credreport/credreport/internal/kind"
	"github.com/credreport/credreport/internal/ram"
	"github.com/credreport/credreport/internal/store"
	"github.com/credreport/credreport/internal/store/filedriver"
	"github.com/credreport/credreport/internal/store/ossdriver"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// generatorName identifies this program in report metadata.
func generatorName() string { return "credreport/" + version }

// exitBusy is the exit code when another generation holds the account's
// lock: the command may succeed when retried later (sysexits EX_TEMPFAIL).
const exitBusy = 75

// envOr returns the environment variable's value, or def when it is unset.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func envFloat(name string, def float64) float64 {
	if v := os.Getenv(name); v != "" {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
	}
	return def
}

func envInt(name string, def int) int {
	if v := os.Getenv(name); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}

// cloudFlags select the account and how it is read.
type cloudFlags struct {
	ramEndpoint string
	profile     string
	accountID   string
	qps         float64
	concurrency int
	callTimeout time.Duration
}

func (f *cloudFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.ramEndpoint, "ram-endpoint", os.Getenv("CREDREPORT_RAM_ENDPOINT"),
		"RAM/IMS endpoint `URL` override (env CREDREPORT_RAM_ENDPOINT); default: the public endpoints over HTTPS")
	fs.StringVar(&f.profile, "profile", os.Getenv("ALIBABA_CLOUD_PROFILE"),
		"aliyun CLI profile `name` to take credentials from when ALIBABA_CLOUD_ACCESS_KEY_ID is unset")
	fs.StringVar(&f.accountID, "account-id", "", "account `ID`; default: asked from STS GetCallerIdentity")
	fs.Float64Var(&f.qps, "qps", envFloat("CREDREPORT_RAM_QPS", 0),
		"RAM/IMS request budget in `calls per second` (env CREDREPORT_RAM_QPS); 0 = unknown: back off when throttled")
	fs.IntVar(&f.concurrency, "concurrency", envInt("CREDREPORT_RAM_CONCURRENCY", ram.DefaultConcurrency),
		"most RAM/IMS calls in flight (env CREDREPORT_RAM_CONCURRENCY)")
	fs.DurationVar(&f.callTimeout, "call-timeout", ram.DefaultCallTimeout, "timeout of one RAM/IMS request")
}

// credentials returns the AccessKey from ALIBABA_CLOUD_ACCESS_KEY_ID,
// ALIBABA_CLOUD_ACCESS_KEY_SECRET and ALIBABA_CLOUD_SECURITY_TOKEN, or,
// when those are unset, from the aliyun CLI's profile.
func (f *cloudFlags) credentials() (ram.Credentials, error) {
	id, secret := os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"), os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
	if id != "" || secret != "" {
		if id == "" || secret == "" {
			return ram.Credentials{}, kind.Errorf(kind.Unauthenticated,
				"incomplete credentials: set both ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET")
		}
		return ram.Credentials{AccessKeyID: id, AccessKeySecret: secret, SecurityToken: os.Getenv("ALIBABA_CLOUD_SECURITY_TOKEN")}, nil
	}
	provider := sdkcredentials.NewCLIProfileCredentialsProviderBuilder().WithProfileName(f.profile).Build()
	c, err := provider.GetCredentials()
	if err != nil {
		return ram.Credentials{}, kind.Errorf(kind.Unauthenticated,
			"missing credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (and ALIBABA_CLOUD_SECURITY_TOKEN for STS credentials), or configure the aliyun CLI; the aliyun CLI profile could not be used: %s", withoutFileContent(err.Error()))
	}
	return ram.Credentials{AccessKeyID: c.AccessKeyId, AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken}, nil
}

// withoutFileContent cuts an error message before any JSON it quotes: the
// SDK's message for a malformed aliyun CLI configuration quotes the whole
// file, secrets included.
func withoutFileContent(msg string) string {
	if i := strings.IndexAny(msg, "{["); i >= 0 {
		return strings.TrimSpace(msg[:i]) + " (file content omitted)"
	}
	return msg
}

// check validates the flags and the variables behind them.
func (f *cloudFlags) check() error {
	if v := os.Getenv("CREDREPORT_RAM_QPS"); v != "" {
		if q, err := strconv.ParseFloat(v, 64); err != nil || q < 0 {
			return &usageError{fmt.Sprintf("invalid CREDREPORT_RAM_QPS %q: want a number of requests per second, 0 or more", v)}
		}
	}
	if v := os.Getenv("CREDREPORT_RAM_CONCURRENCY"); v != "" {
		if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 256 {
			return &usageError{fmt.Sprintf("invalid CREDREPORT_RAM_CONCURRENCY %q: want a whole number from 1 to 256", v)}
		}
	}
	if f.qps < 0 {
		return &usageError{fmt.Sprintf("invalid -qps %v: want a number of requests per second, 0 (unknown) or more", f.qps)}
	}
	if f.concurrency < 1 || f.concurrency > 256 {
		return &usageError{fmt.Sprintf("invalid -concurrency %d: want 1 to 256", f.concurrency)}
	}
	if f.callTimeout <= 0 {
		return &usageError{fmt.Sprintf("invalid -call-timeout %s: want a positive duration such as 10s", f.callTimeout)}
	}
	return nil
}

func (f *cloudFlags) ramClient(creds ram.Credentials) (*ram.Client, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	return ram.New(ram.Config{
		Credentials: creds,
		Endpoint:    f.ramEndpoint,
		QPS:         f.qps,
		Concurrency: f.concurrency,
		CallTimeout: f.callTimeout,
		UserAgent:   generatorName(),
	})
}

// storeFlags select where reports are kept: an OSS bucket or a local directory.
type storeFlags struct {
	bucket         string
	prefix         string
	region         string
	endpoint       string
	publicEndpoint string
	dir            string
	sse            string
	kmsKeyID       string
	lockTTL        time.Duration // zero = the store's default
}

// register adds the store flags; writes adds the encryption flags, which
// only commands that store reports use.
func (f *storeFlags) register(fs *flag.FlagSet, writes bool) {
	fs.StringVar(&f.bucket, "bucket", os.Getenv("CREDREPORT_BUCKET"), "OSS `bucket` that keeps the reports (env CREDREPORT_BUCKET)")
	fs.StringVar(&f.prefix, "prefix", os.Getenv("CREDREPORT_PREFIX"), "key `prefix` inside the bucket (env CREDREPORT_PREFIX)")
	fs.StringVar(&f.region, "region", envOr("CREDREPORT_REGION", "cn-hangzhou"), "`region` of the bucket (env CREDREPORT_REGION)")
	fs.StringVar(&f.endpoint, "oss-endpoint", os.Getenv("CREDREPORT_OSS_ENDPOINT"),
		"OSS endpoint `URL` (env CREDREPORT_OSS_ENDPOINT); default: the region's public endpoint")
	fs.StringVar(&f.publicEndpoint, "oss-public-endpoint", os.Getenv("CREDREPORT_OSS_PUBLIC_ENDPOINT"),
		"OSS endpoint `URL` that signed URLs point at (env CREDREPORT_OSS_PUBLIC_ENDPOINT); default: -oss-endpoint")
	fs.StringVar(&f.dir, "dir", "", "keep reports in this local `directory` instead of OSS")
	f.sse = ossdriver.SSEAES256
	if !writes {
		return
	}
	fs.StringVar(&f.sse, "sse", envOr("CREDREPORT_SSE", ossdriver.SSEAES256), "server-side encryption: AES256 or KMS (env CREDREPORT_SSE)")
	fs.StringVar(&f.kmsKeyID, "kms-key-id", os.Getenv("CREDREPORT_KMS_KEY_ID"), "KMS key `ID` for -sse KMS (env CREDREPORT_KMS_KEY_ID)")
}

// open returns the store the flags select.
func (f *storeFlags) open(creds func() (ram.Credentials, error)) (*store.Store, error) {
	prefix := strings.TrimPrefix(f.prefix, "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	opts := store.Options{Prefix: prefix, LockTTL: f.lockTTL}
	// A bucket from CREDREPORT_BUCKET yields to an explicit -dir; only an
	// explicit -bucket conflicts with it.
	bucketFlag := f.bucket != "" && f.bucket != os.Getenv("CREDREPORT_BUCKET")
	switch {
	case f.dir != "" && bucketFlag:
		return nil, &usageError{"-dir and -bucket are exclusive: keep reports in a local directory or in OSS"}
	case f.dir != "":
		if err := os.MkdirAll(f.dir, 0o700); err != nil {
			return nil, kind.Errorf(kind.InvalidArgument, "create -dir %s: %w", f.dir, err)
		}
		d, err := filedriver.New(f.dir)
		if err != nil {
			return nil, err
		}
		return store.New(d, opts), nil
	case f.bucket == "":
		return nil, kind.Errorf(kind.InvalidArgument, "missing bucket: set -bucket or CREDREPORT_BUCKET, or use -dir for a local directory")
	}
	c, err := creds()
	if err != nil {
		return nil, err
	}
	endpoint := f.endpoint
	if endpoint == "" {
		endpoint = fmt.Sprintf("https://oss-%s.aliyuncs.com", f.region)
	}
	d, err := ossdriver.New(ossdriver.Config{
		Endpoint:       endpoint,
		PublicEndpoint: f.publicEndpoint,
		Region:         f.region,
		Bucket:         f.bucket,
		Credentials: ossdriver.StaticCredentials(ossdriver.Credentials{
			AccessKeyID: c.AccessKeyID, AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken,
		}),
		SSE:         strings.ToUpper(f.sse),
		SSEKMSKeyID: f.kmsKeyID,
	})
	if err != nil {
		return nil, err
	}
	return store.New(d, opts), nil
}

// fail prints one line for err and returns the exit code its kind calls for.
func fail(s streams, command string, err error) int {
	fmt.Fprintf(s.err, "credreport %s: %v\n", command, err)
	var usage *usageError
	if errors.As(err, &usage) {
		return exitUsage
	}
	return exitFail
}

// usageError is an invalid command line found after flag parsing.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }
