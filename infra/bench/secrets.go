package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
)

// secretsCost is what reading the apps (their App Secrets and token keys) costs a cold start:
// the same function started with the apps in the environment (IM_APPS) and read from an SSM
// parameter (IM_APPS_PARAMETER, answered by a stand-in of SSM's GetParameter on loopback), and
// the SSM client's own creation (its baseline against the one without it).
type secretsCost struct {
	// ReadAt is "init" when reading from SSM lengthened the init more than the first call,
	// "first call" when the other way round, and "not read" when the stand-in saw no read.
	ReadAt   string `json:"readAt"`
	Function string `json:"function"`
	// ReadsPerStart is the GetParameter calls the stand-in answered, per start.
	ReadsPerStart float64 `json:"ssmReadsPerStart"`
	EnvInitMs     float64 `json:"initMsAppsFromEnvironment"`
	SSMInitMs     float64 `json:"initMsAppsFromSSM"`
	EnvInvokeMs   float64 `json:"firstInvokeMsAppsFromEnvironment"`
	SSMInvokeMs   float64 `json:"firstInvokeMsAppsFromSSM"`
	// SSMClientMs is the SSM client's creation at init: the baseline with it less the one
	// without (both create the function's other clients).
	SSMClientMs float64 `json:"ssmClientInitMs"`
	// SSMPackageInitMs is the same difference in Go package init alone (GODEBUG=inittrace=1),
	// which moves less from run to run than the whole init on a busy machine.
	SSMPackageInitMs float64 `json:"ssmClientPackageInitMs"`
	// WithSSM is the function started with its apps from SSM, judged against its baseline,
	// which creates the SSM client too.
	WithSSM coldResult `json:"startedWithAppsFromSSM"`
}

// secretsOf compares the function's start with its apps from SSM, as deployed (among results),
// to its start with them in the environment (fromEnv); reads were made over starts starts of
// functions that load the apps.
func secretsOf(fromEnv coldResult, results []coldResult, baseOf map[string]coldResult, reads int64, starts int) *secretsCost {
	var withSSM coldResult
	for _, r := range results {
		if r.Function == secretsFunction {
			withSSM = r
		}
	}
	c := &secretsCost{Function: secretsFunction, WithSSM: withSSM, SSMInitMs: withSSM.InitMs, SSMInvokeMs: withSSM.InvokeMs,
		EnvInitMs: fromEnv.InitMs, EnvInvokeMs: fromEnv.InvokeMs}
	if starts > 0 {
		c.ReadsPerStart = float64(reads) / float64(starts)
	}
	without := clientSet(nil)
	for _, n := range fromEnv.Clients {
		without = append(without, client(n))
	}
	with, wo := baseOf[without.with(clientSSM).key()], baseOf[without.key()]
	c.SSMClientMs, c.SSMPackageInitMs = with.InitMs-wo.InitMs, with.PackageInitMs-wo.PackageInitMs
	c.ReadAt = readAt(reads, c.SSMInitMs-c.EnvInitMs, c.SSMInvokeMs-c.EnvInvokeMs)
	return c
}

// readAt tells where reading the apps from SSM fell: in init or in the first call, by which one
// it lengthened more.
func readAt(reads int64, initDelta, invokeDelta float64) string {
	switch {
	case reads == 0:
		return "not read"
	case initDelta >= invokeDelta:
		return "init"
	}
	return "first call"
}

// ssmStandIn answers SSM's GetParameter (JSON 1.1 protocol) with value, for the functions' starts
// as deployed: no local stand-in of SSM runs in the twin.
type ssmStandIn struct {
	*httptest.Server
	value string
	reads atomic.Int64
}

func newSSMStandIn(value string) *ssmStandIn {
	s := &ssmStandIn{value: value}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Name string }
		_ = json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&in)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if r.Header.Get("X-Amz-Target") != "AmazonSSM.GetParameter" || in.Name != appsParameter {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"__type":"ParameterNotFound","message":"not served by the benchmark's stand-in"}`)
			return
		}
		s.reads.Add(1)
		_ = json.NewEncoder(w).Encode(map[string]any{"Parameter": map[string]any{
			"Name": in.Name, "Type": "SecureString", "Value": s.value, "Version": 1}})
	}))
	return s
}
