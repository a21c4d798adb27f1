package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// profileEnvironment is the samconfig.toml environment sized for design.md's load profile: the
// capacity model judges the stack as it deploys.
const profileEnvironment = "example-production"

// deployment is what template.yaml sets that the capacity model sets against the profile, with
// the parameters as profileEnvironment gives them (its overrides, else the defaults).
type deployment struct {
	// HTTP is the throttle by route key ("POST /user/getToken.json"); HTTPDefault covers the
	// routes not named.
	HTTP        map[string]float64 `json:"httpThrottles"`
	HTTPDefault float64            `json:"httpDefaultThrottle"`
	// WebSocket is the connection API stage's throttle: every route ($connect, ping,
	// sendMessage) shares it.
	WebSocket float64 `json:"webSocketThrottle"`
	// Reserved is the reserved concurrency by function name, of the functions that have one.
	Reserved map[string]float64 `json:"reservedConcurrency"`
	// GoRuntime is the Go runtime's settings every function is deployed with (the GO…
	// variables of the Globals environment, such as GOGC), as KEY=value: the cold starts run
	// functions and baselines with them.
	GoRuntime []string `json:"goRuntime"`
}

// deployedGOGC is the GOGC of settings (KEY=value), 0 when it is not set to a percentage.
func deployedGOGC(settings []string) int {
	for _, kv := range settings {
		if v, ok := strings.CutPrefix(kv, "GOGC="); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				return n
			}
		}
	}
	return 0
}

// forPath is the rate the HTTP API lets through to path.
func (d deployment) forPath(path string) float64 {
	if r, ok := d.HTTP["POST "+path]; ok {
		return r
	}
	return d.HTTPDefault
}

// cfnTemplate is the part of template.yaml the model reads.
type cfnTemplate struct {
	Globals struct {
		Function struct {
			Environment struct {
				Variables map[string]yaml.Node `yaml:"Variables"`
			} `yaml:"Environment"`
		} `yaml:"Function"`
	} `yaml:"Globals"`
	Parameters map[string]struct {
		Default string `yaml:"Default"`
	} `yaml:"Parameters"`
	Resources map[string]struct {
		Type       string `yaml:"Type"`
		Properties struct {
			DefaultRouteSettings routeSettings            `yaml:"DefaultRouteSettings"`
			RouteSettings        map[string]routeSettings `yaml:"RouteSettings"`
			Reserved             yaml.Node                `yaml:"ReservedConcurrentExecutions"`
		} `yaml:"Properties"`
	} `yaml:"Resources"`
}

type routeSettings struct {
	Rate yaml.Node `yaml:"ThrottlingRateLimit"`
}

// readDeployment reads template.yaml and samconfig.toml at root.
func readDeployment(root string) (deployment, error) {
	tmpl, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		return deployment{}, err
	}
	cfg, err := os.ReadFile(filepath.Join(root, "samconfig.toml"))
	if err != nil {
		return deployment{}, err
	}
	return parseDeployment(tmpl, overrides(cfg, profileEnvironment))
}

// overrides reads the parameter_overrides of env's deploy parameters in a samconfig.toml
// ("Name=value Name=value").
func overrides(samconfig []byte, env string) map[string]string {
	out := map[string]string{}
	in := false
	sc := bufio.NewScanner(bytes.NewReader(samconfig))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			in = line == "["+env+".deploy.parameters]"
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !in || !ok || strings.TrimSpace(k) != "parameter_overrides" {
			continue
		}
		for _, kv := range strings.Fields(strings.Trim(strings.TrimSpace(v), `"`)) {
			if name, val, ok := strings.Cut(kv, "="); ok {
				out[name] = val
			}
		}
	}
	return out
}

func parseDeployment(tmpl []byte, params map[string]string) (deployment, error) {
	var t cfnTemplate
	if err := yaml.Unmarshal(tmpl, &t); err != nil {
		return deployment{}, fmt.Errorf("template.yaml: %w", err)
	}
	// A value is a number, a reference to a parameter (!Ref, or Ref: in the long form), or an
	// !If whose value when true is one of those; a parameter is read as deployed.
	var value func(n yaml.Node) float64
	value = func(n yaml.Node) float64 {
		v := n.Value
		switch {
		case n.Tag == "!If" && len(n.Content) == 3:
			return value(*n.Content[1])
		case n.Tag == "!Ref":
			v = param(t, params, n.Value)
		case n.Kind == yaml.MappingNode:
			var ref struct {
				Ref string `yaml:"Ref"`
			}
			_ = n.Decode(&ref)
			v = param(t, params, ref.Ref)
		}
		var f float64
		_, _ = fmt.Sscan(v, &f)
		return f
	}
	out := deployment{HTTP: map[string]float64{}, Reserved: map[string]float64{}}
	for id, r := range t.Resources {
		p := r.Properties
		switch r.Type {
		case "AWS::Serverless::HttpApi":
			out.HTTPDefault = value(p.DefaultRouteSettings.Rate)
			for k, s := range p.RouteSettings {
				out.HTTP[k] = value(s.Rate)
			}
		case "AWS::ApiGatewayV2::Stage":
			out.WebSocket = value(p.DefaultRouteSettings.Rate)
		case "AWS::Serverless::Function":
			if n := value(p.Reserved); n > 0 {
				name := strings.TrimSuffix(id, "Function")
				out.Reserved[strings.ToLower(name[:1])+name[1:]] = n
			}
		}
	}
	for k, v := range t.Globals.Function.Environment.Variables {
		if strings.HasPrefix(k, "GO") && v.Kind == yaml.ScalarNode {
			out.GoRuntime = append(out.GoRuntime, k+"="+v.Value)
		}
	}
	slices.Sort(out.GoRuntime)
	if out.HTTPDefault == 0 || out.WebSocket == 0 {
		return out, fmt.Errorf("template.yaml: no throttle on the HTTP API or the WebSocket stage")
	}
	return out, nil
}

// param is a parameter's value as deployed: its override, else its default.
func param(t cfnTemplate, overrides map[string]string, name string) string {
	if v, ok := overrides[name]; ok {
		return v
	}
	return t.Parameters[name].Default
}
