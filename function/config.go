package main

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/credreport/credreport/internal/ram"
)

// Config is the function's configuration, read once from the environment
// at start.
type Config struct {
	Bucket         string
	Prefix         string
	Region         string
	OSSEndpoint    string
	OSSPublic      string
	RAMEndpoint    string
	Source         ram.Source
	MaxAge         time.Duration
	URLExpiry      time.Duration
	AuthToken      string
	SSE            string
	KMSKeyID       string
	RAMQPS         float64
	RAMConcurrency int
	LogLevel       string
}

// envVar describes one environment variable the function reads.
type envVar struct {
	name string
	def  string // default, "" = none
	desc string
	set  func(c *Config, value string) error
}

// Limits on configured durations.
const (
	maxURLExpiry = 7 * 24 * time.Hour // the OSS V4 presign maximum
	maxMaxAge    = 7 * 24 * time.Hour
)

var bucketPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)

// envVars lists every variable in the order the README documents them.
var envVars = []envVar{
	{"CREDREPORT_BUCKET", "", "OSS bucket for the reports (required)", func(c *Config, v string) error {
		if !bucketPattern.MatchString(v) {
			return fmt.Errorf("invalid bucket name %q: 3-63 lowercase letters, digits and hyphens", v)
		}
		c.Bucket = v
		return nil
	}},
	{"CREDREPORT_PREFIX", "", "key prefix inside the bucket", func(c *Config, v string) error {
		v = strings.TrimPrefix(v, "/")
		if v != "" && !strings.HasSuffix(v, "/") {
			v += "/"
		}
		c.Prefix = v
		return nil
	}},
	{"CREDREPORT_REGION", "", "region of the bucket; default: the function's region", func(c *Config, v string) error {
		c.Region = v
		return nil
	}},
	{"CREDREPORT_OSS_ENDPOINT", "", "OSS endpoint for uploads; default: the region's internal endpoint", func(c *Config, v string) error {
		c.OSSEndpoint = v
		return nil
	}},
	{"CREDREPORT_OSS_PUBLIC_ENDPOINT", "", "OSS endpoint the signed URLs point at; default: the region's public endpoint", func(c *Config, v string) error {
		c.OSSPublic = v
		return nil
	}},
	{"CREDREPORT_RAM_ENDPOINT", "", "RAM/IMS endpoint override; default: the public endpoints", func(c *Config, v string) error {
		c.RAMEndpoint = v
		return nil
	}},
	{"CREDREPORT_SOURCE", "auto", "auto, native or build", func(c *Config, v string) error {
		s, err := ram.ParseSource(v)
		c.Source = s
		return err
	}},
	{"CREDREPORT_MAX_AGE", "4h", "age at which a report is regenerated", func(c *Config, v string) error {
		d, err := parseDuration(v, time.Minute, maxMaxAge)
		c.MaxAge = d
		return err
	}},
	{"CREDREPORT_URL_EXPIRY", "15m", "lifetime of a signed URL, at most 7 days", func(c *Config, v string) error {
		d, err := parseDuration(v, time.Minute, maxURLExpiry)
		c.URLExpiry = d
		return err
	}},
	{"CREDREPORT_AUTH_TOKEN", "", "bearer token the HTTP trigger requires; empty = none", func(c *Config, v string) error {
		if v != "" && len(v) < 16 {
			return errors.New("too short: use at least 16 random characters")
		}
		c.AuthToken = v
		return nil
	}},
	{"CREDREPORT_SSE", "AES256", "server-side encryption: AES256 or KMS", func(c *Config, v string) error {
		switch strings.ToUpper(v) {
		case "AES256", "KMS":
			c.SSE = strings.ToUpper(v)
			return nil
		}
		return fmt.Errorf("invalid value %q: want AES256 or KMS", v)
	}},
	{"CREDREPORT_KMS_KEY_ID", "", "KMS key ID when CREDREPORT_SSE is KMS; empty = the OSS-managed KMS key", func(c *Config, v string) error {
		c.KMSKeyID = v
		return nil
	}},
	{"CREDREPORT_RAM_QPS", "0", "RAM/IMS request budget per second; 0 = unknown, adapt to throttling", func(c *Config, v string) error {
		q, err := strconv.ParseFloat(v, 64)
		if err != nil || q < 0 {
			return fmt.Errorf("invalid value %q: want a number of requests per second, 0 or more", v)
		}
		c.RAMQPS = q
		return nil
	}},
	{"CREDREPORT_RAM_CONCURRENCY", "8", "most RAM/IMS calls in flight", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 256 {
			return fmt.Errorf("invalid value %q: want a whole number from 1 to 256", v)
		}
		c.RAMConcurrency = n
		return nil
	}},
	{"CREDREPORT_LOG_LEVEL", "info", "debug, info, warn or error", func(c *Config, v string) error {
		switch strings.ToLower(v) {
		case "debug", "info", "warn", "error":
			c.LogLevel = strings.ToLower(v)
			return nil
		}
		return fmt.Errorf("invalid value %q: want debug, info, warn or error", v)
	}},
}

func parseDuration(v string, lo, hi time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: use a Go duration such as 15m or 4h", v)
	}
	if d < lo || d > hi {
		return 0, fmt.Errorf("invalid duration %q: want %s to %s", v, lo, hi)
	}
	return d, nil
}

// loadConfig reads and validates every variable; the error names each bad one.
func loadConfig(getenv func(string) string) (Config, error) {
	var c Config
	var errs []error
	for _, v := range envVars {
		value := strings.TrimSpace(getenv(v.name))
		if value == "" {
			if v.name == "CREDREPORT_BUCKET" {
				errs = append(errs, errors.New("CREDREPORT_BUCKET: missing: set it to the bucket that keeps the reports"))
				continue
			}
			value = v.def
		}
		if value == "" {
			continue
		}
		if err := v.set(&c, value); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", v.name, err))
		}
	}
	if c.Region == "" {
		c.Region = getenv("FC_REGION")
	}
	return c, errors.Join(errs...)
}

// ossEndpoints returns the upload and signing endpoints for region.
func (c Config) ossEndpoints(region string) (upload, public string) {
	upload, public = c.OSSEndpoint, c.OSSPublic
	if upload == "" {
		upload = fmt.Sprintf("https://oss-%s-internal.aliyuncs.com", region)
	}
	if public == "" {
		if c.OSSEndpoint != "" {
			public = c.OSSEndpoint
		} else {
			public = fmt.Sprintf("https://oss-%s.aliyuncs.com", region)
		}
	}
	return upload, public
}
