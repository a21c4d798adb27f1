package chaos_test

import (
	"flag"
	"os"
	"strconv"
	"testing"
)

// TestMain lets more tests run side by side than there are CPUs, unless -parallel says
// otherwise: they spend their time waiting on retry back-offs and client timeouts, not computing.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.parallel"); f != nil && f.Value.String() == f.DefValue {
		if n, err := strconv.Atoi(f.DefValue); err == nil && n < 8 {
			_ = flag.Set("test.parallel", "8")
		}
	}
	os.Exit(m.Run())
}
