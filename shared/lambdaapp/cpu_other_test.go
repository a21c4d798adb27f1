//go:build !unix

package lambdaapp_test

import "time"

// processCPU is unknown here: no cpu-ns/op is reported.
func processCPU() time.Duration { return -1 }
